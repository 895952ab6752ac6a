import { CaptureError, type CaptureErrorCode } from "./errors.ts";
import { CapturedPacket, type PacketSource } from "./packet.ts";
import { hexPrefix } from "./pcap.ts";
import { InterfaceClock } from "./_pcapng_clock.ts";

// draft-ietf-opsawg-pcapng §4: every block is type u32, total length u32, body, total length u32.
const BLOCK_OVERHEAD = 12;
const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const OPB = 0x00000002;
const SPB = 0x00000003;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** SHB: byte-order magic, major, minor, section length. */
const SHB_BODY = 16;
/** EPB: interface id, timestamp high/low, captured length, original length. */
const EPB_FIXED = 20;
/** IDB: link type, reserved, snap length; options follow. */
const IDB_FIXED = 8;
const OPTION_TSRESOL = 9;
const OPTION_TSOFFSET = 14;
const TWO_32 = 4_294_967_296;

const BLOCK_NAMES: Record<number, string> = {
  [SHB]: "SHB",
  [IDB]: "IDB",
  [OPB]: "OPB",
  [SPB]: "SPB",
  0x00000004: "NRB",
  0x00000005: "ISB",
  [EPB]: "EPB",
  0x0000000a: "DSB",
};

function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `type 0x${type.toString(16).padStart(8, "0")}`;
}

interface Interface {
  linkType: number;
  /** 0 means no limit. */
  snapLength: number;
  clock: InterfaceClock;
}

/**
 * Reads a pcapng file held in one buffer: every section (each with its own byte order and
 * interfaces), Enhanced, Simple and obsolete Packet Blocks; other blocks are skipped. Each packet
 * carries the link type of its own interface.
 */
export class PcapngReader implements PacketSource {
  readonly format = "pcapng";
  /** Link type of the first interface of the file (0 when it has none before its first packet). */
  readonly linkType: number;
  /** The first section was written on a big-endian machine. */
  readonly bigEndian: boolean;
  readonly packet: CapturedPacket = new CapturedPacket();
  error: CaptureError | undefined = undefined;
  /** Sections read so far. */
  sections = 0;

  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #little = true;
  #position = 0;
  #blocks = 0;
  #count = 0;
  readonly #interfaces: Interface[] = [];

  constructor(bytes: Uint8Array) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 4 || view.getUint32(0, false) !== SHB) {
      throw new CaptureError("bad_magic", `not a pcapng file (bad magic ${hexPrefix(bytes)})`);
    }
    if (bytes.length < BLOCK_OVERHEAD + SHB_BODY) {
      throw new CaptureError(
        "truncated_file_header",
        `truncated pcapng section header: need ${
          BLOCK_OVERHEAD + SHB_BODY
        } bytes, have ${bytes.length}`,
      );
    }
    const magic = view.getUint32(8, true);
    if (magic !== BYTE_ORDER_MAGIC && view.getUint32(8, false) !== BYTE_ORDER_MAGIC) {
      throw new CaptureError(
        "bad_magic",
        `not a pcapng file (bad byte-order magic ${hexPrefix(bytes.subarray(8))})`,
      );
    }
    const little = magic === BYTE_ORDER_MAGIC;
    const major = view.getUint16(12, little);
    const minor = view.getUint16(14, little);
    if (major !== 1) {
      throw new CaptureError(
        "unsupported_version",
        `unsupported pcapng version ${major}.${minor} (expected 1.x)`,
      );
    }
    this.#bytes = bytes;
    this.#view = view;
    this.#little = little;
    this.bigEndian = !little;
    this.linkType = this.#firstLinkType();
    this.packet.buffer = bytes;
  }

  next(): boolean {
    const bytes = this.#bytes;
    const view = this.#view;
    while (this.#position < bytes.length) {
      const at = this.#position;
      const number = this.#blocks + 1;
      const left = bytes.length - at;
      if (left < BLOCK_OVERHEAD) {
        return this.#fail(
          "truncated_block",
          `truncated block header: block ${number} at byte offset ${at} needs ${BLOCK_OVERHEAD} bytes, only ${left} present`,
          number,
          at,
        );
      }
      const type = view.getUint32(at, this.#little);
      if (type === SHB && !this.#startSection(at, number)) return false;
      const little = this.#little;
      const length = view.getUint32(at + 4, little);
      if (length < BLOCK_OVERHEAD || length % 4 !== 0) {
        return this.#fail(
          "bad_block",
          `corrupt block: block ${number} (${
            blockName(type)
          }) at byte offset ${at} has total length ${length} (need a multiple of 4, at least ${BLOCK_OVERHEAD})`,
          number,
          at,
        );
      }
      if (length > left) {
        return this.#fail(
          "truncated_block",
          `truncated block: block ${number} (${
            blockName(type)
          }) at byte offset ${at} needs ${length} bytes, only ${left} present`,
          number,
          at,
        );
      }
      const trailer = view.getUint32(at + length - 4, little);
      if (trailer !== length) {
        return this.#fail(
          "bad_block",
          `block total length mismatch: block ${number} (${
            blockName(type)
          }) at byte offset ${at} starts with ${length} and ends with ${trailer}`,
          number,
          at,
        );
      }
      this.#blocks = number;
      this.#position = at + length;
      const body = at + 8;
      const bodyLength = length - BLOCK_OVERHEAD;
      if (type === EPB || type === OPB) {
        if (this.#enhanced(type, body, bodyLength, number, at)) return true;
        if (this.error !== undefined) return false;
      } else if (type === SPB) {
        if (this.#simple(body, bodyLength, number, at)) return true;
        if (this.error !== undefined) return false;
      } else if (type === IDB) {
        if (!this.#addInterface(body, bodyLength, number, at)) return false;
      }
    }
    return false;
  }

  /** Packets returned so far. */
  get count(): number {
    return this.#count;
  }

  /** Interfaces defined in the current section. */
  get interfaceCount(): number {
    return this.#interfaces.length;
  }

  /** Reads a Section Header Block's byte order and version; each section starts afresh. */
  #startSection(at: number, number: number): boolean {
    const view = this.#view;
    const left = this.#bytes.length - at;
    if (left < BLOCK_OVERHEAD + SHB_BODY) {
      return this.#fail(
        "truncated_block",
        `truncated block: block ${number} (SHB) at byte offset ${at} needs ${
          BLOCK_OVERHEAD + SHB_BODY
        } bytes, only ${left} present`,
        number,
        at,
      );
    }
    let little: boolean;
    if (view.getUint32(at + 8, true) === BYTE_ORDER_MAGIC) little = true;
    else if (view.getUint32(at + 8, false) === BYTE_ORDER_MAGIC) little = false;
    else {
      return this.#fail(
        "bad_block",
        `corrupt block: block ${number} (SHB) at byte offset ${at} has bad byte-order magic ${
          hexPrefix(this.#bytes.subarray(at + 8))
        }`,
        number,
        at,
      );
    }
    const major = view.getUint16(at + 12, little);
    if (major !== 1) {
      return this.#fail(
        "bad_block",
        `unsupported section: block ${number} (SHB) at byte offset ${at} has version ${major}.${
          view.getUint16(at + 14, little)
        } (expected 1.x)`,
        number,
        at,
      );
    }
    this.#little = little;
    this.#interfaces.length = 0;
    this.sections++;
    return true;
  }

  #addInterface(body: number, bodyLength: number, number: number, at: number): boolean {
    if (bodyLength < IDB_FIXED) return this.#short("IDB", IDB_FIXED, bodyLength, number, at);
    const view = this.#view;
    const little = this.#little;
    let tsresol = 6;
    let offsetSeconds = 0;
    const end = body + bodyLength;
    let option = body + IDB_FIXED;
    while (option + 4 <= end) {
      const code = view.getUint16(option, little);
      const size = view.getUint16(option + 2, little);
      if (code === 0) break;
      const value = option + 4;
      if (value + size > end) {
        return this.#fail(
          "bad_block",
          `corrupt block: block ${number} (IDB) at byte offset ${at}: option ${code} at byte offset ${option} needs ${size} bytes, only ${
            end - value
          } present`,
          number,
          at,
        );
      }
      if (code === OPTION_TSRESOL && size >= 1) tsresol = this.#bytes[value]!;
      if (code === OPTION_TSOFFSET && size >= 8) {
        // i64 seconds, in the section's byte order.
        const high = view.getInt32(value + (little ? 4 : 0), little);
        const low = view.getUint32(value + (little ? 0 : 4), little);
        offsetSeconds = high * TWO_32 + low;
      }
      option = value + ((size + 3) & ~3);
    }
    this.#interfaces.push({
      linkType: view.getUint16(body, little),
      snapLength: view.getUint32(body + 4, little),
      clock: new InterfaceClock(tsresol, offsetSeconds),
    });
    return true;
  }

  /** EPB and the obsolete Packet Block share a layout but for a 16-bit interface id in the OPB. */
  #enhanced(type: number, body: number, bodyLength: number, number: number, at: number): boolean {
    const name = type === EPB ? "EPB" : "OPB";
    if (bodyLength < EPB_FIXED) return this.#short(name, EPB_FIXED, bodyLength, number, at);
    const view = this.#view;
    const little = this.#little;
    const id = type === EPB ? view.getUint32(body, little) : view.getUint16(body, little);
    const spec = this.#interfaces[id];
    if (spec === undefined) return this.#noInterface(name, id, number, at);
    const captured = view.getUint32(body + 12, little);
    const original = view.getUint32(body + 16, little);
    if (captured > bodyLength - EPB_FIXED) {
      return this.#short(name, EPB_FIXED + captured, bodyLength, number, at);
    }
    spec.clock.stamp(
      view.getUint32(body + 4, little),
      view.getUint32(body + 8, little),
      this.packet,
    );
    this.#emit(spec, id, body + EPB_FIXED, captured, original);
    return true;
  }

  /** §4.4: an SPB belongs to interface 0 and has no timestamp; it keeps the previous one. */
  #simple(body: number, bodyLength: number, number: number, at: number): boolean {
    if (bodyLength < 4) return this.#short("SPB", 4, bodyLength, number, at);
    const spec = this.#interfaces[0];
    if (spec === undefined) return this.#noInterface("SPB", 0, number, at);
    const original = this.#view.getUint32(body, this.#little);
    let captured = bodyLength - 4;
    if (original < captured) captured = original;
    if (spec.snapLength !== 0 && spec.snapLength < captured) captured = spec.snapLength;
    this.#emit(spec, 0, body + 4, captured, original);
    return true;
  }

  #emit(spec: Interface, id: number, data: number, captured: number, original: number): void {
    const packet = this.packet;
    const number = this.#count + 1;
    packet.number = number;
    packet.linkType = spec.linkType;
    packet.interfaceId = id;
    packet.capturedLength = captured;
    packet.originalLength = original < captured ? captured : original;
    packet.dataOffset = data;
    this.#count = number;
  }

  #short(name: string, need: number, have: number, number: number, at: number): false {
    return this.#fail(
      "bad_block",
      `corrupt block: block ${number} (${name}) at byte offset ${at} needs ${need} bytes of body, only ${have} present`,
      number,
      at,
    );
  }

  #noInterface(name: string, id: number, number: number, at: number): false {
    return this.#fail(
      "bad_block",
      `corrupt block: block ${number} (${name}) at byte offset ${at} refers to interface ${id}, but its section defines ${this.#interfaces.length}`,
      number,
      at,
    );
  }

  #fail(code: CaptureErrorCode, message: string, blockNumber: number, offset: number): false {
    this.error = new CaptureError(code, message, {
      packetNumber: this.#count + 1,
      offset,
      blockNumber,
    });
    this.#position = this.#bytes.length;
    return false;
  }

  /** Link type of the first IDB of the first section, found without reading packets. */
  #firstLinkType(): number {
    const view = this.#view;
    const little = this.#little;
    let at = 0;
    while (at + BLOCK_OVERHEAD <= this.#bytes.length) {
      const type = view.getUint32(at, little);
      const length = view.getUint32(at + 4, little);
      if (type === IDB && length >= BLOCK_OVERHEAD + IDB_FIXED) {
        return view.getUint16(at + 8, little);
      }
      if (type === EPB || type === SPB || type === OPB || (type === SHB && at > 0)) break;
      if (length < BLOCK_OVERHEAD || length % 4 !== 0) break;
      at += length;
    }
    return 0;
  }
}

/**
 * Opens a pcapng file held in one buffer. Throws {@link CaptureError} when its first section
 * header is unusable; damage later is reported through `reader.error` after the good packets.
 */
export function readPcapng(bytes: Uint8Array): PcapngReader {
  return new PcapngReader(bytes);
}
