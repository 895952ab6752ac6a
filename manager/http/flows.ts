import { type Context, Hono } from "hono";
import { encode as encodeCbor } from "cbor-x";
import {
  FlowDetailPanel,
  FlowResults,
  FlowsPage,
  renderFragment,
  renderPage,
} from "../../ui/mod.ts";
import {
  exportFlows,
  type FlowRowOut,
  parseFlowFilters,
  queryFlowRow,
  queryFlows,
} from "../query/mod.ts";
import type { AppDeps } from "../app.ts";
import { HttpError } from "./errors.ts";
import { pageFrame } from "./page_frame.ts";

/** Most rows one export holds; the `X-Tapline-Export-Capped` header says when it cut. */
export const EXPORT_CAP = 100_000;

const FORMATS = {
  csv: { type: "text/csv; charset=utf-8", ext: "csv" },
  ndjson: { type: "application/x-ndjson", ext: "ndjson" },
} as const;

/** Streams the search of the request as CSV or NDJSON (`format`), at most `limit` ≤ cap rows. */
async function exportResponse(c: Context, deps: AppDeps): Promise<Response> {
  const format = c.req.query("format") ?? "csv";
  if (format !== "csv" && format !== "ndjson") {
    throw new HttpError(400, "format must be csv or ndjson");
  }
  const limitRaw = c.req.query("limit");
  const cap = limitRaw === undefined ? EXPORT_CAP : Number(limitRaw);
  if (!Number.isInteger(cap) || cap < 1 || cap > EXPORT_CAP) {
    throw new HttpError(400, `limit must be an integer from 1 to ${EXPORT_CAP}`);
  }
  const { query, errors } = parseFlowFilters(new URL(c.req.url).searchParams, 1);
  const problems = Object.entries(errors).map(([k, v]) => `${k}: ${v}`);
  if (problems.length > 0) throw new HttpError(400, problems.join("; "));
  const out = await exportFlows(deps.database, query, { format, cap });
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(":", "");
  return new Response(out.body, {
    status: 200,
    headers: {
      "content-type": FORMATS[format].type,
      "content-disposition": `attachment; filename="flows-${stamp}.${FORMATS[format].ext}"`,
      "cache-control": "no-store",
      "x-tapline-export-total": String(out.total),
      "x-tapline-export-rows": String(out.rows),
      "x-tapline-export-capped": out.capped ? "true" : "false",
      "access-control-expose-headers":
        "x-tapline-export-total, x-tapline-export-rows, x-tapline-export-capped",
    },
  });
}

/** Where the panel's Close link goes without JavaScript: the page it was opened on, sans `flow`. */
function closeHref(c: Context): string {
  try {
    const current = new URL(c.req.header("hx-current-url") ?? "");
    if (current.pathname !== "/flows") return "/flows";
    current.searchParams.delete("flow");
    return current.pathname + current.search;
  } catch {
    return "/flows";
  }
}

/** The flow-log page (`/flows`, full page or htmx fragment), its detail panel, export, and API. */
export function flowRoutes(deps: AppDeps): { page: Hono; api: Hono } {
  const page = new Hono();
  page.get("/", async (c) => {
    const { raw, query, errors } = parseFlowFilters(
      new URL(c.req.url).searchParams,
      deps.pageSize,
    );
    const hasErrors = Object.keys(errors).length > 0;
    const result = hasErrors
      ? { rows: [], total: 0, chart: [], bucketSeconds: 60 }
      : await queryFlows(deps.database, query);
    const flowKey = c.req.query("flow");
    const detail = flowKey ? await queryFlowRow(deps.database, flowKey) : undefined;
    const props = {
      filters: raw,
      rows: result.rows,
      total: result.total,
      pageSize: deps.pageSize,
      chart: result.chart,
      bucketSeconds: result.bucketSeconds,
      errors,
      basePath: "/flows",
      detail,
      exportCap: EXPORT_CAP,
    };
    // One URL serves the page or, for htmx, only the results region.
    c.header("Vary", "HX-Request");
    const partial = c.req.header("hx-request") === "true" &&
      c.req.header("hx-history-restore-request") !== "true";
    if (partial) {
      return c.html(renderFragment(FlowResults(props)));
    }
    return c.html(renderPage(FlowsPage(props), pageFrame(c)), hasErrors ? 400 : 200);
  });

  // The detail panel of one row (htmx swaps it into #flow-detail); browsers without JavaScript
  // follow the row's link to the page with `?flow=` instead.
  page.get("/detail", async (c) => {
    const key = c.req.query("flow") ?? "";
    const row = await queryFlowRow(deps.database, key);
    if (!row) throw new HttpError(404, `no flow-log row ${JSON.stringify(key.slice(0, 80))}`);
    if (c.req.header("hx-request") !== "true") {
      return c.redirect(`/flows?flow=${encodeURIComponent(key)}`, 303);
    }
    return c.html(renderFragment(FlowDetailPanel({ row, closeHref: closeHref(c) })));
  });

  page.get("/export", (c) => exportResponse(c, deps));

  const api = new Hono();
  api.get("/export", (c) => exportResponse(c, deps));
  api.get("/row", async (c) => {
    const row: FlowRowOut | undefined = await queryFlowRow(
      deps.database,
      c.req.query("flow") ?? "",
    );
    if (!row) throw new HttpError(404, "no such flow-log row (flow=appliance:timeMs:id)");
    return c.json(row);
  });
  api.get("/", async (c) => {
    const size = Number(c.req.query("pageSize") ?? deps.pageSize);
    if (!Number.isInteger(size) || size < 1 || size > 10_000) {
      throw new HttpError(400, "pageSize must be an integer from 1 to 10000");
    }
    const { query, errors } = parseFlowFilters(new URL(c.req.url).searchParams, size);
    const problems = Object.entries(errors).map(([k, v]) => `${k}: ${v}`);
    if (problems.length > 0) throw new HttpError(400, problems.join("; "));
    const result = await queryFlows(deps.database, query);
    const body = { total: result.total, page: query.page, pageSize: size, rows: result.rows };
    if ((c.req.header("accept") ?? "").includes("application/cbor")) {
      return c.body(new Uint8Array(encodeCbor(body)), 200, { "content-type": "application/cbor" });
    }
    return c.json(body);
  });
  return { page, api };
}
