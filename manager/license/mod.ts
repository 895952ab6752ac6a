/**
 * @module
 * Licenses: signed documents (Ed25519 over a canonical JSON encoding), their administration in
 * the database, the licensing state every request is gated by, and the one table of module →
 * routes / pages / data (`modules.ts`).
 *
 * ```ts
 * const keys = await loadTrustedKeys([DEV_PUBLIC_KEY_PATH]);
 * const licenses = new LicenseService({ database, keys });
 * await licenses.install(await Deno.readTextFile("acme.license.json"), { kind: "cli", name: "cli" });
 * const state = await licenses.state(); // state.enabled.has("network_monitoring")
 * const visible = requestLogFilter(state.enabled, { signalSource, l7Protocol }); // SQL condition
 * ```
 */
export { type AdminIo, runLicenseCommand, trustedKeys, verifyLicenseFile } from "./admin_cli.ts";
export { canonicalJson, signedBytes } from "./canonical.ts";
export {
  checkInstallable,
  CLOCK_SKEW_MS,
  type License,
  LICENSE_FORMAT,
  LicenseError,
  type LicenseErrorReason,
  licenseFileText,
  type LicenseLimits,
  type LicensePayload,
  type LicenseTerms,
  MAX_LICENSE_BYTES,
  parseLicense,
  parseLicenseBytes,
  parseTime,
  signLicense,
  termsOf,
  verifyLicense,
} from "./document.ts";
export {
  dbDetailsVisible,
  requestLogFilter,
  rowRules,
  rowVisible,
  spanAttributesVisible,
} from "./data_filter.ts";
export {
  type Entitlement,
  ENTITLEMENT_FORMAT,
  type EntitlementCheck,
  entitles,
  signEntitlement,
  verifyEntitlement,
} from "./entitlement.ts";
export {
  DEV_KEY_ID,
  DEV_KEYS_DIR,
  DEV_PRIVATE_KEY_PATH,
  DEV_PUBLIC_KEY_PATH,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  KeyError,
  loadTrustedKeys,
  type PrivateKey,
  type PublicKey,
} from "./keys.ts";
export {
  DATABASE_L7_PROTOCOLS,
  gatedRoutes,
  isModuleKey,
  MODULE_KEYS,
  moduleForPath,
  type ModuleKey,
  MODULES,
  type ModuleSpec,
  type RowRule,
  SIGNAL_SOURCE,
} from "./modules.ts";
export {
  type InstalledLicense,
  type LicenseActor,
  type LicenseAuditEntry,
  type LicenseAuditHook,
  type LicenseEvent,
  LicenseService,
  type LicenseServiceOptions,
  type LicenseSummary,
  summaryOf,
} from "./service.ts";
export {
  computeLicensing,
  DAY_MS,
  type LicenseState,
  type LicenseStatus,
  type LicensingState,
  mayEnrollAppliance,
  type ModuleState,
  type ModuleStatus,
  type Notice,
  type NoticeKind,
  WARNING_DAYS,
} from "./state.ts";
