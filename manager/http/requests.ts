// Request logs and the views over them (issue #8): /requests (search, histogram, table, detail),
// /app/{resource,path,topology} (RED per service, endpoint and client ↔ service pair) and /db
// (DB analysis, db_views.ts), with their JSON twins under /api/v1/. Every query adds the license data filter
// (license/data_filter.ts): a user sees only the request-log rows the licensed modules grant.
import { type Context, Hono } from "hono";
import { AppRedPage, AppTopologyPage, RequestLogsPage, type RequestRowView } from "../../ui/mod.ts";
import { layeredLayout } from "../netmon/mod.ts";
import {
  isRedGroup,
  isRedMetric,
  queryAppPaths,
  queryRed,
  queryRequestRow,
  RED_METRICS,
  type RedGroup,
  type RedMetric,
  resolveRequestRange,
  searchRequests,
} from "../requests/mod.ts";
import type { AppDeps } from "../app.ts";
import { HttpError } from "./errors.ts";
import {
  check,
  form,
  GROUP_OPTIONS,
  hasProblems,
  htmlView,
  jsonView,
  parsed,
  PROTOCOL_NAME,
  redValues,
  requestsHref,
  tagHref,
  visibility,
  withParams,
} from "./_request_views.ts";
import { dbRoutes } from "./db_views.ts";

/** Error ratio from which an app-topology edge is amber, and red. */
export const ERROR_THRESHOLDS = { warn: 0.01, crit: 0.05 } as const;

export function requestRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const db = deps.database;

  const search = async (c: Context, pageSize: number) => {
    const { params, raw, filters, errors } = parsed(c);
    const { visible, scope } = visibility(c);
    const range = await resolveRequestRange(db, filters);
    const result = hasProblems(errors)
      ? { total: 0, rows: [], histogram: [], bucketSeconds: 60 }
      : await searchRequests(db, filters, { range, visible, pageSize });
    return { params, raw, filters, errors, visible, scope, range, result };
  };

  // The same page for call monitoring and, limited by the data filter, network monitoring.
  const requestsPage = (base: string) => async (c: Context) => {
    const s = await search(c, deps.pageSize);
    const rowKey = c.req.query("row");
    const detail = rowKey ? await queryRequestRow(db, rowKey, s.visible) : undefined;
    const traceId = detail?.row.trace_id;
    const page = RequestLogsPage({
      form: form(base, s.raw, s.errors, { fields: [], values: {} }),
      rows: s.result.rows as RequestRowView[],
      total: s.result.total,
      page: s.filters.page,
      pageSize: deps.pageSize,
      histogram: s.result.histogram,
      bucketSeconds: s.result.bucketSeconds,
      fromMs: s.range.fromMs,
      toMs: s.range.toMs,
      sort: s.filters.sort,
      desc: s.filters.desc,
      sortHref: (sort) =>
        withParams(base, s.params, {
          sort,
          dir: sort === s.filters.sort && s.filters.desc ? "asc" : "desc",
          page: "",
          row: "",
        }),
      pageHref: (n) => withParams(base, s.params, { page: String(n), row: "" }),
      rowHref: (key) => withParams(base, s.params, { row: key }),
      closeHref: withParams(base, s.params, { row: "" }),
      detail: detail && {
        row: detail.row as RequestRowView,
        flowHref: detail.flowKey ? `/flows?flow=${encodeURIComponent(detail.flowKey)}` : undefined,
        traceHref: traceId
          ? `${base}?trace_id=${encodeURIComponent(String(traceId))}&from=${
            encodeURIComponent(s.raw.from)
          }&to=${encodeURIComponent(s.raw.to)}`
          : undefined,
      },
      scope: s.scope,
    });
    return htmlView(c, page, s.errors);
  };
  app.get("/requests", requestsPage("/requests"));
  app.get("/network/requests", requestsPage("/network/requests"));

  const requestsApi = async (c: Context) => {
    const size = Number(c.req.query("page_size") ?? deps.pageSize);
    if (!Number.isInteger(size) || size < 1 || size > 10_000) {
      throw new HttpError(400, "page_size must be an integer from 1 to 10000");
    }
    const s = await search(c, size);
    check(s.errors);
    return c.json({
      total: s.result.total,
      page: s.filters.page,
      pageSize: size,
      from: new Date(s.range.fromMs).toISOString(),
      to: new Date(s.range.toMs).toISOString(),
      bucketSeconds: s.result.bucketSeconds,
      histogram: s.result.histogram,
      rows: s.result.rows,
    });
  };
  app.get("/api/v1/requests", requestsApi);
  app.get("/api/v1/netmon/requests", requestsApi);

  const rowApi = async (c: Context) => {
    const detail = await queryRequestRow(db, c.req.query("key") ?? "", visibility(c).visible);
    if (!detail) throw new HttpError(404, "no such request-log row (key=appliance:timeMs:id)");
    return c.json(detail);
  };
  app.get("/api/v1/requests/row", rowApi);
  app.get("/api/v1/netmon/requests/row", rowApi);

  // App RED: resource (per service or endpoint) and path (per client ↔ service pair).
  const red = async (c: Context) => {
    const { params, raw, filters, errors } = parsed(c);
    const group = params.get("group") ?? "service";
    const metric = params.get("metric") ?? "rate";
    const order = params.get("order") ?? "requests";
    const top = Number(params.get("top") ?? 50);
    const problems: Record<string, string> = {};
    if (!isRedGroup(group)) {
      problems.group = "expected service, endpoint or tag:<column> (e.g. tag:host_1)";
    }
    if (!isRedMetric(metric)) problems.metric = "unknown metric";
    if (!isRedMetric(order)) problems.order = "unknown metric";
    if (!Number.isInteger(top) || top < 1 || top > 500) problems.top = "expected 1–500";
    const { visible, scope } = visibility(c);
    const range = await resolveRequestRange(db, filters);
    return {
      params,
      raw,
      filters,
      errors,
      problems,
      group,
      metric,
      order,
      top,
      visible,
      scope,
      range,
    };
  };

  const resource = async (c: Context) => {
    const r = await red(c);
    const bad = { ...r.errors, ...r.problems };
    const result = hasProblems(bad) ? undefined : await queryRed(db, r.filters, {
      range: r.range,
      visible: r.visible,
      group: r.group as RedGroup,
      sort: r.order as RedMetric,
      chart: r.metric as RedMetric,
      top: r.top,
    });
    return { ...r, bad, result };
  };

  app.get("/api/v1/app/resource", async (c) => {
    const r = await resource(c);
    return jsonView(c, r, r.result);
  });

  app.get("/app/resource", async (c) => {
    const r = await resource(c);
    const metric = RED_METRICS.find((m) => m.key === r.metric) ?? RED_METRICS[0];
    const byEndpoint = r.group === "endpoint";
    const tagColumn = r.group.startsWith("tag:") ? r.group.slice(4) : undefined;
    return htmlView(
      c,
      AppRedPage({
        view: "resource",
        form: form("/app/resource", r.raw, { ...r.errors, ...r.problems }, {
          values: { group: r.group, metric: r.metric, order: r.order },
          fields: [
            { name: "group", label: "Group by", options: GROUP_OPTIONS },
            {
              name: "metric",
              label: "Chart",
              options: RED_METRICS.map((m) => ({ value: m.key, label: m.label })),
            },
          ],
        }),
        metrics: RED_METRICS,
        keyLabels: byEndpoint ? ["Service", "Endpoint"] : [tagColumn ?? "Service"],
        rows: (r.result?.rows ?? []).map((row) => ({
          cells: byEndpoint ? [row.service, row.endpoint ?? ""] : [row.service],
          protocol: PROTOCOL_NAME(row.l7Protocol),
          values: redValues(row.red),
          href: tagColumn
            ? tagHref(r.raw, tagColumn, row.service)
            : requestsHref(r.raw, row.service, { endpoint: row.endpoint ?? "" }),
        })),
        sort: r.order,
        sortHref: (m) => withParams("/app/resource", r.params, { order: m }),
        chart: r.result && {
          metric,
          series: r.result.series,
          fromMs: r.range.fromMs,
          toMs: r.range.toMs,
        },
        total: r.result ? redValues(r.result.total) : {},
        scope: r.scope,
      }),
      r.bad,
    );
  });

  const paths = async (c: Context) => {
    const r = await red(c);
    const bad = { ...r.errors, ...r.problems };
    const rows = hasProblems(bad) ? undefined : await queryAppPaths(db, r.filters, {
      range: r.range,
      visible: r.visible,
      sort: r.order as RedMetric,
      top: r.top,
    });
    return { ...r, bad, rows };
  };

  app.get("/api/v1/app/path", async (c) => {
    const r = await paths(c);
    return jsonView(c, r, r.rows && { rows: r.rows });
  });

  app.get("/app/path", async (c) => {
    const r = await paths(c);
    return htmlView(
      c,
      AppRedPage({
        view: "path",
        form: form("/app/path", r.raw, { ...r.errors, ...r.problems }, {
          fields: [],
          values: {},
        }),
        metrics: RED_METRICS,
        keyLabels: ["Client", "Service"],
        rows: (r.rows ?? []).map((row) => ({
          cells: [row.client, row.service],
          protocol: PROTOCOL_NAME(row.l7Protocol),
          values: redValues(row.red),
          href: requestsHref(r.raw, row.service, {
            client: /^[\d.:a-fA-F]+$/.test(row.client) ? row.client : "",
          }),
        })),
        sort: r.order,
        sortHref: (m) => withParams("/app/path", r.params, { order: m }),
        total: {},
        scope: r.scope,
      }),
      r.bad,
    );
  });

  const topology = async (c: Context) => {
    const r = await paths(c);
    const rows = r.rows ?? [];
    const laid = layeredLayout({
      nodes: rows.flatMap((p) => [p.client, p.service]),
      edges: rows.map((p) => ({ from: p.client, to: p.service })),
    });
    const level = (ratio: number) =>
      ratio >= ERROR_THRESHOLDS.crit
        ? "crit" as const
        : ratio >= ERROR_THRESHOLDS.warn
        ? "warn" as const
        : "ok" as const;
    const edges = rows.map((p) => ({
      from: p.client,
      to: p.service,
      requests: p.red.requests,
      errorRatio: p.red.errorRatio,
      p99: p.red.p99,
      level: level(p.red.errorRatio),
      href: requestsHref(r.raw, p.service, {
        client: /^[\d.:a-fA-F]+$/.test(p.client) ? p.client : "",
      }),
    }));
    return { r, laid, edges };
  };

  app.get("/api/v1/app/topology", async (c) => {
    const { r, laid, edges } = await topology(c);
    return jsonView(c, r, r.rows && { nodes: laid.nodes, edges, thresholds: ERROR_THRESHOLDS });
  });

  app.get("/app/topology", async (c) => {
    const { r, laid, edges } = await topology(c);
    return htmlView(
      c,
      AppTopologyPage({
        form: form("/app/topology", r.raw, { ...r.errors, ...r.problems }, {
          fields: [],
          values: {},
        }),
        nodes: laid.nodes.map((n) => ({
          id: n.id,
          x: n.x,
          y: n.y,
          href: `/app/resource?${new URLSearchParams({ from: r.raw.from, to: r.raw.to })}`,
        })),
        edges,
        width: laid.width,
        height: laid.height,
        thresholds: ERROR_THRESHOLDS,
        scope: r.scope,
      }),
      r.bad,
    );
  });

  app.route("/", dbRoutes(deps));

  return app;
}
