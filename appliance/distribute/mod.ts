/**
 * @module
 * Distribution (the packet broker): copies of chosen packets go to tools through tunnels —
 * VXLAN over UDP, GRE and ERSPAN II/III over a raw IP socket — filtered by tcpdump expressions,
 * stripped, sliced, masked, deduplicated and rate-limited per policy, batched with `sendmmsg`.
 *
 * ```ts
 * const parsed = parseDistribution(config.policies.distribution);
 * if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
 * const distributor = new Distributor(parsed.policies, { linkType: source.linkType });
 * while (source.next()) distributor.process(source.packet);
 * distributor.flush();
 * console.log(distributor.counters()); // per policy and per point
 * ```
 */
export {
  Distributor,
  type DistributorOptions,
  openPointSink,
  type PointCounters,
  POLICY_DROP_REASONS,
  type PolicyCounters,
  type PolicyDropReason,
} from "./distributor.ts";
export { overhead, tunnelHeaderLength, writeTunnelHeader } from "./encap.ts";
export { DedupTable, Fuse, FUSE_HYSTERESIS, TokenBucket } from "./limit.ts";
export { distributeFile, type DistributeSummary, formatDistributeSummary } from "./replay.ts";
export {
  BATCH,
  MemorySink,
  OWN_DSCP,
  OWN_OUTPUT_FILTER,
  OWN_UDP_SOURCE_PORT,
  type PacketSink,
  SendError,
  SocketSink,
} from "./sender.ts";
export {
  DEFAULT_VXLAN_PORT,
  type DistributionPoint,
  type DistributionPolicy,
  type DistributionResult,
  parseDistribution,
  TUNNEL_KINDS,
} from "./types.ts";
