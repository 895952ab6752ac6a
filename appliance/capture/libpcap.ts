/**
 * FFI bindings to the system libpcap (Debian's `libpcap0.8`), loaded on first use. Only what the
 * appliance needs: compiling filters against a dead handle, and live capture. Struct layouts are
 * written by hand for x86_64 Linux (LP64); {@link libpcap} refuses other machines.
 */

/** Where Debian's libpcap0.8 package installs the shared library. */
export const LIBPCAP_PATH = "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8";

/** PCAP_ERRBUF_SIZE: every `errbuf` argument must have room for this many bytes. */
export const PCAP_ERRBUF_SIZE = 256;

/** `struct bpf_program` { u_int bf_len; struct bpf_insn *bf_insns; } — pointer at offset 8. */
export const BPF_PROGRAM_SIZE = 16;
export const BPF_PROGRAM_INSNS_OFFSET = 8;
/** `struct bpf_insn` { u_short code; u_char jt; u_char jf; bpf_u_int32 k; }. */
export const BPF_INSN_SIZE = 8;

/**
 * `struct pcap_pkthdr` { struct timeval ts (2 × i64); bpf_u_int32 caplen; bpf_u_int32 len; }.
 * `pcap_next_ex` writes a pointer to one into its second argument.
 */
export const PKTHDR = { size: 24, tvSec: 0, tvUsec: 8, caplen: 16, len: 20 } as const;
/** `struct pcap_stat` { u_int ps_recv; u_int ps_drop; u_int ps_ifdrop; } on Linux. */
export const PCAP_STAT = { size: 12, recv: 0, drop: 4, ifdrop: 8 } as const;
/**
 * `struct pcap_if` { next*; char *name; char *description; pcap_addr *addresses; u_int flags; }.
 */
export const PCAP_IF = { next: 0, name: 8, description: 16, addresses: 24, flags: 32 } as const;

/** PCAP_IF_* bits of `pcap_if.flags`. */
export const PcapIfFlag = { Loopback: 0x1, Up: 0x2, Running: 0x4, Wireless: 0x8 } as const;

/** Return codes of `pcap_activate`, `pcap_next_ex` and friends (pcap/pcap.h). */
export const PcapStatus = {
  Ok: 0,
  Error: -1,
  /** `pcap_next_ex`: loop broken by `pcap_breakloop`, or end of a savefile. */
  Break: -2,
  NotActivated: -3,
  Activated: -4,
  NoSuchDevice: -5,
  RfmonNotSupported: -6,
  NotRfmon: -7,
  PermissionDenied: -8,
  InterfaceNotUp: -9,
  CantSetTimestampType: -10,
  PromiscPermissionDenied: -11,
  TimestampPrecisionNotSupported: -12,
  Warning: 1,
  WarningPromiscNotSupported: 2,
  WarningTimestampTypeNotSupported: 3,
} as const;

const SYMBOLS = {
  pcap_lib_version: { parameters: [], result: "pointer" },
  pcap_statustostr: { parameters: ["i32"], result: "pointer" },
  // Compiling filters.
  pcap_open_dead: { parameters: ["i32", "i32"], result: "pointer" },
  pcap_compile: { parameters: ["pointer", "buffer", "buffer", "i32", "u32"], result: "i32" },
  pcap_freecode: { parameters: ["buffer"], result: "void" },
  pcap_geterr: { parameters: ["pointer"], result: "pointer" },
  pcap_close: { parameters: ["pointer"], result: "void" },
  pcap_fopen_offline: { parameters: ["pointer", "buffer"], result: "pointer" },
  // Live capture.
  pcap_create: { parameters: ["buffer", "buffer"], result: "pointer" },
  pcap_set_snaplen: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_promisc: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_timeout: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_immediate_mode: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_buffer_size: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_activate: { parameters: ["pointer"], result: "i32" },
  pcap_setnonblock: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  pcap_get_selectable_fd: { parameters: ["pointer"], result: "i32" },
  pcap_next_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  pcap_stats: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_breakloop: { parameters: ["pointer"], result: "void" },
  pcap_datalink: { parameters: ["pointer"], result: "i32" },
  pcap_setfilter: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_findalldevs: { parameters: ["buffer", "buffer"], result: "i32" },
  pcap_freealldevs: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound libpcap functions, named as in C. */
export type Libpcap = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** libpcap cannot be used here: not installed, not x86_64, or no `--allow-ffi`. */
export class LibpcapError extends Error {
  override name = "LibpcapError";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}

let loaded: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/** Loads libpcap on first call (later calls return the same bindings). */
export function libpcap(): Libpcap {
  if (loaded) return loaded.symbols;
  if (Deno.build.arch !== "x86_64" || Deno.build.os !== "linux") {
    throw new LibpcapError(
      `libpcap bindings are written for x86_64 Linux struct layouts, not ${Deno.build.arch} ${Deno.build.os}`,
    );
  }
  try {
    loaded = Deno.dlopen(LIBPCAP_PATH, SYMBOLS);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const hint =
      err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied
        ? "run with --allow-ffi"
        : "install the libpcap0.8 package";
    throw new LibpcapError(`Cannot load libpcap from ${LIBPCAP_PATH} (${hint}): ${reason}`, {
      cause: err,
    });
  }
  return loaded.symbols;
}

/** Whether libpcap can be loaded here (never throws). */
export function hasLibpcap(): boolean {
  try {
    libpcap();
    return true;
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();

/** A NUL-terminated copy of `text` for `const char *` parameters. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(
    encoder.encodeInto(text, new Uint8Array(text.length * 3 + 1)).written + 1,
  );
  encoder.encodeInto(text, bytes);
  return bytes;
}

/** Reads a NUL-terminated C string; `""` for a null pointer. */
export function readCString(pointer: Deno.PointerValue): string {
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}

/** The text libpcap wrote into an `errbuf` (up to the first NUL). */
export function errbufText(errbuf: Uint8Array): string {
  const end = errbuf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? errbuf : errbuf.subarray(0, end));
}

/** `pcap_lib_version()`, e.g. `"libpcap version 1.10.3 (with TPACKET_V3)"`. */
export function libpcapVersion(): string {
  return readCString(libpcap().pcap_lib_version());
}

/** `pcap_statustostr(code)`: libpcap's wording for a status or warning code. */
export function statusText(code: number): string {
  return readCString(libpcap().pcap_statustostr(code));
}

const LIBC_SYMBOLS = {
  fmemopen: { parameters: ["buffer", "usize", "buffer"], result: "pointer" },
  fclose: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

let libc: Deno.DynamicLibrary<typeof LIBC_SYMBOLS> | undefined;

/**
 * A pcap handle that reads a capture file holding only a file header (no packets), written in
 * the given byte order. Filters compiled on it are the ones `tcpdump -r` compiles for such a
 * file, which differ from `pcap_open_dead`'s for the loopback link type (LINKTYPE_NULL: the
 * address family is in the writer's byte order, and IPv6 has three values across systems).
 * `linkType` is a LINKTYPE_* value (libpcap maps it to its DLT_*). Close with `pcap_close`.
 */
export function openHeaderOnlySavefile(
  linkType: number,
  snapLength: number,
  bigEndian: boolean,
): Deno.PointerObject {
  const lib = libpcap();
  try {
    libc ??= Deno.dlopen("libc.so.6", LIBC_SYMBOLS);
  } catch (err) {
    throw new LibpcapError(`Cannot load libc.so.6: ${String(err)}`, { cause: err });
  }
  const header = new Uint8Array(24);
  const view = new DataView(header.buffer);
  const little = !bigEndian;
  view.setUint32(0, 0xa1b2c3d4, little);
  view.setUint16(4, 2, little);
  view.setUint16(6, 4, little);
  view.setUint32(16, snapLength, little);
  view.setUint32(20, linkType, little);
  // libpcap reads the header while opening and never again, so `header` need only outlive this
  // call; pcap_close closes the memory stream.
  const file = libc.symbols.fmemopen(header, BigInt(header.length), cString("rb"));
  if (file === null) throw new LibpcapError("fmemopen failed");
  const errbuf = new Uint8Array(PCAP_ERRBUF_SIZE);
  const handle = lib.pcap_fopen_offline(file, errbuf);
  if (handle === null) {
    libc.symbols.fclose(file);
    throw new LibpcapError(`pcap_fopen_offline failed: ${errbufText(errbuf)}`);
  }
  return handle;
}

/** One entry of `pcap_findalldevs`. */
export interface PcapDevice {
  name: string;
  description: string;
  /** PCAP_IF_* bits, see {@link PcapIfFlag}. */
  flags: number;
}

/** Lists capture devices with `pcap_findalldevs`; throws {@link LibpcapError} on failure. */
export function findAllDevices(): PcapDevice[] {
  const lib = libpcap();
  const head = new BigUint64Array(1);
  const errbuf = new Uint8Array(PCAP_ERRBUF_SIZE);
  if (lib.pcap_findalldevs(head, errbuf) !== 0) {
    throw new LibpcapError(`pcap_findalldevs failed: ${errbufText(errbuf)}`);
  }
  const devices: PcapDevice[] = [];
  const first = Deno.UnsafePointer.create(head[0]!);
  let node = first;
  while (node !== null) {
    const view = new Deno.UnsafePointerView(node);
    devices.push({
      name: readCString(view.getPointer(PCAP_IF.name)),
      description: readCString(view.getPointer(PCAP_IF.description)),
      flags: view.getUint32(PCAP_IF.flags),
    });
    node = view.getPointer(PCAP_IF.next);
  }
  if (first !== null) lib.pcap_freealldevs(first);
  return devices;
}
