/**
 * @module
 * Capture: where packets come from. Reads classic pcap files (µs and ns, either byte order) by
 * walking the records of one in-memory buffer; pcapng and live capture plug in later behind the
 * same {@link PacketSource} pull interface.
 *
 * ```ts
 * const source = await openCaptureFile("trace.pcap");
 * while (source.next()) console.log(source.packet.number, source.packet.originalLength);
 * if (source.error) console.error(source.error.message); // damage after the good packets
 * ```
 */
export { CaptureError, type CaptureErrorCode } from "./errors.ts";
export { CapturedPacket, type PacketSource } from "./packet.ts";
export { PcapReader, readPcap } from "./pcap.ts";
export { openCapture, openCaptureFile } from "./open.ts";

/** LINKTYPE_* values (tcpdump.org link-layer header types) the decoder knows. */
export const LinkType = {
  Null: 0,
  Ethernet: 1,
  Raw: 101,
  CiscoHdlc: 104,
  Loop: 108,
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276,
} as const;
