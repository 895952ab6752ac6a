/**
 * @module
 * Traffic distribution on the manager (issue #6): distribution points and policies (validated,
 * audited, delivered in each appliance's config document) and the `npb_counters` they report.
 *
 * ```ts
 * const service = new DistributionService({ database, audit: auth.audit.record });
 * const point = await service.savePoint(actor, { name: "ids", tunnel: "vxlan", vni: 7, destination: "10.9.0.2" });
 * await service.savePolicy(actor, { name: "web", filter: "tcp port 80", points: [point.id] });
 * ```
 */
export {
  COUNTER_KEYS,
  type CounterKey,
  type CounterSeries,
  counterSeries,
  type Counts,
  type PointReach,
  pointReach,
  type Reachability,
} from "./counters.ts";
export {
  DistributionError,
  distributionFor,
  DistributionService,
  type PointView,
  type PolicyView,
} from "./service.ts";
export {
  ACTIONS,
  checkPoint,
  checkPolicy,
  DIRECTIONS,
  errorText,
  type FieldErrors,
  MODES,
  type PointInput,
  type PolicyInput,
  TUNNEL_LABELS,
  TUNNELS,
} from "./validate.ts";
export { filterProblem } from "../libpcap/mod.ts";
