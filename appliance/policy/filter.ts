/**
 * tcpdump filter expressions: compiled by libpcap's own `pcap_compile` (so the language and its
 * error messages are libpcap's), then run in TypeScript by bpf_js.ts, per packet, without FFI.
 */
import {
  BPF_INSN_SIZE,
  BPF_PROGRAM_INSNS_OFFSET,
  BPF_PROGRAM_SIZE,
  type CapturedPacket,
  cString,
  libpcap,
  LibpcapError,
  LinkType,
  openHeaderOnlySavefile,
  type PacketSource,
  readCString,
} from "../capture/mod.ts";
import { type BpfMatcher, type BpfProgram, bpfProgram } from "./bpf.ts";
import { type BpfBackend, compileBpf } from "./bpf_js.ts";

/** libpcap's MAXIMUM_SNAPLEN, what tcpdump compiles with when the file says nothing smaller. */
export const DEFAULT_SNAP_LENGTH = 262_144;

/** A filter expression libpcap rejects (or libpcap is unavailable). */
export class FilterError extends Error {
  override name = "FilterError";
  readonly expression: string;
  /** libpcap's own message, verbatim (e.g. `syntax error`). */
  readonly reason: string;
  constructor(expression: string, reason: string, options: { cause?: unknown } = {}) {
    super(`invalid filter ${JSON.stringify(expression)}: ${reason}`, { cause: options.cause });
    this.expression = expression;
    this.reason = reason;
  }
}

export interface CompileFilterOptions {
  /** LINKTYPE_* of the packets (default Ethernet). */
  linkType?: number;
  snapLength?: number;
  /** Run libpcap's optimiser, as tcpdump does unless `-O` (default true). */
  optimize?: boolean;
  /**
   * IPv4 netmask for `ip broadcast`, host byte order. Default 0: what tcpdump passes when it
   * reads a file, so that our matches equal `tcpdump -r`.
   */
  netmask?: number;
  /**
   * The packets come from a capture file written in this byte order: compile what `tcpdump -r`
   * compiles for it. Omitted: packets captured live on this host.
   */
  fileByteOrder?: "little" | "big";
}

/**
 * pcap_open_dead takes a DLT_* value; the LINKTYPE_* values in files differ from it only for
 * these (libpcap's linktype_to_dlt on Linux).
 */
const DLT_OF_LINKTYPE: Record<number, number> = { 100: 11, [LinkType.Raw]: 12 };

/** Compiles a tcpdump expression to classic BPF with libpcap; throws {@link FilterError}. */
export function compileFilter(expression: string, options: CompileFilterOptions = {}): BpfProgram {
  let lib;
  try {
    lib = libpcap();
  } catch (err) {
    if (err instanceof LibpcapError) throw new FilterError(expression, err.message, { cause: err });
    throw err;
  }
  const linkType = options.linkType ?? LinkType.Ethernet;
  const snapLength = options.snapLength ?? DEFAULT_SNAP_LENGTH;
  let handle: Deno.PointerValue;
  if (options.fileByteOrder === undefined) {
    handle = lib.pcap_open_dead(DLT_OF_LINKTYPE[linkType] ?? linkType, snapLength);
  } else {
    try {
      handle = openHeaderOnlySavefile(linkType, snapLength, options.fileByteOrder === "big");
    } catch (err) {
      if (err instanceof LibpcapError) {
        throw new FilterError(expression, err.message, { cause: err });
      }
      throw err;
    }
  }
  if (handle === null) throw new FilterError(expression, "pcap_open_dead failed");
  try {
    const program = new Uint8Array(BPF_PROGRAM_SIZE);
    const status = lib.pcap_compile(
      handle,
      program,
      cString(expression),
      options.optimize === false ? 0 : 1,
      (options.netmask ?? 0) >>> 0,
    );
    if (status !== 0) throw new FilterError(expression, readCString(lib.pcap_geterr(handle)));
    try {
      return readProgram(program);
    } finally {
      lib.pcap_freecode(program);
    }
  } finally {
    lib.pcap_close(handle);
  }
}

/** Copies the instructions out of a filled `struct bpf_program` (host order: little-endian). */
function readProgram(program: Uint8Array<ArrayBuffer>): BpfProgram {
  const header = new DataView(program.buffer);
  const count = header.getUint32(0, true);
  const pointer = Deno.UnsafePointer.create(header.getBigUint64(BPF_PROGRAM_INSNS_OFFSET, true));
  if (count === 0 || pointer === null) return bpfProgram([]);
  const insns = new DataView(
    Deno.UnsafePointerView.getArrayBuffer(pointer, count * BPF_INSN_SIZE).slice(0),
  );
  return bpfProgram(Array.from({ length: count }, (_, i) => ({
    code: insns.getUint16(i * BPF_INSN_SIZE, true),
    jt: insns.getUint8(i * BPF_INSN_SIZE + 2),
    jf: insns.getUint8(i * BPF_INSN_SIZE + 3),
    k: insns.getUint32(i * BPF_INSN_SIZE + 4, true),
  })));
}

/**
 * How to compile filters for packets from `source`: a capture file's byte order matters to
 * libpcap for the loopback link type (see {@link CompileFilterOptions.fileByteOrder}).
 */
export function filterOptionsFor(source: PacketSource): PacketFilterOptions {
  const bigEndian = (source as { bigEndian?: unknown }).bigEndian;
  return { fileByteOrder: bigEndian === true ? "big" : "little" };
}

export interface PacketFilterOptions {
  snapLength?: number;
  optimize?: boolean;
  netmask?: number;
  fileByteOrder?: "little" | "big";
  /** Use the reference interpreter instead of the compiled function (for comparisons). */
  interpret?: boolean;
}

interface LinkProgram {
  linkType: number;
  matcher: BpfMatcher | undefined;
  reason: string;
}

/**
 * A tcpdump expression ready to test packets. Compiled up front for the first link type (so a bad
 * expression fails at once) and lazily for any other link type a pcapng interface brings; packets
 * of a link type the expression cannot apply to never match and are counted.
 */
export class PacketFilter {
  readonly expression: string;
  readonly backend: BpfBackend;
  /** Packets that did not match. */
  rejected = 0;
  /** Packets not matched because the expression does not compile for their link type. */
  unsupportedLinkType = 0;
  readonly #options: PacketFilterOptions;
  readonly #linkType: number;
  readonly #matcher: BpfMatcher;
  readonly #others: LinkProgram[] = [];

  /** Throws {@link FilterError} when libpcap rejects the expression for `linkType`. */
  constructor(expression: string, linkType: number, options: PacketFilterOptions = {}) {
    this.expression = expression;
    this.#options = options;
    this.#linkType = linkType;
    const compiled = this.#compile(linkType);
    this.#matcher = compiled.matcher;
    this.backend = compiled.backend;
  }

  #compile(linkType: number) {
    const program = compileFilter(this.expression, { ...this.#options, linkType });
    return compileBpf(program, { interpret: this.#options.interpret });
  }

  /** True when the packet passes the filter; otherwise counts it. */
  matches(packet: CapturedPacket): boolean {
    let matcher = this.#matcher;
    if (packet.linkType !== this.#linkType) {
      const other = this.#forLinkType(packet.linkType);
      if (other === undefined) {
        this.unsupportedLinkType++;
        this.rejected++;
        return false;
      }
      matcher = other;
    }
    if (
      matcher(packet.buffer, packet.dataOffset, packet.capturedLength, packet.originalLength) !==
        0
    ) {
      return true;
    }
    this.rejected++;
    return false;
  }

  #forLinkType(linkType: number): BpfMatcher | undefined {
    let entry = this.#others.find((o) => o.linkType === linkType);
    if (entry === undefined) {
      entry = { linkType, matcher: undefined, reason: "" };
      try {
        entry.matcher = this.#compile(linkType).matcher;
      } catch (err) {
        if (!(err instanceof FilterError)) throw err;
        entry.reason = err.reason;
      }
      this.#others.push(entry);
    }
    return entry.matcher;
  }

  /** Link types seen whose packets the expression could not apply to, with libpcap's reason. */
  get unsupported(): { linkType: number; reason: string }[] {
    return this.#others.filter((o) => o.matcher === undefined).map((o) => ({
      linkType: o.linkType,
      reason: o.reason,
    }));
  }
}
