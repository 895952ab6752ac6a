import { Hono } from "hono";
import { encode as encodeCbor } from "cbor-x";
import { FlowResults, FlowsPage, renderFragment, renderPage } from "../../ui/mod.ts";
import { parseFlowFilters, queryFlows } from "../query/mod.ts";
import type { AppDeps } from "../app.ts";
import { HttpError } from "./errors.ts";
import { pageFrame } from "./page_frame.ts";

/** The flow-log page (`/flows`, full page or htmx fragment) and its API twin. */
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
    const props = {
      filters: raw,
      rows: result.rows,
      total: result.total,
      pageSize: deps.pageSize,
      chart: result.chart,
      bucketSeconds: result.bucketSeconds,
      errors,
      basePath: "/flows",
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

  const api = new Hono();
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
