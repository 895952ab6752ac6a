// From fetched packets to what the analysis page shows: sessions (per flow), the TCP sequence
// model (relative seq/ack per direction, retransmissions, resets, time deltas) and the
// reassembled payload of a session ("follow stream").
import { type Dissected, tcpFlagNames } from "./dissect.ts";
import type { PcapPacket } from "./pcapng.ts";

export interface Decoded {
  packet: PcapPacket;
  d: Dissected;
}

export interface SessionView {
  /** `proto:ipA:portA-ipB:portB` with the first packet's sender first. */
  key: string;
  protocol: number;
  /** The first packet's sender (the client when the capture has the handshake). */
  ip0: string;
  port0: number;
  ip1: string;
  port1: number;
  packets: number;
  bytes: number;
  firstUs: number;
  lastUs: number;
  /** TCP flags seen, e.g. `SYN, FIN, ACK`. */
  flags: string;
  numbers: number[];
}

function canonical(d: Dissected): string | undefined {
  if (d.ipProtocol === undefined || d.src === "") return undefined;
  const a = `${d.src}|${d.srcPort ?? 0}`, b = `${d.dst}|${d.dstPort ?? 0}`;
  return `${d.ipProtocol}/${a < b ? `${a}/${b}` : `${b}/${a}`}`;
}

/** Sessions in order of their first packet. */
export function sessionsOf(decoded: readonly Decoded[]): SessionView[] {
  const byKey = new Map<string, SessionView & { flagBits: number }>();
  for (const { packet, d } of decoded) {
    const k = canonical(d);
    if (k === undefined) continue;
    let s = byKey.get(k);
    if (!s) {
      s = {
        key: `${d.ipProtocol}:${d.src}:${d.srcPort ?? 0}-${d.dst}:${d.dstPort ?? 0}`,
        protocol: d.ipProtocol!,
        ip0: d.src,
        port0: d.srcPort ?? 0,
        ip1: d.dst,
        port1: d.dstPort ?? 0,
        packets: 0,
        bytes: 0,
        firstUs: packet.timeUs,
        lastUs: packet.timeUs,
        flags: "",
        flagBits: 0,
        numbers: [],
      };
      byKey.set(k, s);
    }
    // A SYN without ACK names the client even when a later packet came first.
    if (d.tcp && (d.tcp.flags & 0x12) === 0x02 && s.ip0 !== d.src) {
      [s.ip0, s.port0, s.ip1, s.port1] = [d.src, d.srcPort ?? 0, d.dst, d.dstPort ?? 0];
      s.key = `${s.protocol}:${s.ip0}:${s.port0}-${s.ip1}:${s.port1}`;
    }
    s.packets++;
    s.bytes += packet.originalLength;
    s.lastUs = Math.max(s.lastUs, packet.timeUs);
    s.firstUs = Math.min(s.firstUs, packet.timeUs);
    s.flagBits |= d.tcp?.flags ?? 0;
    s.numbers.push(packet.number);
  }
  return [...byKey.values()].map(({ flagBits, ...s }) => ({ ...s, flags: tcpFlagNames(flagBits) }));
}

/** Whether a packet belongs to the session between (ip0, port0) and (ip1, port1). */
export function inSession(
  d: Dissected,
  s: { protocol: number; ip0: string; port0: number; ip1: string; port1: number },
): boolean {
  if (d.ipProtocol !== s.protocol) return false;
  const sp = d.srcPort ?? 0, dp = d.dstPort ?? 0;
  return (d.src === s.ip0 && sp === s.port0 && d.dst === s.ip1 && dp === s.port1) ||
    (d.src === s.ip1 && sp === s.port1 && d.dst === s.ip0 && dp === s.port0);
}

export interface SeqArrow {
  number: number;
  timeUs: number;
  /** µs since the previous packet of the session (0 for the first). */
  deltaUs: number;
  /** From ip0:port0 (the left lane). */
  fromLeft: boolean;
  flags: string;
  /** Relative to the sender's first sequence number (Wireshark's "relative sequence numbers"). */
  seq: number;
  /** Relative to the receiver's first sequence number; null without the ACK flag. */
  ack: number | null;
  len: number;
  retransmission: boolean;
  reset: boolean;
}

export interface SequenceModel {
  left: string;
  right: string;
  arrows: SeqArrow[];
}

/**
 * The TCP sequence model of one session's packets (in capture order). A segment that carries
 * data, SYN or FIN and does not go past the highest sequence number its sender already sent is a
 * retransmission (keep-alives and zero-length ACKs are not).
 */
export function sequenceOf(
  packets: readonly Decoded[],
  s: { ip0: string; port0: number; ip1: string; port1: number },
): SequenceModel {
  const tcp = packets.filter((p) => p.d.tcp !== undefined);
  const left = (d: Dissected) => d.src === s.ip0 && (d.srcPort ?? 0) === s.port0;
  // Each direction's base: its SYN's sequence number, else the first one seen (as Wireshark).
  const base: [number | undefined, number | undefined] = [undefined, undefined];
  const syn = [false, false];
  for (const { d } of tcp) {
    const i = left(d) ? 0 : 1;
    if (d.tcp!.flags & 0x02 && !syn[i]) syn[i] = true, base[i] = d.tcp!.seq;
    else base[i] ??= d.tcp!.seq;
  }
  const next: [number | undefined, number | undefined] = [undefined, undefined];
  const arrows: SeqArrow[] = [];
  let previous: number | undefined;
  for (const { packet, d } of tcp) {
    const t = d.tcp!;
    const i = left(d) ? 0 : 1;
    const seq = (t.seq - base[i]!) >>> 0;
    const len = d.payload?.length ?? 0;
    const span = len + (t.flags & 0x02 ? 1 : 0) + (t.flags & 0x01 ? 1 : 0);
    const end = seq + span;
    const high = next[i];
    const retransmission = span > 0 && high !== undefined && end <= high;
    if (span > 0 && (high === undefined || end > high)) next[i] = end;
    const otherBase = base[1 - i];
    const ack = t.flags & 0x10
      ? (otherBase === undefined ? t.ack : (t.ack - otherBase) >>> 0)
      : null;
    arrows.push({
      number: packet.number,
      timeUs: packet.timeUs,
      deltaUs: previous === undefined ? 0 : packet.timeUs - previous,
      fromLeft: i === 0,
      flags: tcpFlagNames(t.flags),
      seq,
      ack,
      len,
      retransmission,
      reset: (t.flags & 0x04) !== 0,
    });
    previous = packet.timeUs;
  }
  return { left: `${s.ip0}:${s.port0}`, right: `${s.ip1}:${s.port1}`, arrows };
}

export interface StreamChunk {
  fromLeft: boolean;
  bytes: Uint8Array;
}

/**
 * The session's payload in order, each direction's bytes once: TCP segments flagged as
 * retransmissions are left out (their bytes were already delivered); consecutive chunks of one
 * direction are merged.
 */
export function followStream(
  packets: readonly Decoded[],
  s: { ip0: string; port0: number; ip1: string; port1: number },
): StreamChunk[] {
  const model = sequenceOf(packets, s);
  const retrans = new Set(model.arrows.filter((a) => a.retransmission).map((a) => a.number));
  const chunks: StreamChunk[] = [];
  for (const { packet, d } of packets) {
    const payload = d.payload;
    if (!payload || payload.length === 0 || retrans.has(packet.number)) continue;
    const fromLeft = d.src === s.ip0 && (d.srcPort ?? 0) === s.port0;
    const last = chunks.at(-1);
    if (last && last.fromLeft === fromLeft) {
      const merged = new Uint8Array(last.bytes.length + payload.length);
      merged.set(last.bytes);
      merged.set(payload, last.bytes.length);
      last.bytes = merged;
    } else chunks.push({ fromLeft, bytes: payload.slice() });
  }
  return chunks;
}

/** Printable text of payload bytes: ASCII as is, newlines kept, anything else as `.`. */
export function printable(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    out += b === 10 || b === 13 || b === 9 || (b >= 32 && b < 127) ? String.fromCharCode(b) : ".";
  }
  return out;
}

/** Classic 16-bytes-a-line hex dump. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let o = 0; o < bytes.length; o += 16) {
    const row = bytes.subarray(o, o + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    lines.push(
      `${o.toString(16).padStart(8, "0")}  ${hex.padEnd(48)}  ${
        printable(row).replace(/[\r\n\t]/g, ".")
      }`,
    );
  }
  return lines.join("\n");
}
