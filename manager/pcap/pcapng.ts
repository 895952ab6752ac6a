// A small pcapng reader for what appliances send (wire/pcap_tasks.ts: one section, any byte
// order, any if_tsresol), and a block-level subset writer so a download of every packet is the
// appliance's file byte for byte.

export interface PcapPacket {
  /** 1-based, in file order (Wireshark's frame number). */
  number: number;
  /** µs since the epoch. */
  timeUs: number;
  /** ns past timeUs (0-999). */
  extraNs: number;
  linkType: number;
  interfaceName: string;
  capturedLength: number;
  originalLength: number;
  data: Uint8Array;
  /** Where the packet's block is in the file, for subset writing. */
  blockOffset: number;
  blockLength: number;
}

export class PcapngError extends Error {
  override name = "PcapngError";
}

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const SPB = 0x00000003;
const MAGIC = 0x1a2b3c4d;

interface Iface {
  linkType: number;
  name: string;
  /** Ticks per second. */
  unitsPerSecond: bigint;
}

function ifaceOf(v: DataView, at: number, length: number, le: boolean): Iface {
  const iface: Iface = { linkType: v.getUint16(at + 8, le), name: "", unitsPerSecond: 1_000_000n };
  for (let o = at + 16; o + 4 <= at + length - 4;) {
    const code = v.getUint16(o, le);
    const len = v.getUint16(o + 2, le);
    if (code === 0) break;
    if (code === 2) {
      iface.name = new TextDecoder().decode(new Uint8Array(v.buffer, v.byteOffset + o + 4, len));
    }
    if (code === 9 && len >= 1) {
      const r = v.getUint8(o + 4);
      iface.unitsPerSecond = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
    }
    o += 4 + ((len + 3) & ~3);
  }
  return iface;
}

/** Every packet of a pcapng file; throws PcapngError when it is not one. */
export function readPcapngPackets(bytes: Uint8Array): PcapPacket[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 28 || v.getUint32(0, true) !== SHB) {
    throw new PcapngError("not a pcapng file (no section header block)");
  }
  let le = true;
  let ifaces: Iface[] = [];
  const out: PcapPacket[] = [];
  for (let at = 0; at + 12 <= bytes.length;) {
    let type = v.getUint32(at, le);
    if (v.getUint32(at, true) === SHB) {
      le = v.getUint32(at + 8, true) === MAGIC;
      if (!le && v.getUint32(at + 8, false) !== MAGIC) {
        throw new PcapngError(`bad byte-order magic at offset ${at}`);
      }
      type = SHB;
      ifaces = [];
    }
    const length = v.getUint32(at + 4, le);
    if (length < 12 || length % 4 !== 0 || at + length > bytes.length) {
      throw new PcapngError(`block at offset ${at}: length ${length} runs past the file`);
    }
    if (type === IDB) ifaces.push(ifaceOf(v, at, length, le));
    else if (type === EPB) {
      const iface = ifaces[v.getUint32(at + 8, le)];
      if (!iface) throw new PcapngError(`packet at offset ${at} names an unknown interface`);
      const ticks = (BigInt(v.getUint32(at + 12, le)) << 32n) | BigInt(v.getUint32(at + 16, le));
      const ns = ticks * 1_000_000_000n / iface.unitsPerSecond;
      const caplen = v.getUint32(at + 20, le);
      if (28 + caplen > length) throw new PcapngError(`packet at offset ${at}: bad length`);
      out.push({
        number: out.length + 1,
        timeUs: Number(ns / 1000n),
        extraNs: Number(ns % 1000n),
        linkType: iface.linkType,
        interfaceName: iface.name,
        capturedLength: caplen,
        originalLength: v.getUint32(at + 24, le),
        data: bytes.subarray(at + 28, at + 28 + caplen),
        blockOffset: at,
        blockLength: length,
      });
    } else if (type === SPB) {
      const iface = ifaces[0];
      const orig = v.getUint32(at + 8, le);
      const caplen = Math.min(orig, length - 16);
      out.push({
        number: out.length + 1,
        timeUs: 0,
        extraNs: 0,
        linkType: iface?.linkType ?? 1,
        interfaceName: iface?.name ?? "",
        capturedLength: caplen,
        originalLength: orig,
        data: bytes.subarray(at + 12, at + 12 + caplen),
        blockOffset: at,
        blockLength: length,
      });
    }
    at += length;
  }
  return out;
}

/**
 * The file with only the packets numbered in `keep` (other blocks kept as they are); the
 * file itself when every packet is kept.
 */
export function subsetPcapng(
  bytes: Uint8Array,
  packets: PcapPacket[],
  keep: Set<number>,
): Uint8Array {
  if (packets.every((p) => keep.has(p.number))) return bytes;
  const drop = new Set(packets.filter((p) => !keep.has(p.number)).map((p) => p.blockOffset));
  const parts: Uint8Array[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  for (let at = 0; at + 12 <= bytes.length;) {
    if (v.getUint32(at, true) === SHB) le = v.getUint32(at + 8, true) === MAGIC;
    const length = v.getUint32(at + 4, le);
    if (length < 12) break;
    if (!drop.has(at)) parts.push(bytes.subarray(at, at + length));
    at += length;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), o += p.length;
  return out;
}
