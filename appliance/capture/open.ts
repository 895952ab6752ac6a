import { CaptureError } from "./errors.ts";
import type { PacketSource } from "./packet.ts";
import { hexPrefix, readPcap } from "./pcap.ts";

/** First four bytes of a pcapng Section Header Block, whatever the byte order. */
const PCAPNG_MAGIC = 0x0a0d0d0a;

/** Chooses a reader for the capture in `bytes` from its first bytes. */
export function openCapture(bytes: Uint8Array): PacketSource {
  if (bytes.length >= 4) {
    const first = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    if (first === PCAPNG_MAGIC) {
      // TODO(#pcapng): read pcapng; until then say so instead of calling it garbage.
      throw new CaptureError(
        "unsupported_format",
        `pcapng files are not supported yet (magic ${hexPrefix(bytes)})`,
      );
    }
  }
  return readPcap(bytes);
}

function describeIoError(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  return err instanceof Error ? err.message : String(err);
}

/** Reads a capture file into memory and opens it; every failure is a {@link CaptureError}. */
export async function openCaptureFile(path: string): Promise<PacketSource> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw new CaptureError("io", describeIoError(err), { cause: err });
  }
  return openCapture(bytes);
}
