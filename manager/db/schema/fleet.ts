import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * Enrolled appliances. `id` is the UUID the manager chose at enrollment and every telemetry row
 * carries; the credential is stored only as a SHA-256. `last_heartbeat` is the latest heartbeat
 * body as received, `health` what the manager concluded from it (problems, rates), so that the
 * list page needs no time-series query.
 */
export const appliance = pgTable("appliance", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  groupName: text("group_name"),
  hostname: text("hostname").notNull(),
  credentialHash: text("credential_hash").notNull().unique(),
  /** The credential's first characters, to recognise it (`tpla_3fK9…`). */
  credentialPrefix: text("credential_prefix").notNull(),
  enrolledAt: tstz("enrolled_at").notNull().defaultNow(),
  revokedAt: tstz("revoked_at"),
  /** The software version it reported (enrollment, then every heartbeat). */
  version: text("version").notNull(),
  lastSeenAt: tstz("last_seen_at"),
  lastHeartbeat: jsonb("last_heartbeat"),
  health: jsonb("health"),
});

/** One-time enrollment tokens (`tple_…`), stored as a SHA-256; `used_at` set by the enrollment. */
export const enrollmentToken = pgTable("enrollment_token", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: tstz("created_at").notNull().defaultNow(),
  expiresAt: tstz("expires_at").notNull(),
  usedAt: tstz("used_at"),
  /** The appliance that enrolled with it. */
  usedBy: text("used_by"),
  createdBy: text("created_by").notNull(),
  note: text("note").notNull().default(""),
});

/**
 * The editable part of each appliance's config document and its version, which increments on
 * every change (name, group, capture points, reporting, entitlement). `entitlement` is the signed
 * entitlement last handed out, renewed when the licensed modules change or it nears its end.
 */
export const applianceConfig = pgTable("appliance_config", {
  applianceId: text("appliance_id").primaryKey(),
  version: integer("version").notNull(),
  capturePoints: jsonb("capture_points").notNull(),
  reporting: jsonb("reporting").notNull(),
  entitlement: jsonb("entitlement"),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/**
 * Heartbeats as a time series for the detail page's charts, pruned after 7 days. Telemetry-style:
 * keyed by (appliance_id, at), no foreign keys (DESIGN §4).
 */
export const applianceHeartbeat = pgTable("appliance_heartbeat", {
  applianceId: text("appliance_id").notNull(),
  at: tstz("at").notNull(),
  /** The appliance's own clock when it sent the heartbeat, ms. */
  sentAt: bigint("sent_at", { mode: "number" }).notNull(),
  counters: jsonb("counters").notNull(),
}, (t) => [
  primaryKey({ columns: [t.applianceId, t.at] }),
  index("appliance_heartbeat_at_idx").on(t.at),
]);

/** The manager's own Ed25519 key pair (generated at first start) that signs entitlements. */
export const managerKey = pgTable("manager_key", {
  id: text("id").primaryKey(),
  publicPem: text("public_pem").notNull(),
  privatePem: text("private_pem").notNull(),
  createdAt: tstz("created_at").notNull().defaultNow(),
});
