/**
 * @module
 * PCAP store: PCAP policies decide which packets the appliance keeps; kept packets go to
 * standard pcapng files (one interface block per capture point, the policy in a comment), written
 * as `.part` and renamed once fsynced, rotated by size and time, evicted oldest-first under a
 * global and per-policy quota; a node:sqlite index maps each flow (5-tuple, time range) to its
 * files and packet offsets, so one flow's packets are read back without scanning.
 *
 * ```ts
 * const { policy } = parsePcapPolicy({ id: "web", filter: "tcp port 80", truncateBytes: 128 }) as { ok: true, policy: PcapPolicy };
 * const store = PcapStore.open("data/appliance/pcap", { policies: [policy], quotaBytes: 10e9 });
 * while (source.next()) store.offer(source.packet, decoder.decode(source.packet) === DecodeStatus.Ok ? decoder.out : undefined, "eth1");
 * store.close();
 * extractPackets("data/appliance/pcap", { host: "10.0.0.1", port: 80 }, "out.pcapng");
 * ```
 */
export {
  parsePcapPolicy,
  type PcapMatch,
  type PcapPolicy,
  policyExpression,
  type PolicyResult,
  policySnapLength,
  WHOLE_PACKET,
} from "./policy.ts";
export {
  DEFAULT_ROTATE_BYTES,
  DEFAULT_ROTATE_SECONDS,
  INDEX_FILE,
  PcapStore,
  PcapStoreError,
  type PcapStoreOptions,
  type PolicyCounters,
  type PolicyProgress,
} from "./store.ts";
export { type FileRow, type FlowRow, type PacketQuery, PcapIndex } from "./flow_index.ts";
export { extractPackets, type ExtractResult } from "./extract.ts";
export { PcapngFileWriter, recoverPart, type RecoveryResult } from "./writer.ts";
export { inspectPcapStore, type PcapStoreView } from "./inspect.ts";
export { storeFile, type StoreFileResult } from "./replay.ts";
export { parseFlowSpec, parsePcapCommand, type PcapCommand, runPcapCommand } from "./command.ts";
