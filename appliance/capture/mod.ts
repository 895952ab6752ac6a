/**
 * @module
 * Capture: where packets come from. Reads pcap (µs and ns, either byte order) and pcapng files
 * by walking the records of one in-memory buffer, and captures live from an interface through an
 * AF_PACKET TPACKET_V3 ring (libpcap as the fallback), all behind the same {@link PacketSource}
 * pull interface; a live source adds an awaitable `wait()`.
 *
 * ```ts
 * const source = await openCaptureFile("trace.pcapng");
 * while (source.next()) console.log(source.packet.number, source.packet.originalLength);
 * if (source.error) console.error(source.error.message); // damage after the good packets
 *
 * const live = openLiveCapture("eth1");
 * setTimeout(() => live.stop(), 10_000);
 * while (!live.stopped) if (await live.wait(250)) while (live.next()) count(live.packet);
 * await live.close();
 * console.log(live.stats()); // { received, droppedByKernel, droppedByInterface }
 * ```
 */
export { CaptureError, type CaptureErrorCode } from "./errors.ts";
export { CapturedPacket, type PacketSource } from "./packet.ts";
export { PcapReader, readPcap } from "./pcap.ts";
export { PcapngReader, readPcapng } from "./pcapng.ts";
export {
  MAP_THRESHOLD,
  openCapture,
  openCaptureFile,
  type OpenFileOptions,
  openLiveCapture,
} from "./open.ts";
export {
  type CaptureStats,
  LIVE_BACKENDS,
  type LiveBackend,
  type LiveOptions,
  type LiveSource,
} from "./live.ts";
export { AfPacketSource } from "./af_packet.ts";
export { LibpcapSource } from "./pcap_live.ts";
export {
  type CapturePoint,
  capturePoint,
  CLOUD_NETWORK,
  isObservationPoint,
  OBSERVATION_POINTS,
  type ObservationPoint,
} from "./point.ts";
export {
  BPF_INSN_SIZE,
  BPF_PROGRAM_INSNS_OFFSET,
  BPF_PROGRAM_SIZE,
  cString,
  errbufText,
  findAllDevices,
  hasLibpcap,
  type Libpcap,
  libpcap,
  LIBPCAP_PATH,
  LibpcapError,
  libpcapVersion,
  openHeaderOnlySavefile,
  PCAP_ERRBUF_SIZE,
  PCAP_IF,
  PCAP_STAT,
  type PcapDevice,
  PcapIfFlag,
  PcapStatus,
  PKTHDR,
  readCString,
  statusText,
} from "./libpcap.ts";

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
