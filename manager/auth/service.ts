// Everything access control needs, built once per app from the database and the settings.
import type { Database } from "../db/mod.ts";
import { ApiTokenStore } from "./api_tokens.ts";
import { AuditLog } from "./audit.ts";
import { LINK_TTL_MS, SignInLinks } from "./links.ts";
import { RoutePolicy } from "./policy.ts";
import { SessionStore } from "./sessions.ts";
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleSettings } from "./throttle.ts";
import { UserService } from "./users.ts";

export interface AuthSettings {
  /** Absolute session lifetime, ms. */
  sessionTtlMs: number;
  /** Idle timeout, ms. */
  sessionIdleMs: number;
  /**
   * The manager runs behind a TLS-terminating proxy: trust its X-Forwarded-Proto (cookies get
   * `Secure`) and the last X-Forwarded-For address (throttling and the audit log).
   */
  trustProxy: boolean;
  /** PBKDF2 iterations for new hashes; tests may lower it, production keeps the default. */
  passwordIterations?: number;
  throttle: ThrottleSettings;
  linkTtlMs: number;
}

export const DEFAULT_AUTH_SETTINGS: AuthSettings = {
  sessionTtlMs: 12 * 3_600_000,
  sessionIdleMs: 60 * 60_000,
  trustProxy: false,
  throttle: DEFAULT_THROTTLE,
  linkTtlMs: LINK_TTL_MS,
};

/** The access-control services of one manager. */
export class Auth {
  readonly audit: AuditLog;
  readonly users: UserService;
  readonly tokens: ApiTokenStore;
  readonly sessions: SessionStore;
  readonly links: SignInLinks;
  readonly throttle: LoginThrottle;
  readonly policy = new RoutePolicy();

  constructor(readonly database: Database, readonly settings: AuthSettings) {
    this.audit = new AuditLog(database);
    this.users = new UserService(database, this.audit, {
      passwordIterations: settings.passwordIterations,
    });
    this.tokens = new ApiTokenStore(database, this.audit);
    this.sessions = new SessionStore(database, {
      ttlMs: settings.sessionTtlMs,
      idleMs: settings.sessionIdleMs,
    });
    this.links = new SignInLinks(database, settings.linkTtlMs);
    this.throttle = new LoginThrottle(database, settings.throttle);
  }
}

export function createAuth(database: Database, settings: Partial<AuthSettings> = {}): Auth {
  return new Auth(database, { ...DEFAULT_AUTH_SETTINGS, ...settings });
}
