/**
 * @module
 * The appliance fleet on the manager: one-time enrollment tokens, enrollment (the license's
 * appliance limit applies), appliance credentials, heartbeats and status, and each appliance's
 * versioned config document with an entitlement signed by the manager key (fleet_contract.md).
 *
 * ```ts
 * const fleet = new FleetService({ database, licenses, audit: auth.audit.record });
 * const { token } = await fleet.createEnrollmentToken(actor, { ttlHours: 24 });
 * const { applianceId, credential } = await fleet.enroll({ token, hostname: "tap-1", version: "0.1.0" });
 * await fleet.authenticate(credential); // { applianceId }, until revoked
 * const doc = await fleet.config(applianceId); // ETag: `"${doc.version}"`
 * ```
 */
export {
  type CapturePoint,
  checkCapturePoints,
  checkEnrollRequest,
  checkHeartbeat,
  checkReporting,
  type ConfigDocument,
  DEFAULT_REPORTING,
  type Heartbeat,
  type HeartbeatDrop,
  LINK_STATES,
  REPORTING_LIMITS,
  type ReportingSettings,
  STAGES,
} from "./documents.ts";
export { loadManagerKey, type ManagerKey } from "./manager_key.ts";
export {
  type ApplianceView,
  CREDENTIAL_PREFIX,
  DEFAULT_TOKEN_TTL_HOURS,
  ENROLLMENT_TOKEN_PREFIX,
  type EnrollmentTokenView,
  FleetError,
  type FleetErrorKind,
  type FleetOptions,
  FleetService,
  fleetStatus,
  HEARTBEAT_RETENTION_MS,
} from "./service.ts";
export {
  type ApplianceStatus,
  type Health,
  healthAfter,
  type RatePoint,
  ratesOf,
  SPOOL_GRACE_MS,
  statusAt,
} from "./status.ts";
export { enrollCommand, runTokenCommand, TOKEN_USAGE } from "./cli.ts";
