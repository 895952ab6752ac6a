/**
 * @module
 * PCAP on the manager (issue #7). Policies and storage settings: the policy service, the libpcap
 * check of filter expressions, and the flow-log `has_pcap` lookup. Analysis: packets stay on the
 * appliance and are fetched on demand through the task channel (channel.ts); the manager decodes
 * them (tshark's PDML, or the built-in decoder), groups them into sessions, draws TCP sequence
 * diagrams and follows streams.
 *
 * ```ts
 * const pcap = new PcapPolicyService({ database, audit: auth.audit.record });
 * await pcap.create(actor, { name: "web", filter: "tcp port 80", truncateBytes: 128 });
 * const service = new PcapService({ channel: new PcapChannel() });
 * const capture = await service.capture(applianceId, { flow: { protocol: 6, ip0, port0, ip1, port1 } });
 * const sessions = sessionsOf(capture.decoded);
 * ```
 */
export {
  checkPolicyInput,
  type PcapErrorKind,
  PcapPolicyError,
  PcapPolicyService,
  type PcapStorageSettings,
  type PolicyStats,
  type PolicyView,
  targets,
  wirePolicy,
} from "./policies.ts";
export { filterProblem, libpcapAvailable } from "../libpcap/mod.ts";
export { type FlowKeyFields, markPcap, type PcapMarks } from "./flow_marks.ts";
export {
  type Decoded,
  followStream,
  hexDump,
  inSession,
  printable,
  type SeqArrow,
  type SequenceModel,
  sequenceOf,
  sessionsOf,
  type SessionView,
  type StreamChunk,
} from "./analysis.ts";
export {
  PcapChannel,
  PcapChannelError,
  type PcapChannelOptions,
  type TaskResult,
} from "./channel.ts";
export { dissect, type Dissected, tcpFlagNames, type TreeNode } from "./dissect.ts";
export {
  describePcapErrors,
  parsePcapParams,
  parseTime,
  PCAP_FIELDS,
  type PcapField,
  pcapHref,
  type PcapParams,
} from "./params.ts";
export { PcapngError, type PcapPacket, readPcapngPackets, subsetPcapng } from "./pcapng.ts";
export {
  type Capture,
  type DecodeResult,
  PcapService,
  type PcapServiceOptions,
} from "./service.ts";
export {
  type PacketRow,
  parsePdml,
  tsharkAvailable,
  TsharkError,
  tsharkPacketList,
  tsharkTree,
} from "./tshark.ts";
