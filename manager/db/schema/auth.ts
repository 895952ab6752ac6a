import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** User roles, weakest first: viewer reads; operator also changes configuration; admin all. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = typeof ROLES[number];

/** API token scopes, weakest first; a token never exceeds its owner's role. */
export const TOKEN_SCOPES = ["read", "write", "admin"] as const;
export type TokenScope = typeof TOKEN_SCOPES[number];

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * People who sign in to the UI or own API tokens. `password_hash` is null until a password is
 * set (the first-start admin signs in with a one-time link); its text names the algorithm and
 * cost (`pbkdf2-sha256$600000$salt$hash`) so the cost can grow without a migration.
 */
export const users = pgTable("users", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  name: text("name").notNull(),
  role: text("role", { enum: ROLES }).notNull(),
  passwordHash: text("password_hash"),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
}, (t) => [
  // "Admin" and "admin" are one account: lookalike names would confuse the audit log.
  uniqueIndex("users_name_lower_idx").on(sql`lower(${t.name})`),
  check("users_role_check", sql`${t.role} in ('viewer', 'operator', 'admin')`),
]);

/**
 * Browser sessions. Only a SHA-256 of the cookie's 256-bit id is stored, so a database leak
 * does not hand out live sessions; `csrf_token` is the synchronizer token bound to the session.
 */
export const sessions = pgTable("sessions", {
  idHash: text("id_hash").primaryKey(),
  userId: integer("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  csrfToken: text("csrf_token").notNull(),
  createdAt: tstz("created_at").notNull().defaultNow(),
  lastSeenAt: tstz("last_seen_at").notNull().defaultNow(),
  expiresAt: tstz("expires_at").notNull(),
  ip: text("ip"),
  userAgent: text("user_agent"),
}, (t) => [
  index("sessions_user_id_idx").on(t.userId),
  index("sessions_expires_at_idx").on(t.expiresAt),
]);

/** REST API tokens: shown once at creation, stored as a SHA-256, revoked by setting `revoked_at`. */
export const apiTokens = pgTable("api_tokens", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  userId: integer("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  scope: text("scope", { enum: TOKEN_SCOPES }).notNull(),
  /** The token's first characters, to recognise it in lists (`tplu_3fK9…`). */
  prefix: text("prefix").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: tstz("created_at").notNull().defaultNow(),
  lastUsedAt: tstz("last_used_at"),
  expiresAt: tstz("expires_at"),
  revokedAt: tstz("revoked_at"),
}, (t) => [
  index("api_tokens_user_id_idx").on(t.userId),
  check("api_tokens_scope_check", sql`${t.scope} in ('read', 'write', 'admin')`),
]);

/** Single-use, short-lived sign-in links (first start, `manager user link`, new users). */
export const loginLinks = pgTable("login_links", {
  tokenHash: text("token_hash").primaryKey(),
  userId: integer("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  createdAt: tstz("created_at").notNull().defaultNow(),
  expiresAt: tstz("expires_at").notNull(),
  usedAt: tstz("used_at"),
});

/**
 * Failed sign-ins per account (`user:NAME`) and per client address (`ip:ADDR`), kept in the
 * database so that every manager behind a load balancer applies the same backoff.
 */
export const loginThrottle = pgTable("login_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  lastFailureAt: tstz("last_failure_at").notNull(),
});

/**
 * Who changed what, when, from where, with the state before and after. Append-only: the
 * product has no route that edits it, and a trigger (migration 0002) refuses UPDATE, DELETE
 * and TRUNCATE. No foreign key to `users`: entries outlive the accounts they name.
 */
export const auditLog = pgTable("audit_log", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  time: tstz("time").notNull().defaultNow(),
  /** `user` (browser session), `token` (API token), `cli`, `system`, `appliance`. */
  actorKind: text("actor_kind").notNull(),
  actorId: integer("actor_id"),
  actorName: text("actor_name").notNull(),
  /** `user.create`, `token.revoke`, `license.install`, … */
  action: text("action").notNull(),
  targetType: text("target_type").notNull(),
  targetId: text("target_id"),
  before: jsonb("before"),
  after: jsonb("after"),
  ip: text("ip"),
}, (t) => [
  index("audit_log_time_idx").on(t.time),
  index("audit_log_actor_name_idx").on(t.actorName),
  index("audit_log_action_idx").on(t.action),
]);
