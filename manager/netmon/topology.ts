// Topology: resources as nodes, client → server traffic as edges carrying the chosen metric,
// coloured by thresholds, laid out on the server (layout.ts).
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import { METRIC_BY_KEY, type MetricSpec } from "./dimensions.ts";
import { layeredLayout, type Layout } from "./layout.ts";
import type { NetmonFilters, TimeRange } from "./params.ts";
import { metricsWhere } from "./resource.ts";
import { HOUR_MS, MEASURES } from "./rollup.ts";

export type Level = "ok" | "warn" | "crit";

export interface TopologyEdge {
  from: string;
  to: string;
  value: number;
  bytes: number;
  level: Level;
}

export interface Topology {
  range: TimeRange;
  metric: string;
  thresholds: { warn: number; crit: number };
  edges: TopologyEdge[];
  /** Edges in the range before the cut to the busiest `limit`. */
  totalEdges: number;
  totalBytes: number;
  layout: Layout;
}

/** Default thresholds per unit for "higher is worse" metrics; volumes use shares of the peak. */
export function defaultThresholds(spec: MetricSpec, peak: number): { warn: number; crit: number } {
  if (!spec.higherIsWorse) return { warn: peak * 0.5, crit: peak * 0.9 };
  if (spec.unit === "ratio") return { warn: 0.01, crit: 0.05 };
  if (spec.unit === "us") return { warn: 50_000, crit: 200_000 };
  return { warn: 1, crit: 10 };
}

export function levelOf(value: number, t: { warn: number; crit: number }): Level {
  return value >= t.crit ? "crit" : value >= t.warn ? "warn" : "ok";
}

/**
 * The pieces of `range` and the table each is read from: whole hours from network_metrics_1h,
 * the ragged ends from network_metrics_1m, so the answer is exact for any range.
 */
export function splitByHour(
  range: TimeRange,
): { table: "network_metrics_1m" | "network_metrics_1h"; range: TimeRange }[] {
  const hourFrom = Math.ceil(range.fromMs / HOUR_MS) * HOUR_MS;
  const hourTo = Math.floor(range.toMs / HOUR_MS) * HOUR_MS;
  if (hourTo <= hourFrom) return [{ table: "network_metrics_1m", range }];
  const parts: { table: "network_metrics_1m" | "network_metrics_1h"; range: TimeRange }[] = [];
  if (range.fromMs < hourFrom) {
    parts.push({ table: "network_metrics_1m", range: { fromMs: range.fromMs, toMs: hourFrom } });
  }
  parts.push({ table: "network_metrics_1h", range: { fromMs: hourFrom, toMs: hourTo } });
  if (hourTo < range.toMs) {
    parts.push({ table: "network_metrics_1m", range: { fromMs: hourTo, toMs: range.toMs } });
  }
  return parts;
}

/** The metrics rows of `range` under the filters, as one FROM item (`edges_in`). */
function edgeRows(filters: NetmonFilters, range: TimeRange): SQL {
  const columns = sql.raw(["ip_0", "ip_1", ...MEASURES].join(", "));
  const selects = splitByHour(range).map((p) =>
    sql`select ${columns} from ${sql.raw(p.table)} where ${metricsWhere(filters, p.range)}`
  );
  return sql`(${sql.join(selects, sql` union all `)}) as edges_in`;
}

const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

export async function queryTopology(
  database: Database,
  filters: NetmonFilters,
  requested: TimeRange,
  options: { limit?: number; thresholds?: { warn?: number; crit?: number } } = {},
): Promise<Topology> {
  const spec = METRIC_BY_KEY.get(filters.metric)!;
  const range = requested;
  const rows = await database.rows<Record<string, unknown>>(sql`
    select host(ip_0) as c, host(ip_1) as s, ${sql.raw(spec.sql)} as v,
      sum(byte_tx + byte_rx) as bytes, count(*) over () as total_edges,
      sum(sum(byte_tx + byte_rx)) over () as total_bytes
    from ${edgeRows(filters, range)}
    group by ip_0, ip_1 order by v desc, bytes desc, 1, 2 limit ${options.limit ?? 150}`);
  const peak = rows.reduce((m, r) => Math.max(m, n(r.v)), 0);
  const base = defaultThresholds(spec, peak);
  const thresholds = {
    warn: options.thresholds?.warn ?? base.warn,
    crit: options.thresholds?.crit ?? base.crit,
  };
  const edges: TopologyEdge[] = rows.map((r) => ({
    from: String(r.c),
    to: String(r.s),
    value: n(r.v),
    bytes: n(r.bytes),
    level: levelOf(n(r.v), thresholds),
  }));
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
  return {
    range,
    metric: spec.key,
    thresholds,
    edges,
    totalEdges: n(rows[0]?.total_edges),
    totalBytes: n(rows[0]?.total_bytes),
    layout: layeredLayout({ nodes, edges }),
  };
}
