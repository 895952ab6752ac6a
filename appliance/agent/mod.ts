/**
 * @module
 * Agent: the appliance's side of the fleet. Enrollment and identity, the config document (pulled
 * with ETag, verified, cached), heartbeats and status.json, replays through the spool, and the
 * run loop that ties capture points, spool and sender together.
 *
 * ```ts
 * const identity = await enroll({ manager, token, stateDir: "data/appliance", hostname: "tap-1" });
 * await replayRecords(identity, summary.records, {
 *   stateDir: "data/appliance",
 *   batchSize: 1000,
 *   requests: summary.requests, // stream `requests`, checkpointed apart from the flows
 * });
 * ```
 */
export { AgentError, EXIT_NOT_ENROLLED, notEnrolled } from "./errors.ts";
export { AgentDistribution, type DistributionStatus, type PacketTap } from "./distribution.ts";
export {
  APPLIANCE_VERSION,
  enroll,
  type EnrollOptions,
  type Identity,
  identityPath,
  loadIdentity,
} from "./identity.ts";
export {
  type CachedConfig,
  type CapturePointConfig,
  checkConfigDocument,
  type ConfigDocument,
  configPath,
  ConfigSync,
  DEFAULT_REPORTING,
  type EntitlementState,
  loadCachedConfig,
} from "./config_sync.ts";
export {
  type AgentStatus,
  type Heartbeat,
  sendHeartbeat,
  type StageCounters,
  statusPath,
} from "./heartbeat.ts";
export { type ReplayOptions, replayRecords, type ReplayResult } from "./replay.ts";
export {
  type AgentDeps,
  type CaptureHandle,
  runAgent,
  type RunCommand,
  type SourceCounters,
  type SourceRecords,
} from "./run.ts";
export {
  lockStateDir,
  openAgentSpool,
  sourceIdOf,
  spoolEvent,
  spoolFlows,
  spoolRequests,
  type SpoolRequestsResult,
} from "./spooling.ts";
export {
  CpuMeter,
  type InterfaceInfo,
  type LinkState,
  linkState,
  listInterfaces,
  processAlive,
} from "./system.ts";
export { filterPcapng, pcapTaskLoop, runPcapTask, type TaskAnswer } from "./tasks.ts";
