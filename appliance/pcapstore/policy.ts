/**
 * PCAP policies: the document and its validation live in the wire contract
 * (`wire/pcap_policy.ts`), which the manager's policy pages share; re-exported here for the store.
 */
export {
  parsePcapPolicy,
  PCAP_PROTOCOLS,
  type PcapMatch,
  type PcapPolicy,
  policyExpression,
  type PolicyResult,
  policySnapLength,
  WHOLE_PACKET,
} from "../wire/mod.ts";
