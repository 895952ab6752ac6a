// The query string of the request-log views (DESIGN §9: the state is in the URL). Validation
// reports every problem against its field; nothing here touches the database but the default
// time range.
import { sql } from "drizzle-orm";
import { L7_PROTOCOL_NAMES } from "../../appliance/wire/mod.ts";
import type { Database } from "../db/mod.ts";
import {
  isTagField,
  parseIpFilter,
  parseSearch,
  parseUtcTime,
  type SearchClause,
} from "../query/mod.ts";

/** The fields as typed (re-rendered in the form). */
export interface RequestRaw {
  from: string;
  to: string;
  server: string;
  client: string;
  endpoint: string;
  protocol: string;
  status: string;
  code: string;
  minMs: string;
  maxMs: string;
  traceId: string;
  statement: string;
  tags: string;
  sort: string;
  dir: string;
  page: string;
}

/** Query-string names of {@link RequestRaw} (snake_case in the URL). */
export const REQUEST_PARAM_NAMES: Readonly<Record<keyof RequestRaw, string>> = {
  from: "from",
  to: "to",
  server: "server",
  client: "client",
  endpoint: "endpoint",
  protocol: "protocol",
  status: "status",
  code: "code",
  minMs: "min_ms",
  maxMs: "max_ms",
  traceId: "trace_id",
  statement: "statement",
  tags: "tags",
  sort: "sort",
  dir: "dir",
  page: "page",
};

/** `status=` values: DeepFlow's response_status, plus "error" (3 or 4) and "timeout". */
export const STATUS_FILTERS = {
  success: [0],
  error: [3, 4],
  client_error: [4],
  server_error: [3],
  unknown: [2],
  timeout: [3],
} as const;
export type StatusFilter = keyof typeof STATUS_FILTERS;

/** Sortable columns of the request table, by their query-string name. */
export const REQUEST_SORTS = {
  time: "start_time",
  duration: "response_duration",
  status: "response_status",
  code: "response_code",
  protocol: "l7_protocol",
  endpoint: "endpoint",
  server: "ip_1",
} as const;
export type RequestSort = keyof typeof REQUEST_SORTS;

export interface RequestFilters {
  fromMs?: number;
  toMs?: number;
  /** Server address (or CIDR), with a port when given as `ip:port`. */
  serverIp?: string;
  serverPort?: number;
  /** A service tag (`service_1`), when `server` is not an address. */
  service?: string;
  clientIp?: string;
  /** Substring of the endpoint. */
  endpoint?: string;
  l7Protocol?: number;
  status?: StatusFilter;
  code?: number;
  minUs?: number;
  maxUs?: number;
  traceId?: string;
  /** A normalized statement, exactly (the DB view links here). */
  statement?: string;
  /** AutoTagging clauses (`host_1 = db-1 and labels_0.env = prod`), the flow search's syntax. */
  tags?: SearchClause[];
  sort: RequestSort;
  desc: boolean;
  page: number;
}

export type RequestErrors = Partial<Record<keyof RequestRaw, string>>;

const PROTOCOL_BY_NAME = new Map(
  Object.entries(L7_PROTOCOL_NAMES).map(([k, v]) => [v.toLowerCase(), Number(k)]),
);

/** An l7_protocol from its name (`http`, `MySQL`) or number; undefined when unknown. */
export function l7ProtocolOf(raw: string): number | undefined {
  if (/^\d{1,3}$/.test(raw) && Number(raw) <= 255) return Number(raw);
  return PROTOCOL_BY_NAME.get(raw.toLowerCase());
}

/** `ip`, `ip/len`, `ip:port`, `[v6]:port`; else a service name. */
function parseServer(raw: string, f: RequestFilters): string | undefined {
  let addr = raw;
  let port: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
  if (bracket) {
    addr = bracket[1]!;
    port = bracket[2];
  } else if (/^[\d.]+(\/\d+)?:\d+$/.test(raw)) {
    const at = raw.lastIndexOf(":");
    addr = raw.slice(0, at);
    port = raw.slice(at + 1);
  }
  const looksLikeIp = /^[\d.]+(\/\d+)?$/.test(addr) || addr.includes(":") || bracket !== null;
  if (!looksLikeIp) {
    if (!/^[\w.\-/ ]{1,128}$/.test(raw)) return "expected an address, address:port or a service";
    f.service = raw;
    return undefined;
  }
  const ip = parseIpFilter(addr);
  if ("error" in ip) return ip.error;
  f.serverIp = ip.value;
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return "port must be 0–65535";
    f.serverPort = Number(port);
  }
  return undefined;
}

function parseMs(raw: string): number | undefined {
  if (!/^\d{1,9}(\.\d{1,3})?$/.test(raw)) return undefined;
  return Math.round(Number(raw) * 1000);
}

/** Reads and checks the parameters of a request-log view. */
export function parseRequestParams(
  params: URLSearchParams,
): { raw: RequestRaw; filters: RequestFilters; errors: RequestErrors } {
  const raw = {} as RequestRaw;
  for (const [key, name] of Object.entries(REQUEST_PARAM_NAMES)) {
    raw[key as keyof RequestRaw] = (params.get(name) ?? "").trim();
  }
  const errors: RequestErrors = {};
  const filters: RequestFilters = { sort: "time", desc: true, page: 1 };
  for (const key of ["from", "to"] as const) {
    if (raw[key] === "") continue;
    const t = parseUtcTime(raw[key]);
    if (t === undefined) errors[key] = "expected a UTC time: YYYY-MM-DDTHH:MM";
    else filters[key === "from" ? "fromMs" : "toMs"] = t;
  }
  if (
    filters.fromMs !== undefined && filters.toMs !== undefined && filters.toMs <= filters.fromMs
  ) {
    errors.to = "must be after From";
  }
  if (raw.server !== "") {
    const problem = parseServer(raw.server, filters);
    if (problem) errors.server = problem;
  }
  if (raw.client !== "") {
    const ip = parseIpFilter(raw.client);
    if ("error" in ip) errors.client = ip.error;
    else filters.clientIp = ip.value;
  }
  if (raw.endpoint !== "") {
    if (raw.endpoint.length > 512) errors.endpoint = "at most 512 characters";
    else filters.endpoint = raw.endpoint;
  }
  if (raw.protocol !== "") {
    const p = l7ProtocolOf(raw.protocol);
    if (p === undefined) {
      errors.protocol = `unknown protocol (one of ${
        Object.values(L7_PROTOCOL_NAMES).filter((n) => n !== "N/A").join(", ")
      })`;
    } else filters.l7Protocol = p;
  }
  if (raw.status !== "") {
    if (Object.hasOwn(STATUS_FILTERS, raw.status)) filters.status = raw.status as StatusFilter;
    else errors.status = `expected one of ${Object.keys(STATUS_FILTERS).join(", ")}`;
  }
  if (raw.code !== "") {
    if (/^-?\d{1,10}$/.test(raw.code) && Math.abs(Number(raw.code)) <= 0x7fffffff) {
      filters.code = Number(raw.code);
    } else errors.code = "expected an integer";
  }
  for (const key of ["minMs", "maxMs"] as const) {
    if (raw[key] === "") continue;
    const us = parseMs(raw[key]);
    if (us === undefined) errors[key] = "expected milliseconds, e.g. 12.5";
    else filters[key === "minMs" ? "minUs" : "maxUs"] = us;
  }
  if (filters.minUs !== undefined && filters.maxUs !== undefined && filters.maxUs < filters.minUs) {
    errors.maxMs = "must not be below the minimum";
  }
  if (raw.traceId !== "") {
    if (/^[\w\-.:]{1,128}$/.test(raw.traceId)) filters.traceId = raw.traceId;
    else errors.traceId = "expected a trace id (letters, digits, - _ . :)";
  }
  if (raw.statement !== "") {
    if (raw.statement.length > 2048) errors.statement = "at most 2048 characters";
    else filters.statement = raw.statement;
  }
  if (raw.tags !== "") {
    const parsed = parseSearch(raw.tags);
    const other = "clauses" in parsed
      ? parsed.clauses.find((c) => !isTagField(c.field))
      : undefined;
    if ("error" in parsed) errors.tags = parsed.error;
    else if (other) {
      errors.tags = `${other.field.name} is not a tag (region_0 … labels_1; _0 client, _1 server)`;
    } else filters.tags = parsed.clauses;
  }
  if (raw.sort !== "") {
    if (Object.hasOwn(REQUEST_SORTS, raw.sort)) filters.sort = raw.sort as RequestSort;
    else errors.sort = `expected one of ${Object.keys(REQUEST_SORTS).join(", ")}`;
  }
  if (raw.dir !== "") {
    if (raw.dir === "asc" || raw.dir === "desc") filters.desc = raw.dir === "desc";
    else errors.dir = "expected asc or desc";
  }
  if (raw.page !== "") {
    if (/^\d{1,6}$/.test(raw.page) && Number(raw.page) >= 1) filters.page = Number(raw.page);
    else errors.page = "expected a page number";
  }
  return { raw, filters, errors };
}

/** Every problem as one line, for the API's 400. */
export function describeRequestErrors(errors: RequestErrors): string {
  return Object.entries(errors).map(([k, v]) =>
    `${REQUEST_PARAM_NAMES[k as keyof RequestRaw]}: ${v}`
  ).join("; ");
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

const MINUTE_MS = 60_000;

/**
 * The range a view shows: as given, else `spanMs` (default an hour) ending at the newest
 * request (so a replayed capture's requests show without typing a time), else now.
 */
export async function resolveRequestRange(
  database: Database,
  filters: Pick<RequestFilters, "fromMs" | "toMs">,
  spanMs = 3_600_000,
): Promise<TimeRange> {
  let { fromMs, toMs } = filters;
  if (fromMs === undefined && toMs === undefined) {
    const [row] = await database.rows<{ last: string | Date | null }>(
      sql`select max(time) as last from request_log`,
    );
    toMs = row?.last ? new Date(row.last).getTime() + 1000 : Date.now();
  }
  if (toMs === undefined) toMs = fromMs! + spanMs;
  if (fromMs === undefined) fromMs = toMs - spanMs;
  return {
    fromMs: Math.floor(fromMs / MINUTE_MS) * MINUTE_MS,
    toMs: Math.ceil(toMs / MINUTE_MS) * MINUTE_MS,
  };
}
