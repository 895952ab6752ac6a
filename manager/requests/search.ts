// The request-log search: one WHERE for every view (the filters, the time range and the license
// data filter), the page of rows, the histogram over time and one row with its flow-log link.
import { type SQL, sql } from "drizzle-orm";
import { L7_PROTOCOL_NAMES, REQUEST_FIELDS } from "../../appliance/wire/mod.ts";
import type { Database } from "../db/mod.ts";
import { searchClauseSql } from "../query/mod.ts";
import { REQUEST_SORTS, type RequestFilters, STATUS_FILTERS, type TimeRange } from "./params.ts";

/**
 * The rows a user may see (manager/license/data_filter.ts `requestLogFilter` over this table's
 * columns), passed in by the HTTP layer.
 */
export type Visibility = SQL;

/** `like` pattern of a substring: `%` and `_` taken literally. */
function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The WHERE of every request-log view: time range, filters and visibility. */
export function requestWhere(
  filters: RequestFilters,
  range: TimeRange,
  visible: Visibility,
): SQL {
  const parts: SQL[] = [
    sql`time >= ${new Date(range.fromMs).toISOString()}::timestamptz`,
    sql`time < ${new Date(range.toMs).toISOString()}::timestamptz`,
    visible,
  ];
  if (filters.serverIp !== undefined) parts.push(sql`ip_1 <<= ${filters.serverIp}::inet`);
  if (filters.serverPort !== undefined) parts.push(sql`server_port = ${filters.serverPort}`);
  if (filters.service !== undefined) parts.push(sql`service_1 = ${filters.service}`);
  if (filters.clientIp !== undefined) parts.push(sql`ip_0 <<= ${filters.clientIp}::inet`);
  if (filters.endpoint !== undefined) {
    parts.push(sql`endpoint ilike ${contains(filters.endpoint)}`);
  }
  if (filters.l7Protocol !== undefined) parts.push(sql`l7_protocol = ${filters.l7Protocol}`);
  if (filters.status !== undefined) {
    const values = STATUS_FILTERS[filters.status];
    parts.push(sql`response_status in (${sql.join(values.map((v) => sql`${v}`), sql`, `)})`);
    if (filters.status === "timeout") parts.push(sql`response_exception = 'Timeout'`);
  }
  if (filters.code !== undefined) parts.push(sql`response_code = ${filters.code}`);
  if (filters.minUs !== undefined) parts.push(sql`response_duration >= ${filters.minUs}`);
  if (filters.maxUs !== undefined) parts.push(sql`response_duration <= ${filters.maxUs}`);
  if (filters.traceId !== undefined) parts.push(sql`trace_id = ${filters.traceId}`);
  if (filters.statement !== undefined) {
    parts.push(
      sql`coalesce(nullif(normalized_statement, ''), request_type) = ${filters.statement}`,
    );
  }
  for (const clause of filters.tags ?? []) parts.push(searchClauseSql(clause, "request_log"));
  return sql.join(parts, sql` and `);
}

/** One request-log row: DeepFlow's snake_case names, plus its key and its AutoTagging tags. */
export interface RequestRowOut {
  /** `appliance:timeMs:id`, the row's primary key (see {@link queryRequestRow}). */
  key: string;
  appliance_id: string;
  signal_source: number;
  l7_protocol_str: string;
  normalized_statement: string;
  service_0: string;
  service_1: string;
  [column: string]: string | number | null;
}

/** AutoTagging columns shown with a row (labels as JSON text); subnet ids are internal. */
const TAG_COLUMNS = [0, 1].flatMap((n) =>
  ["region", "vpc", "subnet", "host", "service", "pod_ns", "pod", "labels"].map((t) => `${t}_${n}`)
);

const NUMERIC = new Set(
  REQUEST_FIELDS.filter((f) => f.kind !== "str").map((f) => f.column).concat(["signal_source"]),
);
const SELECT = sql.raw(
  [
    "id",
    "appliance_id",
    "(extract(epoch from time) * 1000)::bigint as time_ms",
    "signal_source",
    ...REQUEST_FIELDS.map((f) =>
      f.column === "ip_0" || f.column === "ip_1" ? `host(${f.column}) as ${f.column}` : f.column
    ),
    "normalized_statement",
    ...TAG_COLUMNS,
  ].join(", "),
);

function rowOut(r: Record<string, unknown>): RequestRowOut {
  const out: RequestRowOut = {
    key: `${r.appliance_id}:${Number(r.time_ms)}:${Number(r.id)}`,
    appliance_id: String(r.appliance_id),
    signal_source: Number(r.signal_source),
    l7_protocol_str: "",
    normalized_statement: String(r.normalized_statement ?? ""),
    service_0: String(r.service_0 ?? ""),
    service_1: String(r.service_1 ?? ""),
  };
  for (const column of TAG_COLUMNS) {
    const v = r[column];
    out[column] = typeof v === "string" ? v : JSON.stringify(v ?? {});
  }
  for (const f of REQUEST_FIELDS) {
    const v = r[f.column];
    out[f.column] = v === null || v === undefined
      ? null
      : NUMERIC.has(f.column)
      ? Number(v)
      : String(v);
  }
  const p = out.l7_protocol as number;
  out.l7_protocol_str = L7_PROTOCOL_NAMES[p] ?? String(p);
  return out;
}

export interface HistogramBucket {
  /** Start of the bucket, ms since the epoch. */
  t: number;
  ok: number;
  error: number;
}

export interface RequestPage {
  total: number;
  rows: RequestRowOut[];
  histogram: HistogramBucket[];
  bucketSeconds: number;
}

/** Most bars the histogram draws. */
const MAX_BUCKETS = 120;
const STEPS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400];

/** The bucket width (s) that shows the range in at most {@link MAX_BUCKETS} bars. */
export function bucketSecondsOf(range: TimeRange): number {
  const seconds = (range.toMs - range.fromMs) / 1000;
  return STEPS.find((s) => seconds / s <= MAX_BUCKETS) ?? 86_400 * 7;
}

/** Count, the page of rows (sorted) and the histogram of the requests matching `filters`. */
export async function searchRequests(
  database: Database,
  filters: RequestFilters,
  options: { range: TimeRange; visible: Visibility; pageSize: number },
): Promise<RequestPage> {
  const where = requestWhere(filters, options.range, options.visible);
  const order = sql.raw(
    `${REQUEST_SORTS[filters.sort]} ${filters.desc ? "desc nulls last" : "asc nulls first"}, id ${
      filters.desc ? "desc" : "asc"
    }`,
  );
  const offset = (filters.page - 1) * options.pageSize;
  const bucket = bucketSecondsOf(options.range);
  const [countRow] = await database.rows<{ n: string | number }>(
    sql`select count(*) as n from request_log where ${where}`,
  );
  const rows = await database.rows<Record<string, unknown>>(
    sql`select ${SELECT} from request_log where ${where} order by ${order}
        limit ${options.pageSize} offset ${offset}`,
  );
  const buckets = await database.rows<
    { b: string | number; ok: string | number; err: string | number }
  >(
    sql`select floor(start_time / ${bucket * 1_000_000}::bigint)::bigint as b,
          count(*) filter (where response_status not in (3, 4)) as ok,
          count(*) filter (where response_status in (3, 4)) as err
        from request_log where ${where} group by 1 order by 1`,
  );
  return {
    total: Number(countRow?.n ?? 0),
    rows: rows.map(rowOut),
    histogram: buckets.map((b) => ({
      t: Number(b.b) * bucket * 1000,
      ok: Number(b.ok),
      error: Number(b.err),
    })),
    bucketSeconds: bucket,
  };
}

export interface RequestKey {
  appliance: string;
  timeMs: number;
  id: number;
}

/** `appliance:timeMs:id` (the appliance id may itself hold colons). */
export function parseRequestKey(text: string): RequestKey | undefined {
  const m = /^(.{1,128}):(\d{1,15}):(\d{1,18})$/.exec(text);
  if (!m) return undefined;
  return { appliance: m[1]!, timeMs: Number(m[2]), id: Number(m[3]) };
}

export interface RequestDetail {
  row: RequestRowOut;
  /** The flow-log row of the request's flow in the minute of the request (`/flows?flow=`). */
  flowKey?: string;
}

/** One row by its key, if visible, with the flow-log row it was seen on. */
export async function queryRequestRow(
  database: Database,
  keyText: string,
  visible: Visibility,
): Promise<RequestDetail | undefined> {
  const key = parseRequestKey(keyText);
  if (!key) return undefined;
  const time = new Date(key.timeMs).toISOString();
  const [raw] = await database.rows<Record<string, unknown>>(
    sql`select ${SELECT} from request_log where appliance_id = ${key.appliance}
        and time = ${time}::timestamptz and id = ${key.id} and ${visible}`,
  );
  if (!raw) return undefined;
  const row = rowOut(raw);
  const startMs = Math.floor(Number(row.start_time) / 1000);
  // The flow's record of the minute holding the request: per-minute rows start at or before it.
  const [flow] = await database.rows<{ id: string | number; t: string | number }>(
    sql`select id, (extract(epoch from time) * 1000)::bigint as t from flow_log
        where appliance_id = ${key.appliance} and flow_id = ${row.flow_id}
          and time >= ${new Date(startMs - 120_000).toISOString()}::timestamptz
          and time <= ${new Date(startMs + 1000).toISOString()}::timestamptz
        order by time desc limit 1`,
  );
  return flow ? { row, flowKey: `${key.appliance}:${Number(flow.t)}:${Number(flow.id)}` } : { row };
}
