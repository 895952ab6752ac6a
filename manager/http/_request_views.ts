// What the request-log views share (manager/http/requests.ts, db_views.ts): the caller's data
// filter, the parsed query string, the filter bar, links that keep the range, and how a view answers
// as a page or as JSON.
import type { Context } from "hono";
import type { VNode } from "preact";
import { type SQL, sql } from "drizzle-orm";
import { L7_PROTOCOL_NAMES } from "../../appliance/wire/mod.ts";
import { type NetmonFormProps, renderPage } from "../../ui/mod.ts";
import { requestLogFilter } from "../license/mod.ts";
import { describeErrors } from "../netmon/mod.ts";
import {
  describeRequestErrors,
  parseRequestParams,
  type Red,
  RED_METRICS,
  RED_TAG_GROUPS,
  REQUEST_PARAM_NAMES,
  type RequestRaw,
  STATUS_FILTERS,
} from "../requests/mod.ts";
import { HttpError } from "./errors.ts";
import { pageFrame } from "./page_frame.ts";

/** The rows the caller's licensed modules make visible. */
export function visibility(c: Context): { visible: SQL; scope?: string } {
  const enabled = c.get("licensing")?.enabled ?? new Set();
  const visible = requestLogFilter(enabled, {
    signalSource: sql.raw("signal_source"),
    l7Protocol: sql.raw("l7_protocol"),
  });
  if (enabled.has("call_monitoring")) return { visible };
  const scope = enabled.has("network_monitoring")
    ? enabled.has("db_monitoring")
      ? "Your license shows HTTP, DNS and database requests (call monitoring shows all)."
      : "Your license shows HTTP and DNS requests (call monitoring shows all)."
    : enabled.has("db_monitoring")
    ? "Your license shows database requests (call monitoring shows all)."
    : "No licensed module shows request logs (call monitoring does).";
  return { visible, scope };
}

export function parsed(c: Context) {
  const params = new URL(c.req.url).searchParams;
  const out = parseRequestParams(params);
  return { params, ...out };
}

/** The current URL with some parameters changed ("" removes one). */
export function withParams(path: string, params: URLSearchParams, changes: Record<string, string>) {
  const q = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === "") q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const PROTOCOL_OPTIONS = [
  { value: "", label: "Any" },
  ...Object.entries(L7_PROTOCOL_NAMES).filter(([k]) => k !== "0").map(([, name]) => ({
    value: name.toLowerCase(),
    label: name,
  })),
];
export const STATUS_OPTIONS = [
  { value: "", label: "Any" },
  ...Object.keys(STATUS_FILTERS).map((s) => ({ value: s, label: s.replace("_", " ") })),
];

/** The filter bar: the common request filters, then the view's own fields. */
export function form(
  action: string,
  raw: RequestRaw,
  errors: Record<string, string | undefined>,
  extra: { fields: NetmonFormProps["fields"]; values: Record<string, string> },
): NetmonFormProps {
  const values: Record<string, string> = { ...extra.values };
  const named: Record<string, string | undefined> = {};
  for (const [key, name] of Object.entries(REQUEST_PARAM_NAMES)) {
    values[name] = raw[key as keyof RequestRaw];
    named[name] = errors[key];
  }
  return {
    action,
    values,
    errors: named,
    fields: [
      { name: "server", label: "Server / service", placeholder: "ip, ip:port or service" },
      { name: "client", label: "Client", placeholder: "address or CIDR" },
      { name: "endpoint", label: "Endpoint", placeholder: "contains" },
      { name: "protocol", label: "Protocol", options: PROTOCOL_OPTIONS },
      { name: "status", label: "Status", options: STATUS_OPTIONS },
      { name: "code", label: "Code", placeholder: "e.g. 404" },
      { name: "min_ms", label: "Min latency (ms)", placeholder: "0" },
      { name: "max_ms", label: "Max latency (ms)", placeholder: "any" },
      { name: "trace_id", label: "Trace id", placeholder: "exact" },
      { name: "tags", label: "Tags", placeholder: "host_1 = db-1 and labels_0.env = prod" },
      ...extra.fields,
    ],
  };
}

export type Problems = Record<string, string | undefined>;

export const hasProblems = (bad: Problems) => Object.keys(bad).length > 0;

export function check(errors: Problems): void {
  if (hasProblems(errors)) throw new HttpError(400, describeRequestErrors(errors));
}

/** A view's page: 400 (the form shows each problem by its field) when a parameter is bad. */
export function htmlView(c: Context, page: VNode, bad: Problems): Response {
  return c.html(renderPage(page, pageFrame(c)), hasProblems(bad) ? 400 : 200);
}

/** A view's JSON twin: 400 naming every bad parameter, else the range and `body`. */
export function jsonView(
  c: Context,
  view: { bad: Problems; range: { fromMs: number; toMs: number } },
  body: object | undefined,
): Response {
  if (body === undefined || hasProblems(view.bad)) {
    throw new HttpError(400, describeErrors(view.bad));
  }
  return c.json({
    from: new Date(view.range.fromMs).toISOString(),
    to: new Date(view.range.toMs).toISOString(),
    ...body,
  });
}

export function redValues(red: Red): Record<string, number> {
  return Object.fromEntries(RED_METRICS.map((m) => [m.key, red[m.key]]));
}

/** The request log of one service (and endpoint, or client), keeping the time range. */
export function requestsHref(raw: RequestRaw, server: string, more: Record<string, string> = {}) {
  const q = new URLSearchParams();
  if (raw.from) q.set("from", raw.from);
  if (raw.to) q.set("to", raw.to);
  q.set("server", server);
  for (const [k, v] of Object.entries(more)) if (v) q.set(k, v);
  return `/requests?${q}`;
}

/** The request log of one tag value (a RED group by tag), keeping the time range and tags. */
export function tagHref(raw: RequestRaw, column: string, value: string) {
  const q = new URLSearchParams();
  if (raw.from) q.set("from", raw.from);
  if (raw.to) q.set("to", raw.to);
  const clause = `${column} = "${value}"`;
  q.set("tags", raw.tags ? `${raw.tags} and ${clause}` : clause);
  return `/requests?${q}`;
}

/** "Group by" choices: service, endpoint, then the server's and the client's tags. */
export const GROUP_OPTIONS = [
  { value: "service", label: "Service" },
  { value: "endpoint", label: "Endpoint" },
  ...RED_TAG_GROUPS.map((column) => ({
    value: `tag:${column}`,
    label: `Tag: ${column.slice(0, -2)} (${column.endsWith("_1") ? "server" : "client"})`,
  })),
];

export const PROTOCOL_NAME = (p: number) => L7_PROTOCOL_NAMES[p] ?? String(p);
