import {
  bigint,
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
 * The measures of a network-metrics row: sums and counts, so that any grouping of rows adds up
 * (averages and ratios are computed at query time). Failure counters mirror DeepFlow's, derived
 * from the flow's `close_type` (DESIGN §7).
 */
function measures() {
  const n = (name: string) => bigint(name, { mode: "number" }).notNull().default(0);
  return {
    /** Flow-log rows folded in. */
    flowRows: n("flow_rows"),
    newFlow: n("new_flow"),
    closedFlow: n("closed_flow"),
    packetTx: n("packet_tx"),
    packetRx: n("packet_rx"),
    byteTx: n("byte_tx"),
    byteRx: n("byte_rx"),
    rttSum: n("rtt_sum"),
    rttCount: n("rtt_count"),
    rttClientSum: n("rtt_client_sum"),
    rttClientCount: n("rtt_client_count"),
    rttServerSum: n("rtt_server_sum"),
    rttServerCount: n("rtt_server_count"),
    srtSum: n("srt_sum"),
    srtCount: n("srt_count"),
    artSum: n("art_sum"),
    artCount: n("art_count"),
    retransTx: n("retrans_tx"),
    retransRx: n("retrans_rx"),
    zeroWinTx: n("zero_win_tx"),
    zeroWinRx: n("zero_win_rx"),
    synCount: n("syn_count"),
    synackCount: n("synack_count"),
    clientEstablishFail: n("client_establish_fail"),
    serverEstablishFail: n("server_establish_fail"),
    tcpTransferFail: n("tcp_transfer_fail"),
    clientRstFlow: n("client_rst_flow"),
    serverRstFlow: n("server_rst_flow"),
    tcpTimeout: n("tcp_timeout"),
  };
}

/** The grouping key of a network-metrics row (issue #9): who, where on the path, which service. */
function dimensions() {
  return {
    time: timestamp("time", { withTimezone: true, mode: "date" }).notNull(),
    applianceId: text("appliance_id").notNull(),
    captureNic: bigint("capture_nic", { mode: "number" }).notNull(),
    observationPoint: text("observation_point").notNull(),
    ip0: inet("ip_0").notNull(),
    ip1: inet("ip_1").notNull(),
    protocol: smallint("protocol").notNull(),
    serverPort: integer("server_port").notNull(),
  };
}

/**
 * Per-minute network metrics per (client, server, capture point, observation point, protocol,
 * server port), rolled up from `flow_log` by `manager/netmon/rollup.ts` (a minute is replaced
 * whole, so re-running it is harmless). Partitioned by RANGE ("time") per UTC day like flow_log;
 * the rollup creates the partitions it writes to.
 */
export const networkMetrics1m = pgTable("network_metrics_1m", {
  ...dimensions(),
  ...measures(),
}, (t) => [
  primaryKey({
    name: "network_metrics_1m_pk",
    columns: [
      t.applianceId,
      t.time,
      t.captureNic,
      t.observationPoint,
      t.ip0,
      t.ip1,
      t.protocol,
      t.serverPort,
    ],
  }),
  index("network_metrics_1m_time_idx").on(t.time),
  index("network_metrics_1m_ip_0_idx").on(t.ip0, t.time),
  index("network_metrics_1m_ip_1_idx").on(t.ip1, t.time),
]);

/**
 * The same per hour, rolled up from `network_metrics_1m`: views over long ranges (a day of
 * resource analysis) read 60 times fewer rows.
 */
export const networkMetrics1h = pgTable("network_metrics_1h", {
  ...dimensions(),
  ...measures(),
}, (t) => [
  primaryKey({
    name: "network_metrics_1h_pk",
    columns: [
      t.applianceId,
      t.time,
      t.captureNic,
      t.observationPoint,
      t.ip0,
      t.ip1,
      t.protocol,
      t.serverPort,
    ],
  }),
  index("network_metrics_1h_time_idx").on(t.time),
  index("network_metrics_1h_ip_0_idx").on(t.ip0, t.time),
  index("network_metrics_1h_ip_1_idx").on(t.ip1, t.time),
]);

/**
 * The hourly metrics per value of one built-in dimension (`dimension` is a key of
 * `manager/netmon/dimensions.ts`: ip, client_ip, server_ip, capture_point, …; `key` the group's
 * text), rolled up from `network_metrics_1h` with it. Unfiltered resource analysis over long
 * ranges reads this table: one row per hour per group, not per (client, server, point, port).
 */
export const networkMetricsDim1h = pgTable("network_metrics_dim_1h", {
  time: timestamp("time", { withTimezone: true, mode: "date" }).notNull(),
  dimension: text("dimension").notNull(),
  key: text("key").notNull(),
  ...measures(),
}, (t) => [
  primaryKey({ name: "network_metrics_dim_1h_pk", columns: [t.dimension, t.time, t.key] }),
  index("network_metrics_dim_1h_key_idx").on(t.dimension, t.key, t.time),
]);
