/**
 * @module
 * PCAP policies and storage settings on the manager (issue #7): the policy service, the
 * libpcap check of filter expressions, and the flow-log `has_pcap` lookup.
 *
 * ```ts
 * const pcap = new PcapPolicyService({ database, audit: auth.audit.record });
 * await pcap.create(actor, { name: "web", filter: "tcp port 80", truncateBytes: 128 });
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
export { filterProblem, libpcapAvailable } from "./filter_check.ts";
export { type FlowKeyFields, markPcap, type PcapMarks } from "./flow_marks.ts";
