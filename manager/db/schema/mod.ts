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
