import {
  bigint,
  bigserial,
  index,
  inet,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * One row per flow per report (one per natural minute once the flow engine splits by minute),
 * DeepFlow's `flow_log.l4_flow_log` names in snake_case. Partitioned by RANGE ("time"), one
 * partition per UTC day, created ahead of time by `manager/db/partitions.ts`. The primary key
 * carries the partition key and the distribution column (`appliance_id`) so that the table can
 * be distributed on Citus without a rewrite (DESIGN §4); no foreign keys point into it.
 */
export const flowLog = pgTable("flow_log", {
  id: bigserial("id", { mode: "number" }).notNull(),
  applianceId: text("appliance_id").notNull(),
  /** start_time truncated to the second: the partition and time-filter key. */
  time: timestamp("time", { withTimezone: true, mode: "date" }).notNull(),
  flowId: bigint("flow_id", { mode: "number" }).notNull(),
  /** µs since the epoch. */
  startTime: bigint("start_time", { mode: "number" }).notNull(),
  endTime: bigint("end_time", { mode: "number" }).notNull(),
  /** µs, first to last packet. */
  duration: bigint("duration", { mode: "number" }).notNull(),
  ipVersion: smallint("ip_version").notNull(),
  ip0: inet("ip_0").notNull(),
  ip1: inet("ip_1").notNull(),
  clientPort: integer("client_port").notNull(),
  serverPort: integer("server_port").notNull(),
  protocol: smallint("protocol").notNull(),
  vlan: integer("vlan").notNull(),
  packetTx: bigint("packet_tx", { mode: "number" }).notNull(),
  packetRx: bigint("packet_rx", { mode: "number" }).notNull(),
  byteTx: bigint("byte_tx", { mode: "number" }).notNull(),
  byteRx: bigint("byte_rx", { mode: "number" }).notNull(),
  tcpFlagsBit0: smallint("tcp_flags_bit_0").notNull(),
  tcpFlagsBit1: smallint("tcp_flags_bit_1").notNull(),
}, (t) => [
  primaryKey({ columns: [t.applianceId, t.time, t.id] }),
  index("flow_log_time_idx").on(t.time),
  index("flow_log_ip_0_idx").on(t.ip0),
  index("flow_log_ip_1_idx").on(t.ip1),
]);

/**
 * Every accepted report batch: `(appliance, stream, seq)` is stored in the same transaction as
 * the batch's records, so a repeated seq is acknowledged and not stored twice (DESIGN §3).
 */
export const ingestBatch = pgTable("ingest_batch", {
  applianceId: text("appliance_id").notNull(),
  stream: text("stream").notNull(),
  seq: bigint("seq", { mode: "number" }).notNull(),
  records: integer("records").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull()
    .defaultNow(),
}, (t) => [primaryKey({ columns: [t.applianceId, t.stream, t.seq] })]);
