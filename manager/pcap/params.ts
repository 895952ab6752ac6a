// The analysis page's URL (`/pcap/analysis?appliance=…&proto=…&ip0=…`) and its API twins: every
// parameter checked, every problem named by its field.
import { isIp, MAX_EXTRACT_PACKETS, type PcapTaskQuery } from "../../appliance/wire/mod.ts";

export const PCAP_FIELDS = [
  "appliance",
  "policy",
  "ip0",
  "port0",
  "ip1",
  "port1",
  "proto",
  "from",
  "to",
  "filter",
  "limit",
  "packet",
] as const;
export type PcapField = typeof PCAP_FIELDS[number];

export interface PcapParams {
  raw: Record<PcapField, string>;
  errors: Partial<Record<PcapField, string>>;
  applianceId?: string;
  query: PcapTaskQuery;
  /** The selected frame (1-based), for the decode panel. */
  packet?: number;
  /** The session the 5-tuple names exactly (sequence diagram, follow stream). */
  session?: { protocol: number; ip0: string; port0: number; ip1: string; port1: number };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const POLICY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58, sctp: 132 };

/** ms since the epoch, or an ISO time (UTC when it names no zone, as the time inputs send). */
export function parseTime(text: string): number | undefined {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?$/.test(text) ? `${text}Z` : text;
  if (!/^\d{4}-\d\d-\d\d/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Checks the page's parameters; `query` holds what was valid. */
export function parsePcapParams(params: URLSearchParams): PcapParams {
  const raw = Object.fromEntries(
    PCAP_FIELDS.map((f) => [f, (params.get(f) ?? "").trim()]),
  ) as Record<PcapField, string>;
  const errors: PcapParams["errors"] = {};
  const query: PcapTaskQuery = {};
  const out: PcapParams = { raw, errors, query };
  if (raw.appliance === "") errors.appliance = "choose an appliance";
  else if (!UUID.test(raw.appliance)) errors.appliance = "expected an appliance id (a UUID)";
  else out.applianceId = raw.appliance;
  if (raw.policy !== "") {
    if (POLICY_ID.test(raw.policy)) query.policy = raw.policy;
    else errors.policy = "expected a policy id (letters, digits, _ . -)";
  }
  const ip = (f: "ip0" | "ip1") => {
    if (raw[f] === "") return undefined;
    if (isIp(raw[f])) return raw[f];
    errors[f] = "expected an IPv4 or IPv6 address";
  };
  const port = (f: "port0" | "port1") => {
    if (raw[f] === "") return undefined;
    if (/^\d{1,5}$/.test(raw[f]) && Number(raw[f]) <= 65535) return Number(raw[f]);
    errors[f] = "expected a port 0-65535";
  };
  const ip0 = ip("ip0"), ip1 = ip("ip1"), port0 = port("port0"), port1 = port("port1");
  let protocol: number | undefined;
  if (raw.proto !== "") {
    const p = raw.proto.toLowerCase();
    protocol = PROTOCOLS[p] ?? (/^\d{1,3}$/.test(p) && Number(p) <= 255 ? Number(p) : undefined);
    if (protocol === undefined) errors.proto = "expected tcp, udp, icmp, icmp6, sctp or 0-255";
  }
  if (ip0 && ip1 && port0 !== undefined && port1 !== undefined && protocol !== undefined) {
    out.session = { protocol, ip0, port0, ip1, port1 };
    query.flow = out.session;
  } else {
    if (ip0 && ip1) query.host = ip0; // both named: the index narrows by one, the filter by both
    else if (ip0 ?? ip1) query.host = (ip0 ?? ip1)!;
    if (port0 !== undefined || port1 !== undefined) query.port = (port0 ?? port1)!;
    if (protocol !== undefined) query.protocol = protocol;
  }
  const extra: string[] = [];
  if (!out.session) {
    if (ip0 && ip1) extra.push(`host ${ip1}`);
    if (port0 !== undefined && port1 !== undefined) extra.push(`port ${port1}`);
  }
  for (const f of ["from", "to"] as const) {
    if (raw[f] === "") continue;
    const ms = parseTime(raw[f]);
    if (ms === undefined) errors[f] = "expected an ISO time or ms since the epoch";
    else if (f === "from") query.sinceUs = ms * 1000;
    else query.untilUs = ms * 1000 + 999;
  }
  if (query.sinceUs !== undefined && query.untilUs !== undefined && query.sinceUs > query.untilUs) {
    errors.to = "must not be before From";
  }
  if (raw.filter !== "") {
    if (/^[\x20-\x7e]{1,1024}$/.test(raw.filter)) extra.unshift(`(${raw.filter})`);
    else errors.filter = "expected a tcpdump expression (printable ASCII, at most 1024 characters)";
  }
  if (extra.length > 0) query.filter = extra.join(" and ");
  if (raw.limit !== "") {
    const n = Number(raw.limit);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_EXTRACT_PACKETS) query.limit = n;
    else errors.limit = `expected 1-${MAX_EXTRACT_PACKETS} packets`;
  }
  if (raw.packet !== "") {
    const n = Number(raw.packet);
    if (Number.isInteger(n) && n >= 1) out.packet = n;
    else errors.packet = "expected a frame number ≥ 1";
  }
  return out;
}

/** One line naming every problem, for the API's 400. */
export function describePcapErrors(errors: PcapParams["errors"]): string {
  return Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join("; ");
}

/** The page URL of `values` (empty ones left out). */
export function pcapHref(
  path: string,
  values: Partial<Record<PcapField | string, string | number | undefined>>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
