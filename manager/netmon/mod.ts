/**
 * @module
 * Network monitoring views over flow logs (issue #9): the per-minute network-metrics rollup,
 * resource analysis, path analysis, topology and NAT tracing.
 *
 * ```ts
 * await rollupRange(database, { fromMs, toMs });            // flow_log → network_metrics_1m/1h
 * const origin = await hopOfRow(database, parseFlowRef("npb-1:1767225601000:42")!);
 * const trace = await traceNat(database, origin!, { strictness: "normal" });
 * trace.confident; // false: "no confident match"
 * ```
 */
export {
  dimensionOf,
  dimensions,
  METRIC_BY_KEY,
  METRICS,
  type MetricSpec,
  TAG_NAMES,
} from "./dimensions.ts";
export {
  type FlowHop,
  type FlowRef,
  HOP_METRICS,
  type HopMetric,
  hopOfRow,
  hopOfTuple,
  parseFlowRef,
  PATH_ORDER,
  pathRank,
  type Tuple,
} from "./flows.ts";
export { layeredLayout, type Layout, type LayoutNode } from "./layout.ts";
export {
  MATCH_SCORE,
  type NatCandidate,
  type NatTrace,
  scoreCandidate,
  STRICTNESS,
  type Strictness,
  traceNat,
} from "./nat.ts";
export {
  describeErrors,
  NETMON_FIELDS,
  type NetmonErrors,
  type NetmonFilters,
  type NetmonRaw,
  parseNetmonParams,
  resolveRange,
  type TimeRange,
} from "./params.ts";
export { pathOfFlow, pathOfPair, type PathResult, type PathStep } from "./path.ts";
export {
  queryResources,
  type ResourceResult,
  type ResourceRow,
  type ResourceSeries,
} from "./resource.ts";
export { pruneSeconds, SECOND_METRICS, SECONDS_KEPT_MS } from "./seconds.ts";
export { MEASURES, minuteRuns, RollupJob, type RollupJobOptions, rollupRange } from "./rollup.ts";
export {
  defaultThresholds,
  type Level,
  levelOf,
  queryTopology,
  type Topology,
  type TopologyEdge,
} from "./topology.ts";
