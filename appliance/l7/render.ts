/** How the console shows request logs: a readable table and one summary line. */
import { L7_PROTOCOL_NAMES, type RequestRecord } from "../wire/mod.ts";
import type { L7Stats } from "./engine.ts";

const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: "ok",
  2: "unknown",
  3: "server error",
  4: "client error",
};

function endpoint(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function cut(text: string, width: number): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/** One line per request: time, flow, protocol, client → server, type, resource, status, µs. */
export function requestTable(records: readonly RequestRecord[]): string {
  const header = [
    "START (UTC)",
    "FLOW",
    "PROTO",
    "CLIENT",
    "SERVER",
    "TYPE",
    "DOMAIN",
    "RESOURCE",
    "CODE",
    "STATUS",
    "µs",
  ];
  const rows = records.map((r) => [
    new Date(r.startTime / 1000).toISOString(),
    String(r.flowId),
    L7_PROTOCOL_NAMES[r.l7Protocol] ?? String(r.l7Protocol),
    endpoint(r.ip0, r.clientPort),
    endpoint(r.ip1, r.serverPort),
    r.requestType,
    cut(r.requestDomain, 24),
    cut(r.requestResource, 60),
    r.responseCode === null ? "" : String(r.responseCode),
    (STATUS_NAMES[r.responseStatus] ?? String(r.responseStatus)) +
    (r.responseException === "" ? "" : ` (${cut(r.responseException, 40)})`),
    r.type === 0 ? "" : String(r.responseDuration),
  ]);
  // A loop, not Math.max(...rows): a spread of 200k rows overflows the call stack.
  const widths = header.map((h, i) =>
    rows.reduce((w, row) => Math.max(w, row[i]!.length), h.length)
  );
  const numeric = new Set([1, 8, 10]);
  const line = (cells: string[]) =>
    cells.map((c, i) => numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** `12 requests (http 5, dns 7), 1 timeout, 0 parse failures`. */
export function describeRequests(stats: L7Stats): string {
  let requests = 0;
  let timeouts = 0;
  let failed = 0;
  const parts: string[] = [];
  for (const [name, p] of Object.entries(stats.byProtocol)) {
    requests += p.requests;
    timeouts += p.timeouts;
    failed += p.parseFailed;
    if (p.requests > 0) parts.push(`${name} ${p.requests.toLocaleString("en-US")}`);
  }
  return `${requests.toLocaleString("en-US")} requests${
    parts.length > 0 ? ` (${parts.join(", ")})` : ""
  }, ${timeouts} timed out, ${failed} parse failures`;
}
