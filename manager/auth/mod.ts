/**
 * @module
 * Access control: users and roles, password sign-in with throttling, cookie sessions with a
 * CSRF token, scoped API tokens, one authorization table for every route, and the append-only
 * audit log. `createApp()` builds one `Auth` and puts `authMiddleware()` in front of all routes.
 *
 * ```ts
 * const auth = createAuth(database, { trustProxy: false });
 * app.use(authMiddleware(auth));            // policy.ts decides who may call each route
 * await auth.audit.record(actorOf(c)!, {    // any change worth an audit entry
 *   action: "policy.update",
 *   target: { type: "policy", id: 7 },
 *   before,
 *   after,
 * });
 * ```
 */
export { ApiTokenStore, APPLIANCE_TOKEN_PREFIX, isScope, USER_TOKEN_PREFIX } from "./api_tokens.ts";
export type { TokenCheck, TokenIdentity, TokenView } from "./api_tokens.ts";
export { ACTION_PATTERN, AuditLog } from "./audit.ts";
export type { Actor, AuditEntry, AuditFilter, AuditRecorder, AuditRow } from "./audit.ts";
export { bootstrapAdmin } from "./bootstrap.ts";
export type { BootstrapOptions, BootstrapResult } from "./bootstrap.ts";
export { runAuthCommand, USER_USAGE } from "./cli.ts";
export type { CliInput, CliIo } from "./cli.ts";
export { AuthError, nameProblem, statusOf } from "./errors.ts";
export { LINK_TTL_MS, ONCE_PATH, SignInLinks, signInUrl } from "./links.ts";
export { type ApplianceAuthenticator, authMiddleware } from "./middleware.ts";
export {
  hashPassword,
  MIN_PASSWORD_LENGTH,
  passwordProblem,
  PBKDF2_ITERATIONS,
  verifyPassword,
} from "./password.ts";
export {
  type Access,
  DEFAULT_ACCESS,
  maxScopeFor,
  type Method,
  ROUTE_RULES,
  RoutePolicy,
  type RouteRule,
  scopeFor,
} from "./policy.ts";
export {
  actorOf,
  clearCookie,
  clientIp,
  CSRF_FIELD,
  CSRF_HEADER,
  type FrameInfo,
  frameOf,
  isHttps,
  LOGIN_COOKIE,
  type Principal,
  publicOrigin,
  safeNext,
  SESSION_COOKIE,
  setStrictCookie,
  userOf,
} from "./request.ts";
export { randomSecret, sha256Hex, timingSafeEqual } from "./secrets.ts";
export { Auth, type AuthSettings, createAuth, DEFAULT_AUTH_SETTINGS } from "./service.ts";
export { SessionStore } from "./sessions.ts";
export { DEFAULT_THROTTLE, LoginThrottle, throttleKeys } from "./throttle.ts";
export type { ThrottleSettings } from "./throttle.ts";
export { isRole, UserService, type UserView } from "./users.ts";
export { type Role, ROLES, TOKEN_SCOPES, type TokenScope } from "../db/schema/auth.ts";
