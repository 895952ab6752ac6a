/**
 * The on-demand PCAP channel (packets stay on the appliance): the agent long-polls
 * `GET TASKS_PATH?wait=S` with its credential and gets at most one task; it runs the task against
 * its own `<stateDir>/pcap` store and POSTs the answer to `TASKS_PATH/<id>/result`. A task carries
 * only a query, never a path: the appliance decides where its files are.
 *
 * - `search`: the index rows matching the query, as CBOR `{ flows: PcapFlowSummary[] }`.
 * - `extract`: the matching packets as one pcapng file (`application/x-pcapng`), at most
 *   `limit` packets; headers `x-tapline-packets` and `x-tapline-truncated` say how many and
 *   whether the limit cut.
 * - any failure: HTTP 200 with `application/json` `{ "error": "…" }` from the agent (the task
 *   ran and failed: the manager shows the message).
 */

export const TASKS_PATH = "/api/v1/appliances/self/tasks";
export const PCAPNG_CONTENT_TYPE = "application/x-pcapng";
/** Longest long-poll the manager holds, seconds. */
export const MAX_TASK_WAIT_SECONDS = 30;
/** Most packets one extract may return. */
export const MAX_EXTRACT_PACKETS = 100_000;
export const DEFAULT_EXTRACT_PACKETS = 10_000;
/** Task ids: what `crypto.randomUUID()` makes. */
export const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What to look for in the store; every given field must hold. Times in µs since the epoch. */
export interface PcapTaskQuery {
  sinceUs?: number;
  untilUs?: number;
  /** The flow between two endpoints, in either direction. */
  flow?: { protocol: number; ip0: string; port0: number; ip1: string; port1: number };
  host?: string;
  port?: number;
  protocol?: number;
  /** A PCAP policy id. */
  policy?: string;
  /** A tcpdump expression, compiled by libpcap on the appliance. */
  filter?: string;
  /** extract: most packets returned. */
  limit?: number;
}

export interface PcapTask {
  id: string;
  kind: "search" | "extract";
  query: PcapTaskQuery;
}

/** One index row of a `search` answer: one flow's packets in one stored file. */
export interface PcapFlowSummary {
  protocol: number;
  ipA: string;
  portA: number;
  ipB: string;
  portB: number;
  firstUs: number;
  lastUs: number;
  packets: number;
  bytes: number;
  policy: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]{2,45}$/;
const POLICY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** tcpdump expressions: printable ASCII, bounded (libpcap then judges the grammar). */
const FILTER = /^[\x20-\x7e]{1,1024}$/;

export function isIp(text: string): boolean {
  return IPV4.test(text) || (text.includes(":") && IPV6.test(text));
}

function port(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
}

function time(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/**
 * Checks a task (the agent checks what it is given; the manager checks what it sends). Returns
 * the problems, each naming its field; empty when the task is valid.
 */
export function checkPcapTask(x: unknown): string[] {
  if (typeof x !== "object" || x === null) return ["task: expected an object"];
  const t = x as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof t.id !== "string" || !TASK_ID.test(t.id)) problems.push("id: expected a UUID");
  if (t.kind !== "search" && t.kind !== "extract") {
    problems.push("kind: expected search or extract");
  }
  if (typeof t.query !== "object" || t.query === null) {
    return [...problems, "query: expected an object"];
  }
  const q = t.query as Record<string, unknown>;
  const known = [
    "sinceUs",
    "untilUs",
    "flow",
    "host",
    "port",
    "protocol",
    "policy",
    "filter",
    "limit",
  ];
  for (const k of Object.keys(q)) {
    if (!known.includes(k)) problems.push(`query.${k}: unknown field`);
  }
  if (q.sinceUs !== undefined && !time(q.sinceUs)) problems.push("query.sinceUs: expected µs ≥ 0");
  if (q.untilUs !== undefined && !time(q.untilUs)) problems.push("query.untilUs: expected µs ≥ 0");
  if (q.host !== undefined && (typeof q.host !== "string" || !isIp(q.host))) {
    problems.push("query.host: expected an IP address");
  }
  if (q.port !== undefined && !port(q.port)) problems.push("query.port: expected 0-65535");
  if (
    q.protocol !== undefined &&
    !(Number.isInteger(q.protocol) && (q.protocol as number) >= 0 && (q.protocol as number) <= 255)
  ) {
    problems.push("query.protocol: expected 0-255");
  }
  if (q.policy !== undefined && (typeof q.policy !== "string" || !POLICY_ID.test(q.policy))) {
    problems.push("query.policy: expected a policy id (letters, digits, _ . -)");
  }
  if (q.filter !== undefined && (typeof q.filter !== "string" || !FILTER.test(q.filter))) {
    problems.push("query.filter: expected a tcpdump expression (printable ASCII, ≤ 1024 chars)");
  }
  if (
    q.limit !== undefined &&
    !(Number.isInteger(q.limit) && (q.limit as number) >= 1 &&
      (q.limit as number) <= MAX_EXTRACT_PACKETS)
  ) problems.push(`query.limit: expected 1-${MAX_EXTRACT_PACKETS}`);
  if (q.flow !== undefined) {
    const f = q.flow as Record<string, unknown> | null;
    if (
      typeof f !== "object" || f === null || !Number.isInteger(f.protocol) ||
      typeof f.ip0 !== "string" || !isIp(f.ip0) || typeof f.ip1 !== "string" || !isIp(f.ip1) ||
      !port(f.port0) || !port(f.port1)
    ) problems.push("query.flow: expected { protocol, ip0, port0, ip1, port1 }");
  }
  return problems;
}
