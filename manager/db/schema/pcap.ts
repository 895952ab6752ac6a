import {
  bigint,
  boolean,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * PCAP policies (issue #7): which packets appliances keep on their disks. The appliance receives
 * each policy that targets it in its config document (`policies.pcap`, the wire document of
 * `appliance/wire/pcap_policy.ts`, its id the text of `id`). Targets: appliance ids and group
 * names; both empty means every appliance.
 */
export const pcapPolicy = pgTable("pcap_policy", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  name: text("name").notNull().unique(),
  enabled: boolean("enabled").notNull().default(true),
  appliances: jsonb("appliances").notNull().$type<string[]>().default([]),
  groups: jsonb("groups").notNull().$type<string[]>().default([]),
  capturePoints: jsonb("capture_points").notNull().$type<string[]>().default([]),
  filter: text("filter"),
  /** `{ ip, port, protocol, peerIp, peerPort }`: fields that compile to a tcpdump expression. */
  match: jsonb("match").notNull().$type<Record<string, unknown>>().default({}),
  truncateBytes: integer("truncate_bytes").notNull().default(0),
  startAt: tstz("start_at"),
  stopAt: tstz("stop_at"),
  durationSeconds: integer("duration_seconds"),
  maxPackets: bigint("max_packets", { mode: "number" }),
  maxBytes: bigint("max_bytes", { mode: "number" }),
  quotaBytes: bigint("quota_bytes", { mode: "number" }),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/** Each appliance's global PCAP disk quota (bytes and/or percent of its disk; null: none). */
export const pcapStorage = pgTable("pcap_storage", {
  applianceId: text("appliance_id").primaryKey(),
  quotaBytes: bigint("quota_bytes", { mode: "number" }),
  quotaPercent: integer("quota_percent"),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/**
 * The `pcap_index` report stream: one row per flow per stored pcapng file on an appliance (the
 * summary of the appliance's local index; packets stay on the appliance). Endpoint A is the one
 * whose address sorts first. Flow-log rows get `has_pcap` by joining here at query time.
 * Partitioned by RANGE ("time") like the other report streams.
 */
export const pcapIndex = pgTable("pcap_index", {
  applianceId: text("appliance_id").notNull(),
  /** start_time truncated to the second: the partition key. */
  time: tstz("time").notNull(),
  policy: text("policy").notNull(),
  fileId: bigint("file_id", { mode: "number" }).notNull(),
  protocol: smallint("protocol").notNull(),
  ipA: inet("ip_a").notNull(),
  portA: integer("port_a").notNull(),
  ipB: inet("ip_b").notNull(),
  portB: integer("port_b").notNull(),
  /** µs since the epoch. */
  startTime: bigint("start_time", { mode: "number" }).notNull(),
  endTime: bigint("end_time", { mode: "number" }).notNull(),
  packets: bigint("packets", { mode: "number" }).notNull(),
  bytes: bigint("bytes", { mode: "number" }).notNull(),
  /** 1: the appliance evicted file `file_id` (a marker row; the file's flow rows are void). */
  evicted: smallint("evicted").notNull().default(0),
}, (t) => [
  index("pcap_index_a_idx").on(t.applianceId, t.ipA, t.ipB),
  index("pcap_index_policy_idx").on(t.policy, t.time),
  index("pcap_index_file_idx").on(t.applianceId, t.fileId),
]);
