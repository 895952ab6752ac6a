/**
 * Where encapsulated packets go: a {@link PacketSink} per distribution point. {@link SocketSink}
 * batches them into libc `sendmmsg` calls (FFI, 64 per call) on a connected socket: UDP for
 * VXLAN, raw IPPROTO_GRE for GRE and ERSPAN (the kernel writes the outer IP header). Own output
 * is marked so capture can skip it: VXLAN leaves from UDP source port {@link OWN_UDP_SOURCE_PORT},
 * GRE/ERSPAN carry DSCP {@link OWN_DSCP}; {@link OWN_OUTPUT_FILTER} excludes both.
 */
import { ipVersion } from "./types.ts";

export const BATCH = 64;
/** Room for the largest datagram payload a point may send (MTU ≤ 9000). */
export const SLOT_BYTES = 9216;
export const OWN_UDP_SOURCE_PORT = 47_890;
/** DSCP 7: an unassigned code point in the class-selector-0 range (RFC 2474), unlikely elsewhere. */
export const OWN_DSCP = 7;
/** A tcpdump expression for capture to skip the appliance's own distribution output. */
export const OWN_OUTPUT_FILTER = `not (udp src port ${OWN_UDP_SOURCE_PORT}) and ` +
  `not (ip proto 47 and ip[1] & 0xfc == ${OWN_DSCP << 2}) and ` +
  `not (ip6 proto 47 and (ip6[0:2] & 0x0fc0) == ${OWN_DSCP << 6})`;

/** A destination for the datagram payloads of one point. */
export interface PacketSink {
  /** The buffer to write the next datagram payload into (at least {@link SLOT_BYTES}). */
  slot(): Uint8Array;
  /** The payload written into the last `slot()` is `length` bytes long: queue it. */
  commit(length: number): void;
  /** Sends what is queued. */
  flush(): void;
  close(): void;
  /** Datagrams the kernel refused (or that could not be sent), counted when flushed. */
  errors: number;
  /** The last error's text, for the status. */
  lastError: string;
}

/** Keeps copies of what it is given (tests, dry runs). */
export class MemorySink implements PacketSink {
  readonly packets: Uint8Array[] = [];
  errors = 0;
  lastError = "";
  readonly #slot = new Uint8Array(SLOT_BYTES);
  slot(): Uint8Array {
    return this.#slot;
  }
  commit(length: number): void {
    this.packets.push(this.#slot.slice(0, length));
  }
  flush(): void {}
  close(): void {}
}

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_IP = 0;
const IPPROTO_IPV6 = 41;
const IPPROTO_GRE = 47;
const IP_TOS = 1;
const IPV6_TCLASS = 67;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_REUSEPORT = 15;
const MSG_DONTWAIT = 0x40;
const MMSGHDR = 64;
const IOVEC = 16;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  // The message vector is passed as an address so a partial send can resume mid-batch.
  sendmmsg: { parameters: ["i32", "usize", "u32", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

function libc(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  if (Deno.build.arch !== "x86_64" || Deno.build.os !== "linux") {
    throw new SendError(`sendmmsg is bound for x86_64 Linux, not ${Deno.build.arch}`);
  }
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return lib.symbols;
}

function errnoText(): string {
  const c = libc();
  const where = c.__errno_location();
  const errno = where === null ? 0 : new Deno.UnsafePointerView(where).getInt32();
  const text = c.strerror(errno);
  return text === null ? `errno ${errno}` : Deno.UnsafePointerView.getCString(text);
}

/** A point's socket could not be opened. */
export class SendError extends Error {
  override name = "SendError";
}

function parseIpv6(text: string, out: Uint8Array, at: number): void {
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head, tail] = host.includes("::") ? host.split("::") as [string, string] : [host, ""];
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[at + i * 2] = v >> 8;
    out[at + i * 2 + 1] = v & 0xff;
  });
}

/** `struct sockaddr_in` / `sockaddr_in6` for `address` and `port`. */
export function sockaddr(address: string, port: number): Uint8Array<ArrayBuffer> {
  if (ipVersion(address) === 4) {
    const s = new Uint8Array(16);
    s[0] = AF_INET;
    s[2] = port >> 8;
    s[3] = port & 0xff;
    address.split(".").forEach((part, i) => s[4 + i] = Number(part));
    return s;
  }
  const s = new Uint8Array(28);
  s[0] = AF_INET6;
  s[2] = port >> 8;
  s[3] = port & 0xff;
  parseIpv6(address, s, 8);
  return s;
}

export interface SocketSinkOptions {
  tunnel: "udp" | "gre";
  destination: string;
  /** UDP destination port (ignored for GRE). */
  port?: number;
  source?: string | null;
}

/** Sends batches with `sendmmsg` on a connected UDP or raw GRE socket. */
export class SocketSink implements PacketSink {
  errors = 0;
  lastError = "";
  /** Datagrams the kernel accepted. */
  sent = 0;
  readonly #fd: number;
  readonly #slots = new Uint8Array(BATCH * SLOT_BYTES);
  readonly #headers = new Uint8Array(BATCH * MMSGHDR);
  readonly #iovecs = new Uint8Array(BATCH * IOVEC);
  readonly #headerView: DataView;
  readonly #iovecView: DataView;
  readonly #headerAddress: number;
  readonly #views: Uint8Array[] = [];
  #count = 0;

  /** Opens and connects the socket; throws {@link SendError} when the kernel refuses. */
  constructor(options: SocketSinkOptions) {
    const c = libc();
    const v6 = ipVersion(options.destination) === 6;
    const family = v6 ? AF_INET6 : AF_INET;
    const udp = options.tunnel === "udp";
    const fd = c.socket(
      family,
      (udp ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC,
      udp ? 0 : IPPROTO_GRE,
    );
    if (fd < 0) throw new SendError(`cannot open a ${options.tunnel} socket: ${errnoText()}`);
    this.#fd = fd;
    try {
      const one = new Uint8Array(new Int32Array([1]).buffer);
      if (udp) {
        c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4);
        c.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, one, 4);
      } else {
        const tos = new Uint8Array(new Int32Array([OWN_DSCP << 2]).buffer);
        c.setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_TCLASS : IP_TOS, tos, 4);
      }
      if (udp || options.source) {
        const local = sockaddr(
          options.source ?? (v6 ? "::" : "0.0.0.0"),
          udp ? OWN_UDP_SOURCE_PORT : 0,
        );
        if (c.bind(fd, local, local.length) !== 0) {
          throw new SendError(`cannot bind ${options.source ?? "the source port"}: ${errnoText()}`);
        }
      }
      const remote = sockaddr(options.destination, udp ? options.port ?? 4789 : 0);
      if (c.connect(fd, remote, remote.length) !== 0) {
        throw new SendError(`cannot reach ${options.destination}: ${errnoText()}`);
      }
    } catch (err) {
      c.close(fd);
      throw err;
    }
    this.#headerView = new DataView(this.#headers.buffer);
    this.#iovecView = new DataView(this.#iovecs.buffer);
    const slotsAt = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.#slots)));
    const iovecsAt = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.#iovecs)));
    this.#headerAddress = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.#headers)));
    for (let i = 0; i < BATCH; i++) {
      this.#views.push(this.#slots.subarray(i * SLOT_BYTES, (i + 1) * SLOT_BYTES));
      this.#iovecView.setBigUint64(i * IOVEC, slotsAt + BigInt(i * SLOT_BYTES), true);
      // msghdr: msg_iov at 16, msg_iovlen at 24 (msg_name NULL: the socket is connected).
      this.#headerView.setBigUint64(i * MMSGHDR + 16, iovecsAt + BigInt(i * IOVEC), true);
      this.#headerView.setBigUint64(i * MMSGHDR + 24, 1n, true);
    }
  }

  slot(): Uint8Array {
    return this.#views[this.#count]!;
  }

  commit(length: number): void {
    // iov_len is a size_t: the high half stays 0.
    this.#iovecView.setUint32(this.#count * IOVEC + 8, length, true);
    if (++this.#count === BATCH) this.flush();
  }

  flush(): void {
    if (this.#count === 0) return;
    // Deno's FFI takes a number for a usize (its types say bigint): no allocation per call.
    const sendmmsg = libc().sendmmsg as unknown as (
      fd: number,
      vector: number,
      count: number,
      flags: number,
    ) => number;
    let done = 0;
    while (done < this.#count) {
      const n = sendmmsg(
        this.#fd,
        this.#headerAddress + done * MMSGHDR,
        this.#count - done,
        MSG_DONTWAIT,
      );
      if (n > 0) {
        done += n;
        this.sent += n;
        continue;
      }
      // The first message failed (queue full, ICMP unreachable pending, …): count it, go on.
      this.errors++;
      this.lastError = errnoText();
      done++;
    }
    this.#count = 0;
  }

  close(): void {
    this.flush();
    libc().close(this.#fd);
  }
}
