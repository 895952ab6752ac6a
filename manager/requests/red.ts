// App RED metrics over request_log (issue #8, call monitoring): per service or endpoint, per
// client ↔ service pair, and the service topology. Rate, errors and duration are computed in
// SQL from the rows the user may see (percentile_cont for the latency percentiles).
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import type { RequestFilters, TimeRange } from "./params.ts";
import { requestWhere, type Visibility } from "./search.ts";

/** The service of a row: its `service_1` tag, else the server's address and port. */
export const SERVICE_SQL = sql.raw(
  `coalesce(nullif(service_1, ''), case when family(ip_1) = 6 then '[' || host(ip_1) || ']' else host(ip_1) end || ':' || server_port)`,
);
/** The client of a row: its `service_0` tag, else its address. */
export const CLIENT_SQL = sql.raw(`coalesce(nullif(service_0, ''), host(ip_0))`);

/** The RED figures of one group. */
export interface Red {
  requests: number;
  /** Requests per second over the range. */
  rate: number;
  errors: number;
  clientErrors: number;
  serverErrors: number;
  timeouts: number;
  /** errors / requests; 0 without requests. */
  errorRatio: number;
  /** µs, over the requests that got a response; 0 when none did. */
  p50: number;
  p90: number;
  p99: number;
  avg: number;
  max: number;
}

export const RED_METRICS = [
  { key: "rate", label: "Request rate", unit: "rate" },
  { key: "requests", label: "Requests", unit: "count" },
  { key: "errorRatio", label: "Error ratio", unit: "ratio" },
  { key: "errors", label: "Errors", unit: "count" },
  { key: "timeouts", label: "Timeouts", unit: "count" },
  { key: "p50", label: "p50 latency", unit: "us" },
  { key: "p90", label: "p90 latency", unit: "us" },
  { key: "p99", label: "p99 latency", unit: "us" },
  { key: "max", label: "Max latency", unit: "us" },
] as const;
export type RedMetric = typeof RED_METRICS[number]["key"];

export function isRedMetric(x: string): x is RedMetric {
  return RED_METRICS.some((m) => m.key === x);
}

// A lone request (type 0) or response (1) has no duration: latency is over sessions (2).
const RED_COLUMNS = sql.raw(`count(*) as requests,
  count(*) filter (where response_status in (3, 4)) as errors,
  count(*) filter (where response_status = 4) as client_errors,
  count(*) filter (where response_status = 3) as server_errors,
  count(*) filter (where response_status = 3 and response_exception = 'Timeout') as timeouts,
  coalesce(percentile_cont(0.5) within group (order by response_duration) filter (where type = 2), 0) as p50,
  coalesce(percentile_cont(0.9) within group (order by response_duration) filter (where type = 2), 0) as p90,
  coalesce(percentile_cont(0.99) within group (order by response_duration) filter (where type = 2), 0) as p99,
  coalesce(avg(response_duration) filter (where type = 2), 0) as avg_us,
  coalesce(max(response_duration) filter (where type = 2), 0) as max_us`);

function redOf(r: Record<string, unknown>, seconds: number): Red {
  const requests = Number(r.requests);
  const errors = Number(r.errors);
  return {
    requests,
    rate: seconds > 0 ? requests / seconds : 0,
    errors,
    clientErrors: Number(r.client_errors),
    serverErrors: Number(r.server_errors),
    timeouts: Number(r.timeouts),
    errorRatio: requests > 0 ? errors / requests : 0,
    p50: Number(r.p50),
    p90: Number(r.p90),
    p99: Number(r.p99),
    avg: Number(r.avg_us),
    max: Number(r.max_us),
  };
}

/** SQL of a sort metric, for ordering the groups. */
function orderOf(metric: RedMetric): SQL {
  const column: Record<RedMetric, string> = {
    rate: "requests",
    requests: "requests",
    errorRatio: "errors::float8 / nullif(requests, 0)",
    errors: "errors",
    timeouts: "timeouts",
    p50: "p50",
    p90: "p90",
    p99: "p99",
    max: "max_us",
  };
  return sql.raw(`${column[metric]} desc nulls last, 1`);
}

/** AutoTagging columns a RED view can group by (server side `_1` first). */
export const RED_TAG_GROUPS: readonly string[] = [1, 0].flatMap((n) =>
  ["service", "host", "pod", "pod_ns", "subnet", "vpc", "region"].map((t) => `${t}_${n}`)
);

/** `service`, `endpoint`, or `tag:<column>` (a {@link RED_TAG_GROUPS} column, e.g. `tag:host_1`). */
export type RedGroup = "service" | "endpoint" | `tag:${string}`;

export function isRedGroup(x: string): x is RedGroup {
  return x === "service" || x === "endpoint" ||
    (x.startsWith("tag:") && RED_TAG_GROUPS.includes(x.slice(4)));
}

/** The SQL naming a row's group; a tag group leaves untagged rows out (null). */
function groupSql(group: RedGroup): SQL {
  return group.startsWith("tag:") ? sql.raw(`nullif(${group.slice(4)}, '')`) : SERVICE_SQL;
}

export interface RedRow {
  /** The service; when grouped by a tag, the tag's value. */
  service: string;
  /** Set when grouped by endpoint. */
  endpoint?: string;
  /** The l7 protocol most rows of the group have. */
  l7Protocol: number;
  red: Red;
}

export interface RedSeries {
  key: string;
  points: { t: number; v: number }[];
}

export interface RedResult {
  rows: RedRow[];
  /** The chart metric over time, one series per group shown (the top ones). */
  series: RedSeries[];
  bucketSeconds: number;
  /** Every visible request in the range (not only the groups shown). */
  total: Red;
}

export interface RedOptions {
  range: TimeRange;
  visible: Visibility;
  group: RedGroup;
  sort: RedMetric;
  chart: RedMetric;
  top: number;
}

function seconds(range: TimeRange): number {
  return (range.toMs - range.fromMs) / 1000;
}

/** Chart bucket: a minute, wider so that a range shows at most 180 points. */
export function redBucketSeconds(range: TimeRange): number {
  const minutes = Math.ceil(seconds(range) / 60);
  return 60 * Math.max(1, Math.ceil(minutes / 180));
}

/** The value of `metric` from the RED of a bucket of `bucketSeconds`. */
export function metricValue(red: Red, metric: RedMetric): number {
  return red[metric];
}

/** RED per service (or service + endpoint) with the top groups' chart series. */
export async function queryRed(
  database: Database,
  filters: RequestFilters,
  options: RedOptions,
): Promise<RedResult> {
  const where = requestWhere(filters, options.range, options.visible);
  const byEndpoint = options.group === "endpoint";
  const key = groupSql(options.group);
  const keys = byEndpoint ? sql`${key} as service, endpoint` : sql`${key} as service`;
  const groupBy = byEndpoint ? sql.raw("1, 2") : sql.raw("1");
  const span = seconds(options.range);
  const rows = await database.rows<Record<string, unknown>>(
    sql`select * from (select ${keys}, mode() within group (order by l7_protocol) as l7,
          ${RED_COLUMNS} from request_log where ${where} and ${key} is not null
          group by ${groupBy}) g
        order by ${orderOf(options.sort)} limit ${options.top}`,
  );
  const out: RedRow[] = rows.map((r) => ({
    service: String(r.service),
    ...(byEndpoint ? { endpoint: String(r.endpoint) } : {}),
    l7Protocol: Number(r.l7),
    red: redOf(r, span),
  }));
  const [all] = await database.rows<Record<string, unknown>>(
    sql`select ${RED_COLUMNS} from request_log where ${where}`,
  );
  const bucket = redBucketSeconds(options.range);
  const series = await redSeries(database, where, out.slice(0, 10), {
    key,
    byEndpoint,
    bucket,
    chart: options.chart,
  });
  return { rows: out, series, bucketSeconds: bucket, total: redOf(all ?? {}, span) };
}

async function redSeries(
  database: Database,
  where: SQL,
  groups: RedRow[],
  o: { key: SQL; byEndpoint: boolean; bucket: number; chart: RedMetric },
): Promise<RedSeries[]> {
  if (groups.length === 0) return [];
  const label = (g: { service: string; endpoint?: string }) =>
    o.byEndpoint ? `${g.service} ${g.endpoint}` : g.service;
  const services = [...new Set(groups.map((g) => g.service))];
  const keys = o.byEndpoint ? sql`${o.key} as service, endpoint` : sql`${o.key} as service`;
  const groupBy = o.byEndpoint ? sql.raw("1, 2, 3") : sql.raw("1, 2");
  const rows = await database.rows<Record<string, unknown>>(
    sql`select floor(start_time / ${o.bucket * 1_000_000}::bigint)::bigint as b, ${keys},
          ${RED_COLUMNS}
        from request_log where ${where}
          and ${o.key} in (${sql.join(services.map((s) => sql`${s}`), sql`, `)})
        group by ${groupBy} order by 1`,
  );
  const wanted = new Map(groups.map((g) => [label(g), [] as { t: number; v: number }[]]));
  for (const r of rows) {
    const key = label({ service: String(r.service), endpoint: String(r.endpoint) });
    const points = wanted.get(key);
    if (!points) continue;
    points.push({ t: Number(r.b) * o.bucket * 1000, v: metricValue(redOf(r, o.bucket), o.chart) });
  }
  return [...wanted].map(([key, points]) => ({ key, points }));
}

export interface PathRow {
  client: string;
  service: string;
  l7Protocol: number;
  red: Red;
}

/** RED per client ↔ service pair (app path analysis), sorted by `sort`. */
export async function queryAppPaths(
  database: Database,
  filters: RequestFilters,
  options: Omit<RedOptions, "group" | "chart">,
): Promise<PathRow[]> {
  const where = requestWhere(filters, options.range, options.visible);
  const rows = await database.rows<Record<string, unknown>>(
    sql`select * from (select ${CLIENT_SQL} as client, ${SERVICE_SQL} as service,
          mode() within group (order by l7_protocol) as l7, ${RED_COLUMNS}
        from request_log where ${where} group by 1, 2) g
        order by ${orderOf(options.sort)}, 2 limit ${options.top}`,
  );
  const span = seconds(options.range);
  return rows.map((r) => ({
    client: String(r.client),
    service: String(r.service),
    l7Protocol: Number(r.l7),
    red: redOf(r, span),
  }));
}
