/**
 * The few libc calls live capture needs, bound with `Deno.dlopen` on first use. Constants and
 * struct layouts are those of x86_64 Linux (linux/if_packet.h, sys/socket.h, poll.h).
 */

export const AF_PACKET = 17;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
/** ETH_P_ALL in network byte order, as `socket()` and `sockaddr_ll` want it. */
export const ETH_P_ALL_BE = 0x0300;
export const SOL_PACKET = 263;
export const PACKET_ADD_MEMBERSHIP = 1;
export const PACKET_RX_RING = 5;
export const PACKET_STATISTICS = 6;
export const PACKET_VERSION = 10;
export const PACKET_MR_PROMISC = 1;
export const TPACKET_V3 = 2;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const MAP_PRIVATE = 2;
export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  // Runs on a worker thread, so waiting for packets never blocks Deno's event loop.
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  // The source address is passed as a plain integer so copying needs no pointer object.
  memcpy: { parameters: ["buffer", "usize", "usize"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let loaded: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/** Loads libc on first call; throws when FFI is not allowed or the machine is not x86_64 Linux. */
export function libc(): Libc {
  if (loaded) return loaded.symbols;
  if (Deno.build.arch !== "x86_64" || Deno.build.os !== "linux") {
    throw new Error(
      `live capture is written for x86_64 Linux struct layouts, not ${Deno.build.arch} ${Deno.build.os}`,
    );
  }
  loaded = Deno.dlopen("libc.so.6", SYMBOLS);
  return loaded.symbols;
}

/** `errno` of the last failed call on this thread, with libc's wording. */
export function lastError(): { errno: number; text: string } {
  const lib = libc();
  const where = lib.__errno_location();
  const errno = where === null ? 0 : new Deno.UnsafePointerView(where).getInt32();
  const text = lib.strerror(errno);
  return {
    errno,
    text: text === null ? `errno ${errno}` : Deno.UnsafePointerView.getCString(text),
  };
}

/**
 * `memcpy(destination, address, length)` for an address held as a number: Deno's FFI accepts a
 * number for a `usize` parameter (its types say only bigint), and a number needs no allocation.
 */
export type CopyFromAddress = (destination: Uint8Array, address: number, length: number) => void;

export function copyFromAddress(): CopyFromAddress {
  return libc().memcpy as unknown as CopyFromAddress;
}

const encoder = new TextEncoder();

/** A NUL-terminated copy of `text`. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(encoder.encode(text).length + 1);
  encoder.encodeInto(text, bytes);
  return bytes;
}
