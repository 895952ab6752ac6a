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

/** AutoTagging names kept on the metrics rows (flow_log's tag columns but labels/subnet_id). */
export const METRIC_TAG_COLUMNS: readonly string[] = [0, 1].flatMap((n) =>
  ["region", "vpc", "subnet", "host", "service", "pod_ns", "pod"].map((t) => `${t}_${n}`)
);

/**
 * The flow_log tags of a metrics row's client (`_0`) and server (`_1`), part of its grouping key:
 * grouping by a tag reads the metrics tables, not flow_log. They are the ingest-time (or re-tag)
 * values copied from flow_log, not a lookup of today's inventory, and they are in the key because
 * the rollup's other columns do not decide them: `service_0` depends on the client port, and a
 * re-tag can change them for part of a minute.
 */
function tags() {
  const t = (name: string) => text(name).notNull().default("");
  return {
    region0: t("region_0"),
    vpc0: t("vpc_0"),
    subnet0: t("subnet_0"),
    host0: t("host_0"),
    service0: t("service_0"),
    podNs0: t("pod_ns_0"),
    pod0: t("pod_0"),
    region1: t("region_1"),
    vpc1: t("vpc_1"),
    subnet1: t("subnet_1"),
    host1: t("host_1"),
    service1: t("service_1"),
    podNs1: t("pod_ns_1"),
    pod1: t("pod_1"),
  };
}

const METRIC_TAG_KEYS = Object.keys(tags()) as (keyof ReturnType<typeof tags>)[];

/**
 * Per-minute network metrics per (client, server, capture point, observation point, protocol,
 * server port, client and server tags), rolled up from `flow_log` by `manager/netmon/rollup.ts` (a minute is replaced
 * whole, so re-running it is harmless). Partitioned by RANGE ("time") per UTC day like flow_log;
 * the rollup creates the partitions it writes to.
 */
export const networkMetrics1m = pgTable("network_metrics_1m", {
  ...dimensions(),
  ...tags(),
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
      ...METRIC_TAG_KEYS.map((k) => t[k]),
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
  ...tags(),
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
      ...METRIC_TAG_KEYS.map((k) => t[k]),
    ],
  }),
  index("network_metrics_1h_time_idx").on(t.time),
  index("network_metrics_1h_ip_0_idx").on(t.ip0, t.time),
  index("network_metrics_1h_ip_1_idx").on(t.ip1, t.time),
]);

/**
 * The hourly metrics per value of one built-in dimension (`dimension` is a key of
 * `manager/netmon/dimensions.ts`: ip, client_ip, server_ip, capture_point, …, and the tags per
 * side as `tag:host_1`; `key` the group's text), rolled up from `network_metrics_1h` with it. Unfiltered resource analysis over long
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
