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
