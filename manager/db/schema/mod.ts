/**
 * @module
 * The database schema in TypeScript: the source of truth from which drizzle-kit generates the
 * SQL in `migrations/`.
 *
 * ```ts
 * import { flowLog } from "./schema/mod.ts";
 * await db.select().from(flowLog).limit(10);
 * ```
 */
export { flowLog, ingestBatch } from "./flow_log.ts";
export {
  apiTokens,
  auditLog,
  loginLinks,
  loginThrottle,
  type Role,
  ROLES,
  sessions,
  TOKEN_SCOPES,
  type TokenScope,
  users,
} from "./auth.ts";
export { license, licenseNotice } from "./license.ts";
export {
  appliance,
  applianceConfig,
  applianceHeartbeat,
  enrollmentToken,
  managerKey,
} from "./fleet.ts";
export { invHost, invPod, invRegion, invService, invSubnet, invVpc } from "./inventory.ts";
export { networkMetrics1h, networkMetrics1m, networkMetricsDim1h } from "./netmon.ts";
export { networkMetrics1s } from "./netmon_1s.ts";
export { applianceEvent, ingestStream } from "./ingest.ts";
export { requestLog } from "./request_log.ts";
export { pcapIndex, pcapPolicy, pcapStorage } from "./pcap.ts";
export { distributionPoint, distributionPolicy, npbCounters } from "./distribution.ts";
