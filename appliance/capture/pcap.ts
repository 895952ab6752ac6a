import { CaptureError } from "./errors.ts";
import { CapturedPacket, type PacketSource } from "./packet.ts";

const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
/** libpcap's MAXIMUM_SNAPLEN: larger records are corrupt unless the header's snaplen says more. */
const MAX_RECORD_LENGTH = 262_144;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/** Hex of the first bytes of a file, as they appear in the file. */
export function hexPrefix(bytes: Uint8Array, count = 4): string {
  let hex = "";
  for (let i = 0; i < Math.min(count, bytes.length); i++) {
    hex += bytes[i]!.toString(16).padStart(2, "0");
  }
  return `0x${hex}`;
}

/** Reads a classic pcap file held in one buffer; see {@link readPcap}. */
export class PcapReader implements PacketSource {
  readonly format = "pcap";
  readonly linkType: number;
  /** Timestamps in the file are nanoseconds (magic a1b23c4d) rather than microseconds. */
  readonly nanosecond: boolean;
  /** The file was written on a big-endian machine. */
  readonly bigEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snapLength: number;
  /** FCS length in bytes announced by the link-type field's upper bits (0 when absent). */
  readonly fcsLength: number;
  readonly packet: CapturedPacket = new CapturedPacket();
  error: CaptureError | undefined = undefined;

  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #little: boolean;
  readonly #maxRecord: number;
  #position = FILE_HEADER_LENGTH;
  #count = 0;

  constructor(bytes: Uint8Array) {
    if (bytes.length < 4) {
      throw new CaptureError(
        "truncated_file_header",
        `not a pcap file (only ${bytes.length} bytes)`,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const big = view.getUint32(0, false);
    const little = view.getUint32(0, true);
    let isLittle: boolean;
    if (little === MAGIC_US || little === MAGIC_NS) isLittle = true;
    else if (big === MAGIC_US || big === MAGIC_NS) isLittle = false;
    else throw new CaptureError("bad_magic", `not a pcap file (bad magic ${hexPrefix(bytes)})`);
    if (bytes.length < FILE_HEADER_LENGTH) {
      throw new CaptureError(
        "truncated_file_header",
        `truncated pcap file header: need ${FILE_HEADER_LENGTH} bytes, have ${bytes.length}`,
      );
    }
    this.#bytes = bytes;
    this.#view = view;
    this.#little = isLittle;
    this.bigEndian = !isLittle;
    this.nanosecond = view.getUint32(0, isLittle) === MAGIC_NS;
    this.versionMajor = view.getUint16(4, isLittle);
    this.versionMinor = view.getUint16(6, isLittle);
    // Version 2.4 is current; 2.2 and 2.3 files differ only in details libpcap ignores.
    if (this.versionMajor !== 2 || this.versionMinor > 4) {
      throw new CaptureError(
        "unsupported_version",
        `unsupported pcap version ${this.versionMajor}.${this.versionMinor} (expected 2.x, x ≤ 4)`,
      );
    }
    this.snapLength = view.getUint32(16, isLittle);
    const linkField = view.getUint32(20, isLittle);
    // draft-ietf-opsawg-pcap §4: bits 0–15 link type, bit 28 F, bits 29–31 FCS length in 16-bit words.
    this.linkType = linkField & 0xffff;
    this.fcsLength = (linkField & 0x10000000) !== 0 ? (linkField >>> 29) * 2 : 0;
    this.#maxRecord = Math.max(this.snapLength, MAX_RECORD_LENGTH);
    this.packet.linkType = this.linkType;
    this.packet.buffer = bytes;
  }

  next(): boolean {
    const bytes = this.#bytes;
    const at = this.#position;
    if (at >= bytes.length) return false;
    const number = this.#count + 1;
    const left = bytes.length - at;
    if (left < RECORD_HEADER_LENGTH) {
      return this.#fail(
        "truncated_record_header",
        `truncated record header: packet ${number} at byte offset ${at} needs ${RECORD_HEADER_LENGTH} bytes, only ${left} present`,
        number,
        at,
      );
    }
    const view = this.#view;
    const little = this.#little;
    const seconds = view.getUint32(at, little);
    const fraction = view.getUint32(at + 4, little);
    const captured = view.getUint32(at + 8, little);
    const original = view.getUint32(at + 12, little);
    const dataOffset = at + RECORD_HEADER_LENGTH;
    const present = bytes.length - dataOffset;
    if (captured > present) {
      return this.#fail(
        "truncated_packet",
        `truncated packet data: packet ${number} at byte offset ${at} needs ${captured} bytes, only ${present} present`,
        number,
        at,
      );
    }
    if (captured > this.#maxRecord) {
      return this.#fail(
        "bad_record",
        `corrupt record header: packet ${number} at byte offset ${at} claims ${captured} captured bytes (limit ${this.#maxRecord})`,
        number,
        at,
      );
    }
    const packet = this.packet;
    packet.number = number;
    if (this.nanosecond) {
      const micros = Math.floor(fraction / 1000);
      packet.timestampUs = seconds * 1_000_000 + micros;
      packet.extraNs = fraction - micros * 1000;
    } else {
      packet.timestampUs = seconds * 1_000_000 + fraction;
    }
    packet.capturedLength = captured;
    packet.originalLength = original < captured ? captured : original;
    packet.dataOffset = dataOffset;
    this.#position = dataOffset + captured;
    this.#count = number;
    return true;
  }

  /** Packets returned so far. */
  get count(): number {
    return this.#count;
  }

  #fail(
    code: "truncated_record_header" | "truncated_packet" | "bad_record",
    message: string,
    packetNumber: number,
    offset: number,
  ): false {
    this.error = new CaptureError(code, message, { packetNumber, offset });
    this.#position = this.#bytes.length;
    return false;
  }
}

/**
 * Opens a classic pcap file (magic a1b2c3d4 µs or a1b23c4d ns, either byte order) held in one
 * buffer. Throws {@link CaptureError} when the file header is unusable; damage later in the file
 * is reported through `reader.error` after the good packets.
 */
export function readPcap(bytes: Uint8Array): PcapReader {
  return new PcapReader(bytes);
}
