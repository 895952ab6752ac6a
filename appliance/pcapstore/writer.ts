/**
 * Writes one pcapng file (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface
 * Description Block per capture point and link type (added when first needed), then Enhanced
 * Packet Blocks with nanosecond times. The file is written as `NAME.part` and renamed to `NAME`
 * only after an fsync, so a reader never sees a file that is still being written.
 */

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
/** EPB header before the frame: type, length, interface, time high/low, captured, original. */
export const EPB_HEADER = 28;
/** Flushes to the file when this much is buffered. */
const BUFFER_BYTES = 1 << 20;
const TWO_32 = 4_294_967_296;

const encoder = new TextEncoder();

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Bytes of one option (code, length, value, padding). */
function optionSize(value: Uint8Array): number {
  return 4 + pad4(value.length);
}

export interface WriterInterface {
  name: string;
  linkType: number;
  snapLength: number;
}

/** An open `.part` file being appended to. Not safe to share between concurrent writers. */
export class PcapngFileWriter {
  /** The final path; the data goes to `${path}.part` until {@link close}. */
  readonly path: string;
  /** Bytes in the file so far, buffered ones included: the offset of the next block. */
  size = 0;
  packets = 0;
  readonly interfaces: WriterInterface[] = [];
  readonly #file: Deno.FsFile;
  readonly #buffer = new Uint8Array(BUFFER_BYTES);
  readonly #view = new DataView(this.#buffer.buffer);
  #used = 0;
  #comment: Uint8Array;

  private constructor(path: string, file: Deno.FsFile, comment: string) {
    this.path = path;
    this.#file = file;
    this.#comment = encoder.encode(comment);
  }

  /** Creates `${path}.part` (replacing a stale one) and writes the section header. */
  static create(path: string, comment: string): PcapngFileWriter {
    const file = Deno.openSync(`${path}.part`, { write: true, create: true, truncate: true });
    const writer = new PcapngFileWriter(path, file, comment);
    writer.#writeSectionHeader();
    return writer;
  }

  #ensure(bytes: number): void {
    if (this.#used + bytes > this.#buffer.length) this.flush();
  }

  #option(at: number, code: number, value: Uint8Array): number {
    const v = this.#view;
    v.setUint16(at, code, true);
    v.setUint16(at + 2, value.length, true);
    this.#buffer.set(value, at + 4);
    this.#buffer.fill(0, at + 4 + value.length, at + optionSize(value));
    return at + optionSize(value);
  }

  #writeSectionHeader(): void {
    const app = encoder.encode("Tapline appliance");
    const length = 12 + 16 + optionSize(this.#comment) + optionSize(app) + 4;
    this.#ensure(length);
    const v = this.#view;
    const at = this.#used;
    v.setUint32(at, SHB, true);
    v.setUint32(at + 4, length, true);
    v.setUint32(at + 8, BYTE_ORDER_MAGIC, true);
    v.setUint16(at + 12, 1, true);
    v.setUint16(at + 14, 0, true);
    // Section length unknown (-1): the file is written in one pass.
    v.setInt32(at + 16, -1, true);
    v.setInt32(at + 20, -1, true);
    let o = this.#option(at + 24, OPT_COMMENT, this.#comment);
    o = this.#option(o, SHB_USERAPPL, app);
    v.setUint32(o, OPT_END, true);
    v.setUint32(at + length - 4, length, true);
    this.#used += length;
    this.size += length;
  }

  /**
   * The id of the interface `name` with `linkType` in this file, writing its IDB on first use (an
   * IDB may come anywhere before the first packet that names it).
   */
  interfaceId(name: string, linkType: number, snapLength: number): number {
    const list = this.interfaces;
    for (let i = 0; i < list.length; i++) {
      const it = list[i]!;
      if (it.linkType === linkType && it.name === name) return i;
    }
    const nameBytes = encoder.encode(name);
    const tsresol = new Uint8Array([9]);
    const length = 12 + 8 + optionSize(nameBytes) + optionSize(tsresol) +
      optionSize(this.#comment) + 4;
    this.#ensure(length);
    const v = this.#view;
    const at = this.#used;
    v.setUint32(at, IDB, true);
    v.setUint32(at + 4, length, true);
    v.setUint16(at + 8, linkType, true);
    v.setUint16(at + 10, 0, true);
    v.setUint32(at + 12, snapLength, true);
    let o = this.#option(at + 16, IF_NAME, nameBytes);
    o = this.#option(o, IF_TSRESOL, tsresol);
    o = this.#option(o, OPT_COMMENT, this.#comment);
    v.setUint32(o, OPT_END, true);
    v.setUint32(at + length - 4, length, true);
    this.#used += length;
    this.size += length;
    list.push({ name, linkType, snapLength });
    return list.length - 1;
  }

  /**
   * Appends one packet: `captured` bytes of `frame` from `offset`. Returns the block's offset in
   * the file. Allocates nothing unless the frame is larger than the buffer.
   */
  writePacket(
    interfaceId: number,
    timestampUs: number,
    extraNs: number,
    frame: Uint8Array,
    offset: number,
    captured: number,
    original: number,
  ): number {
    const length = EPB_HEADER + pad4(captured) + 4;
    this.#ensure(length);
    const blockOffset = this.size;
    if (length > this.#buffer.length) {
      // A frame larger than the buffer (only with an unusual snap length): write it directly.
      this.flush();
      const block = new Uint8Array(length);
      this.#fillEpb(
        new DataView(block.buffer),
        0,
        interfaceId,
        timestampUs,
        extraNs,
        captured,
        original,
        length,
      );
      block.set(frame.subarray(offset, offset + captured), EPB_HEADER);
      this.#writeAll(block);
    } else {
      const at = this.#used;
      this.#fillEpb(this.#view, at, interfaceId, timestampUs, extraNs, captured, original, length);
      this.#buffer.set(frame.subarray(offset, offset + captured), at + EPB_HEADER);
      this.#buffer.fill(0, at + EPB_HEADER + captured, at + length - 4);
      this.#view.setUint32(at + length - 4, length, true);
      this.#used += length;
    }
    this.size += length;
    this.packets++;
    return blockOffset;
  }

  #fillEpb(
    v: DataView,
    at: number,
    interfaceId: number,
    timestampUs: number,
    extraNs: number,
    captured: number,
    original: number,
    length: number,
  ): void {
    // ns = us * 1000 + extra, split into 32-bit halves without passing 2^53.
    const usHigh = Math.floor(timestampUs / TWO_32);
    const lowNs = (timestampUs - usHigh * TWO_32) * 1000 + extraNs;
    const carry = Math.floor(lowNs / TWO_32);
    v.setUint32(at, EPB, true);
    v.setUint32(at + 4, length, true);
    v.setUint32(at + 8, interfaceId, true);
    v.setUint32(at + 12, usHigh * 1000 + carry, true);
    v.setUint32(at + 16, lowNs - carry * TWO_32, true);
    v.setUint32(at + 20, captured, true);
    v.setUint32(at + 24, original, true);
    v.setUint32(at + length - 4, length, true);
  }

  #writeAll(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) done += this.#file.writeSync(bytes.subarray(done));
  }

  /** Writes out what is buffered (the file stays `.part`). */
  flush(): void {
    if (this.#used === 0) return;
    this.#writeAll(this.#buffer.subarray(0, this.#used));
    this.#used = 0;
  }

  /** Flushes, fsyncs, closes and renames `NAME.part` to `NAME`. */
  close(): void {
    this.flush();
    this.#file.syncSync();
    this.#file.close();
    Deno.renameSync(`${this.path}.part`, this.path);
  }
}

export interface RecoveryResult {
  /** The path of the usable file, or null when nothing usable was left (the .part is removed). */
  path: string | null;
  /** Bytes cut off the end (an incomplete block). */
  trimmedBytes: number;
  /** Complete blocks kept. */
  blocks: number;
}

/**
 * Makes a leftover `NAME.part` (a writer killed before closing) readable: keeps the blocks up to
 * the last complete one (both length fields equal, within the file), truncates the rest, fsyncs
 * and renames it to `NAME`. A file without a complete section header and at least one interface
 * is removed.
 */
export function recoverPart(partPath: string): RecoveryResult {
  const bytes = Deno.readFileSync(partPath);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  let blocks = 0;
  let interfaces = 0;
  while (at + 12 <= bytes.length) {
    const type = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    if (length < 12 || length % 4 !== 0 || at + length > bytes.length) break;
    if (view.getUint32(at + length - 4, true) !== length) break;
    if (blocks === 0 && (type !== SHB || view.getUint32(at + 8, true) !== BYTE_ORDER_MAGIC)) break;
    if (blocks > 0 && type === SHB) break;
    if (type === IDB) interfaces++;
    at += length;
    blocks++;
  }
  if (blocks === 0 || interfaces === 0) {
    Deno.removeSync(partPath);
    return { path: null, trimmedBytes: bytes.length, blocks: 0 };
  }
  const file = Deno.openSync(partPath, { write: true });
  try {
    file.truncateSync(at);
    file.syncSync();
  } finally {
    file.close();
  }
  const path = partPath.replace(/\.part$/, "");
  Deno.renameSync(partPath, path);
  return { path, trimmedBytes: bytes.length - at, blocks };
}
