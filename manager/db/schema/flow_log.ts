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
import { flowTagColumns } from "./inventory.ts";

/**
 * One row per flow per natural minute (the appliance's flow-log record, wire `FlowRecord`),
 * DeepFlow's `flow_log.l4_flow_log` names in snake_case; the TypeScript keys are the wire's, so a
 * record maps onto a row as it is. Partitioned by RANGE ("time"), one partition per UTC day,
 * created ahead of time by `manager/db/partitions.ts`. The primary key carries the partition key
 * and the distribution column (`appliance_id`) so that the table can be distributed on Citus
 * without a rewrite (DESIGN §4); no foreign keys point into it. Columns added after the first
 * release default to what a wire v1 record means (one whole flow, nothing else measured).
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
  /** µs, the flow's first packet to its last so far. */
  duration: bigint("duration", { mode: "number" }).notNull(),
  /** 1 on a flow's first row. */
  isNewFlow: smallint("is_new_flow").notNull().default(1),
  /** How the flow ended (DeepFlow `close_type`), on its last row; 0 on the others. */
  closeType: smallint("close_type").notNull().default(0),
  ipVersion: smallint("ip_version").notNull(),
  ip0: inet("ip_0").notNull(),
  ip1: inet("ip_1").notNull(),
  clientPort: integer("client_port").notNull(),
  serverPort: integer("server_port").notNull(),
  protocol: smallint("protocol").notNull(),
  vlan: integer("vlan").notNull(),
  tunnelType: smallint("tunnel_type").notNull().default(0),
  tunnelId: bigint("tunnel_id", { mode: "number" }).notNull().default(0),
  captureNic: bigint("capture_nic", { mode: "number" }).notNull().default(0),
  observationPoint: text("observation_point").notNull().default("rest"),
  packetTx: bigint("packet_tx", { mode: "number" }).notNull(),
  packetRx: bigint("packet_rx", { mode: "number" }).notNull(),
  byteTx: bigint("byte_tx", { mode: "number" }).notNull(),
  byteRx: bigint("byte_rx", { mode: "number" }).notNull(),
  l3ByteTx: bigint("l3_byte_tx", { mode: "number" }).notNull().default(0),
  l3ByteRx: bigint("l3_byte_rx", { mode: "number" }).notNull().default(0),
  l4ByteTx: bigint("l4_byte_tx", { mode: "number" }).notNull().default(0),
  l4ByteRx: bigint("l4_byte_rx", { mode: "number" }).notNull().default(0),
  tcpFlagsBit0: smallint("tcp_flags_bit_0").notNull(),
  tcpFlagsBit1: smallint("tcp_flags_bit_1").notNull(),
  synCount: bigint("syn_count", { mode: "number" }).notNull().default(0),
  synackCount: bigint("synack_count", { mode: "number" }).notNull().default(0),
  retransSyn: bigint("retrans_syn", { mode: "number" }).notNull().default(0),
  retransSynack: bigint("retrans_synack", { mode: "number" }).notNull().default(0),
  /** Handshake ISNs and the last keep-alive's seq/ack (u32), for NAT tracing. */
  synSeq: bigint("syn_seq", { mode: "number" }).notNull().default(0),
  synAckSeq: bigint("syn_ack_seq", { mode: "number" }).notNull().default(0),
  lastKeepaliveSeq: bigint("last_keepalive_seq", { mode: "number" }).notNull().default(0),
  lastKeepaliveAck: bigint("last_keepalive_ack", { mode: "number" }).notNull().default(0),
  retransTx: bigint("retrans_tx", { mode: "number" }).notNull().default(0),
  retransRx: bigint("retrans_rx", { mode: "number" }).notNull().default(0),
  zeroWinTx: bigint("zero_win_tx", { mode: "number" }).notNull().default(0),
  zeroWinRx: bigint("zero_win_rx", { mode: "number" }).notNull().default(0),
  /** µs; 0 when not measured in this row's minute. */
  rtt: bigint("rtt", { mode: "number" }).notNull().default(0),
  rttClient: bigint("rtt_client", { mode: "number" }).notNull().default(0),
  rttServer: bigint("rtt_server", { mode: "number" }).notNull().default(0),
  /** µs: system response time (ACK delay) and application response time, sum/count/max. */
  srtSum: bigint("srt_sum", { mode: "number" }).notNull().default(0),
  srtCount: bigint("srt_count", { mode: "number" }).notNull().default(0),
  srtMax: bigint("srt_max", { mode: "number" }).notNull().default(0),
  artSum: bigint("art_sum", { mode: "number" }).notNull().default(0),
  artCount: bigint("art_count", { mode: "number" }).notNull().default(0),
  artMax: bigint("art_max", { mode: "number" }).notNull().default(0),
  /** AutoTagging (DESIGN §5): `region_0`…`labels_1`, filled at ingest from the inventory. */
  ...flowTagColumns(),
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
