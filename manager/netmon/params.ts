// The query string of the network views (DESIGN §9: the state is in the URL): time range, filter
// bar, grouping and metric. Validation reports every problem against its field.
import { sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import { parseIpFilter, parseUtcTime } from "../query/mod.ts";
import { dimensionOf, METRIC_BY_KEY } from "./dimensions.ts";
import { MINUTE_MS } from "./rollup.ts";

/** The fields as typed (re-rendered in the form). */
export interface NetmonRaw {
  from: string;
  to: string;
  ip: string;
  port: string;
  protocol: string;
  appliance: string;
  group: string;
  side: string;
  metric: string;
  sort: string;
  top: string;
}

export const NETMON_FIELDS: readonly (keyof NetmonRaw)[] = [
  "from",
  "to",
  "ip",
  "port",
  "protocol",
  "appliance",
  "group",
  "side",
  "metric",
  "sort",
  "top",
];

export interface NetmonFilters {
  fromMs?: number;
  toMs?: number;
  ip?: string;
  port?: number;
  protocol?: number;
  /** An appliance, or `appliance#nic` for one capture point. */
  appliance?: string;
  captureNic?: number;
  group: string;
  side: 0 | 1;
  metric: string;
  sort: string;
  top: number;
}

export type NetmonErrors = Partial<Record<keyof NetmonRaw, string>>;

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

/** Reads and checks the view's parameters; `defaults` fill the grouping and metric. */
export function parseNetmonParams(
  params: URLSearchParams,
  defaults: { group?: string; metric?: string; top?: number } = {},
): { raw: NetmonRaw; filters: NetmonFilters; errors: NetmonErrors } {
  const raw = Object.fromEntries(
    NETMON_FIELDS.map((k) => [k, (params.get(k) ?? "").trim()]),
  ) as unknown as NetmonRaw;
  const errors: NetmonErrors = {};
  const metric = raw.metric || defaults.metric || "bytes";
  const filters: NetmonFilters = {
    group: raw.group || defaults.group || "ip",
    side: raw.side === "0" ? 0 : 1,
    metric,
    // Sorted by the charted metric unless told (a bad metric is reported once, under metric).
    sort: raw.sort || (METRIC_BY_KEY.has(metric) ? metric : "bytes"),
    top: defaults.top ?? 10,
  };
  for (const key of ["from", "to"] as const) {
    if (!raw[key]) continue;
    const t = parseUtcTime(raw[key]);
    if (t === undefined) errors[key] = "expected a UTC date and time like 2026-11-25T17:00";
    else if (key === "from") filters.fromMs = t;
    else filters.toMs = t;
  }
  if (
    filters.fromMs !== undefined && filters.toMs !== undefined && filters.toMs <= filters.fromMs
  ) {
    errors.to = "must be after From";
  }
  if (raw.ip) {
    const ip = parseIpFilter(raw.ip);
    if ("error" in ip) errors.ip = ip.error;
    else filters.ip = ip.value;
  }
  if (raw.port) {
    if (/^\d{1,5}$/.test(raw.port) && Number(raw.port) <= 65535) filters.port = Number(raw.port);
    else errors.port = "port must be a number from 0 to 65535";
  }
  if (raw.protocol) {
    const named = PROTOCOLS[raw.protocol.toLowerCase()];
    if (named !== undefined) filters.protocol = named;
    else if (/^\d{1,3}$/.test(raw.protocol) && Number(raw.protocol) <= 255) {
      filters.protocol = Number(raw.protocol);
    } else errors.protocol = "protocol must be tcp, udp, icmp, icmpv6 or a number 0–255";
  }
  if (raw.appliance) {
    const m = /^(.{1,128}?)(?:#(\d{1,10}))?$/.exec(raw.appliance);
    if (!m) errors.appliance = "expected an appliance name, or name#nic for one capture point";
    else {
      filters.appliance = m[1];
      if (m[2] !== undefined) filters.captureNic = Number(m[2]);
    }
  }
  if (!dimensionOf(filters.group, filters.side)) {
    errors.group = `unknown grouping "${filters.group}"`;
  }
  if (!METRIC_BY_KEY.has(filters.metric)) errors.metric = `unknown metric "${filters.metric}"`;
  if (!METRIC_BY_KEY.has(filters.sort)) errors.sort = `unknown metric "${filters.sort}"`;
  if (raw.top) {
    const top = Number(raw.top);
    if (Number.isInteger(top) && top >= 1 && top <= 100) filters.top = top;
    else errors.top = "top must be from 1 to 100";
  }
  return { raw, filters, errors };
}

/** The problems as one line that names each parameter: `port: port must be …; top: …`. */
export function describeErrors(errors: Record<string, string | undefined>): string {
  return Object.entries(errors).filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`).join("; ");
}

/** A resolved time range, ms since the epoch, whole minutes. */
export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/**
 * Fills a missing end of the range: by default the hour up to the newest minute with metrics
 * (so a view opens on data, even from a replayed capture), else `spanMs` from the given end.
 */
export async function resolveRange(
  database: Database,
  filters: Pick<NetmonFilters, "fromMs" | "toMs">,
  spanMs = 3_600_000,
): Promise<TimeRange> {
  let { fromMs, toMs } = filters;
  if (fromMs === undefined && toMs === undefined) {
    const [row] = await database.rows<{ last: string | Date | null }>(
      sql`select max(time) as last from network_metrics_1m`,
    );
    toMs = row?.last ? new Date(row.last).getTime() + MINUTE_MS : Date.now();
  }
  if (toMs === undefined) toMs = fromMs! + spanMs;
  if (fromMs === undefined) fromMs = toMs - spanMs;
  return {
    fromMs: Math.floor(fromMs / MINUTE_MS) * MINUTE_MS,
    toMs: Math.ceil(toMs / MINUTE_MS) * MINUTE_MS,
  };
}
