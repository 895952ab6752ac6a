// Resource analysis: any metric grouped by a dimension over a time range — the top N groups with
// every metric (the table) and the chosen metric over time per group (the line chart).
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import { bucketSecondsFor } from "../query/mod.ts";
import { dimensionOf, METRIC_BY_KEY, METRICS } from "./dimensions.ts";
import type { NetmonFilters, TimeRange } from "./params.ts";
import { HOUR_MS } from "./rollup.ts";
import { SECOND_METRICS } from "./seconds.ts";

/** Ranges longer than this are read from the hourly table, rounded out to whole hours. */
const HOURLY_ABOVE_MS = 6 * HOUR_MS;

export interface ResourceRow {
  key: string;
  /** Every metric by key. */
  values: Record<string, number>;
}

export interface ResourceSeries {
  key: string;
  points: { t: number; v: number }[];
}

export interface ResourceResult {
  range: TimeRange;
  /** The chart's resolution: 1 when it reads the per-second table. */
  bucketSeconds: number;
  /** The table the rows came from. */
  source: "network_metrics_1m" | "network_metrics_1h" | "network_metrics_dim_1h";
  /** The table the chart came from: per second for a range of at most an hour that has them. */
  seriesSource: ResourceResult["source"] | "network_metrics_1s";
  rows: ResourceRow[];
  series: ResourceSeries[];
}

/** The where clause over a metrics table for the filters and range. */
export function metricsWhere(
  f: Omit<NetmonFilters, "group" | "side" | "metric" | "sort" | "top">,
  range: TimeRange,
): SQL {
  const parts: SQL[] = [
    sql`time >= ${new Date(range.fromMs).toISOString()}::timestamptz`,
    sql`time < ${new Date(range.toMs).toISOString()}::timestamptz`,
  ];
  if (f.ip !== undefined) parts.push(sql`(ip_0 <<= ${f.ip}::inet or ip_1 <<= ${f.ip}::inet)`);
  if (f.port !== undefined) parts.push(sql`server_port = ${f.port}`);
  if (f.protocol !== undefined) parts.push(sql`protocol = ${f.protocol}`);
  if (f.appliance !== undefined) parts.push(sql`appliance_id = ${f.appliance}`);
  if (f.captureNic !== undefined) parts.push(sql`capture_nic = ${f.captureNic}`);
  return sql.join(parts, sql` and `);
}

/** Picks the table and rounds the range to its resolution. */
export function sourceFor(
  range: TimeRange,
): { table: "network_metrics_1m" | "network_metrics_1h"; range: TimeRange } {
  if (range.toMs - range.fromMs <= HOURLY_ABOVE_MS) return { table: "network_metrics_1m", range };
  return {
    table: "network_metrics_1h",
    range: {
      fromMs: Math.floor(range.fromMs / HOUR_MS) * HOUR_MS,
      toMs: Math.ceil(range.toMs / HOUR_MS) * HOUR_MS,
    },
  };
}

/** True when no filter narrows the rows (the per-dimension hourly table can answer). */
function unfiltered(f: NetmonFilters): boolean {
  return f.ip === undefined && f.port === undefined && f.protocol === undefined &&
    f.appliance === undefined && f.captureNic === undefined;
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

export async function queryResources(
  database: Database,
  filters: NetmonFilters,
  requested: TimeRange,
): Promise<ResourceResult> {
  const dim = dimensionOf(filters.group, filters.side)!;
  const sortMetric = METRIC_BY_KEY.get(filters.sort)!;
  const chartMetric = METRIC_BY_KEY.get(filters.metric)!;
  const picked = sourceFor(requested);
  const byDimension = picked.table === "network_metrics_1h" && unfiltered(filters);
  const source = byDimension ? "network_metrics_dim_1h" : picked.table;
  const range = picked.range;
  // Traffic "per IP" counts a row for each of its two ends.
  const from = dim.key === "ip" && !byDimension
    ? sql`${sql.raw(source)} cross join lateral (values (ip_0), (ip_1)) as side(ip)`
    : sql.raw(source);
  const where = byDimension
    ? sql`dimension = ${dim.rolled} and ${metricsWhere(filters, range)}`
    : metricsWhere(filters, range);
  const key = sql.raw(byDimension ? "key" : dim.sql);
  const metricColumns = sql.raw(METRICS.map((x) => `${x.sql} as "${x.key}"`).join(", "));
  // From the per-dimension table, first rank the groups by the sort metric alone (a narrow
  // aggregate over every group), then compute every metric for the top ones only (by index).
  const ranked = byDimension
    ? sql` and key in (select key from ${from} where ${where}
        group by 1 order by ${sql.raw(sortMetric.sql)} desc, 1 limit ${filters.top})`
    : sql``;
  const top = await database.rows<Record<string, unknown>>(sql`
    select ${key} as key, ${metricColumns}
    from ${from} where ${where} and ${key} is not null${ranked}
    group by 1 order by "${sql.raw(sortMetric.key)}" desc, 1 limit ${filters.top}`);
  const rows: ResourceRow[] = top.map((r) => ({
    key: String(r.key),
    values: Object.fromEntries(METRICS.map((x) => [x.key, num(r[x.key])])),
  }));

  const span = range.toMs - range.fromMs;
  const minBucket = source === "network_metrics_1h" ? 3600 : 60;
  let bucketSeconds = Math.max(minBucket, bucketSecondsFor(span));
  let seriesSource: ResourceResult["seriesSource"] = source;
  let seriesFrom = from;
  let seriesWhere = where;
  if (
    rows.length > 0 && span <= HOUR_MS && SECOND_METRICS.has(chartMetric.key) &&
    await hasSeconds(database, metricsWhere(filters, range))
  ) {
    seriesSource = "network_metrics_1s";
    bucketSeconds = 1;
    seriesFrom = dim.key === "ip"
      ? sql`network_metrics_1s cross join lateral (values (ip_0), (ip_1)) as side(ip)`
      : sql`network_metrics_1s`;
    seriesWhere = metricsWhere(filters, range);
  }
  let series: ResourceSeries[] = [];
  if (rows.length > 0) {
    const bucket =
      sql`date_bin(${`${bucketSeconds} seconds`}::interval, time, timestamptz '2000-01-01')`;
    const keys = rows.map((r) => r.key);
    const points = await database.rows<{ bucket: string | Date; key: string; v: unknown }>(sql`
      select ${bucket} as bucket, ${key} as key, ${sql.raw(chartMetric.sql)} as v
      from ${seriesFrom} where ${seriesWhere}
      and ${key} in (${sql.join(keys.map((k) => sql`${k}`), sql`, `)})
      group by 1, 2 order by 1`);
    const byKey = new Map(keys.map((k) => [k, [] as { t: number; v: number }[]]));
    for (const p of points) {
      byKey.get(String(p.key))?.push({ t: new Date(p.bucket).getTime(), v: num(p.v) });
    }
    series = keys.map((k) => ({ key: k, points: byKey.get(k)! }));
  }
  return { range, bucketSeconds, source, seriesSource, rows, series };
}

/** Whether the per-second table has a row in the range (the last hour is kept). */
async function hasSeconds(database: Database, where: SQL): Promise<boolean> {
  const found = await database.rows(sql`select 1 from network_metrics_1s where ${where} limit 1`);
  return found.length > 0;
}
