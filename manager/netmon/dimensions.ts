// What the network views measure and how they group: each metric is an SQL expression over the
// sums of a metrics table (network_metrics_1m/1h), each dimension an SQL expression that names a
// group. Tag dimensions read the AutoTagging columns `<tag>_0/_1` the metrics rows carry (copied
// from flow_log by the rollup; network_metrics_dim_1h keeps them per hour as `tag:<tag>_<side>`).

export type MetricUnit = "bytes" | "count" | "us" | "ratio";

export interface MetricSpec {
  key: string;
  label: string;
  unit: MetricUnit;
  /** Aggregate expression over metrics-table columns. */
  sql: string;
  /** For threshold colours: a higher value is worse. */
  higherIsWorse: boolean;
}

const avg = (sum: string, count: string) =>
  `coalesce(sum(${sum})::float8 / nullif(sum(${count}), 0), 0)`;
const ratio = (num: string, den: string) => `coalesce((${num})::float8 / nullif(${den}, 0), 0)`;

export const METRICS: readonly MetricSpec[] = [
  m("bytes", "Bytes", "bytes", "sum(byte_tx + byte_rx)"),
  m("bytes_tx", "Bytes client → server", "bytes", "sum(byte_tx)"),
  m("bytes_rx", "Bytes server → client", "bytes", "sum(byte_rx)"),
  m("packets", "Packets", "count", "sum(packet_tx + packet_rx)"),
  m("packets_tx", "Packets client → server", "count", "sum(packet_tx)"),
  m("packets_rx", "Packets server → client", "count", "sum(packet_rx)"),
  m("new_flow", "New flows", "count", "sum(new_flow)"),
  m("closed_flow", "Closed flows", "count", "sum(closed_flow)"),
  m("rtt", "RTT avg", "us", avg("rtt_sum", "rtt_count"), true),
  m("rtt_client", "Client RTT avg", "us", avg("rtt_client_sum", "rtt_client_count"), true),
  m("rtt_server", "Server RTT avg", "us", avg("rtt_server_sum", "rtt_server_count"), true),
  m("srt", "SRT avg", "us", avg("srt_sum", "srt_count"), true),
  m("art", "ART avg", "us", avg("art_sum", "art_count"), true),
  m(
    "retrans_ratio",
    "Retransmission ratio",
    "ratio",
    ratio("sum(retrans_tx + retrans_rx)", "sum(packet_tx + packet_rx)"),
    true,
  ),
  m("retrans", "Retransmissions", "count", "sum(retrans_tx + retrans_rx)", true),
  m(
    "zero_win_ratio",
    "Zero-window ratio",
    "ratio",
    ratio("sum(zero_win_tx + zero_win_rx)", "sum(packet_tx + packet_rx)"),
    true,
  ),
  m(
    "establish_fail",
    "Establishment failures",
    "count",
    "sum(client_establish_fail + server_establish_fail)",
    true,
  ),
  m("transfer_fail", "Transfer failures", "count", "sum(tcp_transfer_fail)", true),
  m("rst", "RST-closed flows", "count", "sum(client_rst_flow + server_rst_flow)", true),
];

function m(
  key: string,
  label: string,
  unit: MetricUnit,
  sql: string,
  higherIsWorse = false,
): MetricSpec {
  return { key, label, unit, sql, higherIsWorse };
}

export const METRIC_BY_KEY: ReadonlyMap<string, MetricSpec> = new Map(
  METRICS.map((x) => [x.key, x]),
);

export interface DimensionSpec {
  key: string;
  label: string;
  /** Expression naming the group (text) over metrics-table columns. */
  sql: string;
  /** Its `dimension` in network_metrics_dim_1h (the key, with the side for a tag). */
  rolled: string;
  /** How a group value filters the drill-down (a URL parameter and its value). */
  drill?: "ip" | "port" | "appliance" | "capture_point";
}

const BUILT_IN: readonly DimensionSpec[] = [
  { key: "ip", label: "IP (either side)", sql: "host(side.ip)", drill: "ip" },
  { key: "client_ip", label: "Client IP", sql: "host(ip_0)", drill: "ip" },
  { key: "server_ip", label: "Server IP", sql: "host(ip_1)", drill: "ip" },
  {
    key: "capture_point",
    label: "Capture point",
    sql: "appliance_id || '#' || capture_nic::text",
    drill: "capture_point",
  },
  { key: "appliance", label: "Appliance", sql: "appliance_id", drill: "appliance" },
  { key: "server_port", label: "Server port", sql: "server_port::text", drill: "port" },
  { key: "observation_point", label: "Observation point", sql: "observation_point" },
  { key: "protocol", label: "Protocol", sql: "protocol::text" },
].map((d) => ({ ...d, rolled: d.key } as DimensionSpec));

/** AutoTagging tags (N2's flow_log columns `<tag>_0` client, `<tag>_1` server). */
export const TAG_NAMES = ["region", "vpc", "subnet", "host", "service", "pod_ns", "pod"] as const;

/** The dimension of `key` (`tag:<name>` with a side), or undefined. */
export function dimensionOf(key: string, side: 0 | 1 = 1): DimensionSpec | undefined {
  const builtIn = BUILT_IN.find((d) => d.key === key);
  if (builtIn) return builtIn;
  const tag = /^tag:([a-z_]+)$/.exec(key)?.[1];
  if (tag === undefined || !(TAG_NAMES as readonly string[]).includes(tag)) return undefined;
  return {
    key,
    label: `${tag} (${side === 0 ? "client" : "server"})`,
    sql: `nullif(${tag}_${side}, '')`,
    rolled: `tag:${tag}_${side}`,
  };
}

/** The tag dimensions of network_metrics_dim_1h: `tag:<tag>_<side>` and its column. */
export function rolledTagDimensions(): { dimension: string; column: string }[] {
  return [0, 1].flatMap((side) =>
    TAG_NAMES.map((t) => ({ dimension: `tag:${t}_${side}`, column: `${t}_${side}` }))
  );
}

/** Every dimension offered in the UI. */
export function dimensions(): DimensionSpec[] {
  return [
    ...BUILT_IN,
    ...TAG_NAMES.map((t) => ({ ...dimensionOf(`tag:${t}`)!, label: `Tag: ${t}` })),
  ];
}
