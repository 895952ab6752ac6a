/** Raw filter values as typed by the user (the URL's query string), kept for re-rendering. */
import type { SearchClause } from "./search.ts";
import { parseSearch } from "./search.ts";

export interface RawFlowFilters {
  /** The search expression (`service_1 = checkout and byte_tx > 1000`). */
  q: string;
  ip: string;
  port: string;
  protocol: string;
  from: string;
  to: string;
  page: number;
  /** Chosen table columns (the column chooser), in order; empty = the default set. */
  cols: string[];
}

export interface FlowQuery {
  /** Clauses of the search expression, all of which must hold. */
  search?: SearchClause[];
  /** An address or a CIDR prefix, matched against either side. */
  ip?: string;
  port?: number;
  protocol?: number;
  fromMs?: number;
  toMs?: number;
  page: number;
  pageSize: number;
}

export type FilterErrors = Partial<
  Record<"q" | "ip" | "port" | "protocol" | "from" | "to", string>
>;

const PROTOCOL_NAMES: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 };

function isIpv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIpv6(s: string): boolean {
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/** Returns the normalized address or prefix, or an error message. */
export function parseIpFilter(raw: string): { value: string } | { error: string } {
  const [addr = "", prefix, extra] = raw.split("/");
  if (extra !== undefined) return { error: "expected an address or address/prefix" };
  const v4 = isIpv4(addr);
  if (!v4 && !isIpv6(addr)) {
    return { error: `"${addr}" is not an IPv4 or IPv6 address` };
  }
  if (prefix !== undefined) {
    const max = v4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
      return { error: `prefix length must be 0–${max}` };
    }
  }
  return { value: raw };
}

/** `<input type="datetime-local">` values are read as UTC; a bare date means midnight. */
export function parseUtcTime(raw: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?Z?$/
    .exec(raw);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", ms = "0"] = m;
  const t = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s, +ms.padEnd(3, "0"));
  const check = new Date(t);
  // Date.UTC rolls 2026-02-31 over to March; reject instead of guessing.
  if (check.getUTCMonth() !== +mo! - 1 || check.getUTCDate() !== +d!) return undefined;
  return t;
}

/** Validates the query string; every problem is reported against its field. */
export function parseFlowFilters(
  params: URLSearchParams,
  pageSize: number,
): { raw: RawFlowFilters; query: FlowQuery; errors: FilterErrors } {
  const get = (k: string) => (params.get(k) ?? "").trim();
  const pageRaw = get("page");
  const page = /^\d{1,6}$/.test(pageRaw) && Number(pageRaw) >= 1 ? Number(pageRaw) : 1;
  const cols = params.getAll("cols").flatMap((c) => c.split(",")).map((c) => c.trim())
    .filter((c) => /^[a-z0-9_]{1,40}$/.test(c));
  const raw: RawFlowFilters = {
    q: get("q"),
    ip: get("ip"),
    port: get("port"),
    protocol: get("protocol"),
    from: get("from"),
    to: get("to"),
    page,
    cols: [...new Set(cols)].slice(0, 60),
  };
  const errors: FilterErrors = {};
  const query: FlowQuery = { page, pageSize };

  if (raw.q) {
    const search = parseSearch(raw.q);
    if ("error" in search) errors.q = search.error;
    else if (search.clauses.length > 0) query.search = search.clauses;
  }
  if (raw.ip) {
    const ip = parseIpFilter(raw.ip);
    if ("error" in ip) errors.ip = ip.error;
    else query.ip = ip.value;
  }
  if (raw.port) {
    if (/^\d{1,5}$/.test(raw.port) && Number(raw.port) <= 65535) query.port = Number(raw.port);
    else errors.port = "port must be a number from 0 to 65535";
  }
  if (raw.protocol) {
    const named = PROTOCOL_NAMES[raw.protocol.toLowerCase()];
    if (named !== undefined) query.protocol = named;
    else if (/^\d{1,3}$/.test(raw.protocol) && Number(raw.protocol) <= 255) {
      query.protocol = Number(raw.protocol);
    } else errors.protocol = "protocol must be tcp, udp, icmp, icmpv6 or a number 0–255";
  }
  for (const key of ["from", "to"] as const) {
    if (!raw[key]) continue;
    const t = parseUtcTime(raw[key]);
    if (t === undefined) errors[key] = "expected a UTC date and time like 2026-11-25T17:00";
    else if (key === "from") query.fromMs = t;
    else query.toMs = t;
  }
  if (query.fromMs !== undefined && query.toMs !== undefined && query.toMs <= query.fromMs) {
    errors.to = "must be after From";
  }
  return { raw, query, errors };
}
