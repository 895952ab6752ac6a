import { cString, libc, MAP_PRIVATE, O_CLOEXEC, O_RDONLY, PROT_READ } from "./_libc.ts";
import { AfPacketSource } from "./af_packet.ts";
import { CaptureError } from "./errors.ts";
import type { LiveOptions, LiveSource } from "./live.ts";
import type { PacketSource } from "./packet.ts";
import { LibpcapSource } from "./pcap_live.ts";
import { readPcap } from "./pcap.ts";
import { readPcapng } from "./pcapng.ts";

/** First four bytes of a pcapng Section Header Block, whatever the byte order. */
const PCAPNG_MAGIC = 0x0a0d0d0a;

/** Chooses a reader for the capture in `bytes` (pcap or pcapng) from its first bytes. */
export function openCapture(bytes: Uint8Array): PacketSource {
  if (bytes.length >= 4) {
    const first = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    if (first === PCAPNG_MAGIC) return readPcapng(bytes);
  }
  return readPcap(bytes);
}

function describeIoError(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  return err instanceof Error ? err.message : String(err);
}

/** Files at least this large are mapped into memory rather than read (reading 1 GB takes ~2 s). */
export const MAP_THRESHOLD = 64 * 1024 * 1024;

/** Unmaps a mapped file once the JavaScript buffer over it has been collected. */
const unmapper = new FinalizationRegistry<{ address: bigint; length: number }>((held) => {
  libc().munmap(Deno.UnsafePointer.create(held.address), BigInt(held.length));
});

/**
 * Maps the regular file at `path` read-only (`MAP_PRIVATE`), or returns undefined when it cannot
 * (no FFI permission, not x86_64 Linux, not a regular file, open or mmap failing) so that the
 * caller reads it instead. The bytes are read-only memory: writing into them crashes the process.
 * They are unmapped when the buffer is garbage-collected.
 */
function mapFile(path: string, length: number): Uint8Array | undefined {
  let lib;
  try {
    lib = libc();
  } catch {
    return undefined;
  }
  const fd = lib.open(cString(path), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return undefined;
  const address = lib.mmap(null, BigInt(length), PROT_READ, MAP_PRIVATE, fd, 0n);
  // The mapping keeps the file referenced; the descriptor is no longer needed.
  lib.close(fd);
  if (address === null || Deno.UnsafePointer.value(address) === 0xffff_ffff_ffff_ffffn) {
    return undefined;
  }
  const buffer = Deno.UnsafePointerView.getArrayBuffer(address, length);
  unmapper.register(buffer, { address: BigInt(Deno.UnsafePointer.value(address)), length });
  return new Uint8Array(buffer);
}

/** Size of the regular file at `path`, or undefined when it is not one or cannot be examined. */
async function regularFileSize(path: string): Promise<number | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info.size : undefined;
  } catch {
    return undefined;
  }
}

export interface OpenFileOptions {
  /** Map files of at least this many bytes instead of reading them (default {@link MAP_THRESHOLD}). */
  mapThreshold?: number;
}

/**
 * Opens a capture file; every failure is a {@link CaptureError}. Files of {@link MAP_THRESHOLD}
 * bytes or more are mapped into memory when FFI is allowed (read-only: nothing may write into
 * `packet.buffer`); smaller ones, and large ones that cannot be mapped, are read into memory.
 */
export async function openCaptureFile(
  path: string,
  options: OpenFileOptions = {},
): Promise<PacketSource> {
  const size = await regularFileSize(path);
  if (size !== undefined && size > 0 && size >= (options.mapThreshold ?? MAP_THRESHOLD)) {
    const mapped = mapFile(path, size);
    if (mapped !== undefined) return openCapture(mapped);
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw new CaptureError("io", describeIoError(err), { cause: err });
  }
  return openCapture(bytes);
}

/**
 * Opens live capture on one interface. `backend` "auto" (the default) tries AF_PACKET first and
 * falls back to libpcap; every failure is a {@link CaptureError} naming each backend's reason.
 */
export function openLiveCapture(interfaceName: string, options: LiveOptions = {}): LiveSource {
  const backend = options.backend ?? "auto";
  if (backend === "af_packet") return AfPacketSource.open(interfaceName, options);
  if (backend === "libpcap") return LibpcapSource.open(interfaceName, options);
  try {
    return AfPacketSource.open(interfaceName, options);
  } catch (first) {
    try {
      return LibpcapSource.open(interfaceName, options);
    } catch (second) {
      const reason = (err: unknown) => err instanceof Error ? err.message : String(err);
      throw new CaptureError("live", `${reason(first)}; ${reason(second)}`, { cause: second });
    }
  }
}
