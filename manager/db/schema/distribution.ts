import {
  bigint,
  bigserial,
  boolean,
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
 * Distribution points (traffic distribution, issue #6): where copies of packets go and through
 * which tunnel. `vni` applies to VXLAN, `session_id` to ERSPAN II/III, `port` to VXLAN.
 */
export const distributionPoint = pgTable("distribution_point", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  name: text("name").notNull().unique(),
  tunnel: text("tunnel").notNull(),
  vni: integer("vni").notNull().default(0),
  sessionId: integer("session_id").notNull().default(0),
  destination: text("destination").notNull(),
  source: text("source"),
  port: integer("port").notNull().default(4789),
  mtu: integer("mtu").notNull().default(1500),
  vlan: integer("vlan"),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/**
 * Distribution policies: which packets (scope, filter, direction), transformed how (strip,
 * slice, mask, dedup, limits), sent to which points. `appliances` (ids) and `groups` (names)
 * choose the appliances, both empty meaning every appliance; `capture_points` (interface names)
 * the capture points, empty meaning all. `point_ids` are distribution_point ids.
 */
export const distributionPolicy = pgTable("distribution_policy", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  name: text("name").notNull().unique(),
  enabled: boolean("enabled").notNull().default(true),
  appliances: jsonb("appliances").$type<string[]>().notNull(),
  groups: jsonb("groups").$type<string[]>().notNull(),
  capturePoints: jsonb("capture_points").$type<string[]>().notNull(),
  direction: text("direction").notNull().default("both"),
  filter: text("filter").notNull().default(""),
  action: text("action").notNull().default("distribute"),
  /** `{ from: "start" | "l4", bytes }` or null. */
  slice: jsonb("slice"),
  dedupEnabled: boolean("dedup_enabled").notNull().default(false),
  dedupWindowMs: integer("dedup_window_ms").notNull().default(1000),
  bandwidthBps: bigint("bandwidth_bps", { mode: "number" }),
  fuseBps: bigint("fuse_bps", { mode: "number" }),
  pointIds: jsonb("point_ids").$type<number[]>().notNull(),
  mode: text("mode").notNull().default("replicate"),
  /** `{ vlan, vxlan, gre }` booleans. */
  strip: jsonb("strip").notNull(),
  /** `[{ from, offset, length }]`. */
  masks: jsonb("masks").notNull(),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/**
 * The `npb_counters` stream: per appliance, policy or point, the counts of one reporting
 * interval ending at `time`. Partitioned by RANGE ("time") per UTC day like `appliance_event`.
 */
export const npbCounters = pgTable("npb_counters", {
  id: bigserial("id", { mode: "number" }).notNull(),
  applianceId: text("appliance_id").notNull(),
  time: tstz("time").notNull(),
  kind: text("kind").notNull(),
  objectId: text("object_id").notNull(),
  packets: bigint("packets", { mode: "number" }).notNull(),
  bytes: bigint("bytes", { mode: "number" }).notNull(),
  matched: bigint("matched", { mode: "number" }).notNull(),
  dropFilter: bigint("drop_filter", { mode: "number" }).notNull(),
  dropDirection: bigint("drop_direction", { mode: "number" }).notNull(),
  dropDedup: bigint("drop_dedup", { mode: "number" }).notNull(),
  dropRateLimit: bigint("drop_rate_limit", { mode: "number" }).notNull(),
  dropFuse: bigint("drop_fuse", { mode: "number" }).notNull(),
  dropSendError: bigint("drop_send_error", { mode: "number" }).notNull(),
  truncated: bigint("truncated", { mode: "number" }).notNull(),
  lastError: text("last_error").notNull(),
  lastSendAt: bigint("last_send_at", { mode: "number" }).notNull(),
}, (t) => [
  primaryKey({ columns: [t.applianceId, t.time, t.id] }),
  index("npb_counters_object_idx").on(t.kind, t.objectId, t.time),
]);
