/**
 * Per-file flow accumulator: groups the packets written to one file by normalized 5-tuple and
 * keeps their block offsets. Keys are compared as bytes in a reused scratch key, so a packet of a
 * known flow allocates nothing (a new flow allocates its entry once).
 */
import { type DecodedPacket, formatIpv4, formatIpv6 } from "../decode/mod.ts";
import type { FlowRow } from "./flow_index.ts";

/** version, protocol, address A (16), address B (16), port A (2), port B (2). */
const KEY_BYTES = 38;

interface Entry {
  key: Uint8Array;
  next: Entry | undefined;
  firstUs: number;
  lastUs: number;
  packets: number;
  bytes: number;
  offsets: Uint32Array;
}

function mix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Compares `length` bytes of a at i with b at j: <0, 0, >0. */
function compareBytes(a: Uint8Array, i: number, b: Uint8Array, j: number, length: number): number {
  for (let k = 0; k < length; k++) {
    const d = a[i + k]! - b[j + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

export class FileFlows {
  readonly #slots = new Map<number, Entry>();
  readonly #scratch = new Uint8Array(KEY_BYTES);
  /** Packets that were not IP (stored, but in no flow). */
  notIp = 0;
  count = 0;

  /** Adds the packet written at `offset` of the file. */
  add(p: DecodedPacket, offset: number, timestampUs: number, frameLength: number): void {
    const v = p.ipVersion;
    if (v !== 4 && v !== 6) {
      this.notIp++;
      return;
    }
    const k = this.#scratch;
    const size = v === 4 ? 4 : 16;
    const b = p.buffer;
    k.fill(0);
    k[0] = v;
    k[1] = p.protocol;
    const ports = p.hasTransport || p.srcPort !== 0 || p.dstPort !== 0;
    const sp = ports ? p.srcPort : 0;
    const dp = ports ? p.dstPort : 0;
    let order = compareBytes(b, p.srcOffset, b, p.dstOffset, size);
    if (order === 0) order = sp - dp;
    const a = order <= 0 ? p.srcOffset : p.dstOffset;
    const c = order <= 0 ? p.dstOffset : p.srcOffset;
    for (let i = 0; i < size; i++) {
      k[2 + i] = b[a + i]!;
      k[18 + i] = b[c + i]!;
    }
    const pa = order <= 0 ? sp : dp;
    const pb = order <= 0 ? dp : sp;
    k[34] = pa >>> 8;
    k[35] = pa & 0xff;
    k[36] = pb >>> 8;
    k[37] = pb & 0xff;
    let h = 0;
    for (let i = 0; i < KEY_BYTES; i += 2) h = mix(h ^ ((k[i]! << 8) | k[i + 1]!));
    let entry = this.#slots.get(h);
    while (entry !== undefined && compareBytes(entry.key, 0, k, 0, KEY_BYTES) !== 0) {
      entry = entry.next;
    }
    if (entry === undefined) {
      entry = {
        key: k.slice(),
        next: this.#slots.get(h),
        firstUs: timestampUs,
        lastUs: timestampUs,
        packets: 0,
        bytes: 0,
        offsets: new Uint32Array(4),
      };
      this.#slots.set(h, entry);
      this.count++;
    }
    if (entry.packets === entry.offsets.length) {
      const grown = new Uint32Array(entry.offsets.length * 2);
      grown.set(entry.offsets);
      entry.offsets = grown;
    }
    entry.offsets[entry.packets++] = offset;
    entry.bytes += frameLength;
    if (timestampUs < entry.firstUs) entry.firstUs = timestampUs;
    if (timestampUs > entry.lastUs) entry.lastUs = timestampUs;
  }

  /** The flows as index rows (allocates: once per file). */
  *rows(): Generator<Omit<FlowRow, "fileId">> {
    for (const head of this.#slots.values()) {
      for (let e: Entry | undefined = head; e !== undefined; e = e.next) {
        const k = e.key;
        const v4 = k[0] === 4;
        const ip = (at: number) => v4 ? formatIpv4(k, at) : formatIpv6(k, at);
        yield {
          protocol: k[1]!,
          ipA: ip(2),
          portA: (k[34]! << 8) | k[35]!,
          ipB: ip(18),
          portB: (k[36]! << 8) | k[37]!,
          firstUs: e.firstUs,
          lastUs: e.lastUs,
          packets: e.packets,
          bytes: e.bytes,
          offsets: e.offsets.subarray(0, e.packets),
        };
      }
    }
  }

  clear(): void {
    this.#slots.clear();
    this.notIp = 0;
    this.count = 0;
  }
}
