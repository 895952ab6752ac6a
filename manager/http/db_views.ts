// DB analysis (issue #8, db_monitoring): statement top-N, per-database and per-client breakdowns,
// slow statements; /db and its JSON twin /api/v1/db. The route is gated by db_monitoring, and
// rows still pass the license data filter.
import { type Context, Hono } from "hono";
import { DbAnalysisPage, type RequestRowView } from "../../ui/mod.ts";
import { dbDetailsVisible } from "../license/mod.ts";
import {
  isStatementSort,
  queryDb,
  resolveRequestRange,
  type StatementSort,
} from "../requests/mod.ts";
import type { AppDeps } from "../app.ts";
import { HttpError } from "./errors.ts";
import {
  form,
  hasProblems,
  htmlView,
  jsonView,
  parsed,
  PROTOCOL_NAME,
  visibility,
  withParams,
} from "./_request_views.ts";

export function dbRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const db = deps.database;

  const dbView = async (c: Context) => {
    const { params, raw, filters, errors } = parsed(c);
    const order = params.get("order") ?? "count";
    const top = Number(params.get("top") ?? 50);
    const problems: Record<string, string> = {};
    if (!isStatementSort(order)) problems.order = "expected count, total, p99 or errors";
    if (!Number.isInteger(top) || top < 1 || top > 500) problems.top = "expected 1–500";
    const enabled = c.get("licensing")?.enabled ?? new Set();
    if (!dbDetailsVisible(enabled)) {
      throw new HttpError(403, "module db_monitoring is not licensed");
    }
    const { visible } = visibility(c);
    const range = await resolveRequestRange(db, filters);
    const bad = { ...errors, ...problems };
    const result = hasProblems(bad)
      ? undefined
      : await queryDb(db, filters, { range, visible, sort: order as StatementSort, top });
    return { params, raw, filters, errors, bad, order, range, result };
  };

  app.get("/api/v1/db", async (c) => {
    const r = await dbView(c);
    return jsonView(c, r, r.result);
  });

  app.get("/db", async (c) => {
    const r = await dbView(c);
    const res = r.result;
    const empty = {
      requests: 0,
      errors: 0,
      totalUs: 0,
      avgUs: 0,
      p99: 0,
      maxUs: 0,
      affectedRows: 0,
    };
    return htmlView(
      c,
      DbAnalysisPage({
        form: form("/db", r.raw, r.bad, { fields: [], values: { order: r.order } }),
        sort: r.order,
        sortHref: (s) => withParams("/db", r.params, { order: s }),
        statements: (res?.statements ?? []).map((s) => ({
          ...s,
          protocol: PROTOCOL_NAME(s.l7Protocol),
          href: `/requests?${new URLSearchParams({
            from: r.raw.from,
            to: r.raw.to,
            protocol: PROTOCOL_NAME(s.l7Protocol).toLowerCase(),
            statement: s.statement,
          })}`,
        })),
        databases: res?.databases ?? [],
        clients: res?.clients ?? [],
        slow: (res?.slow ?? []) as RequestRowView[],
        rowHref: (key) =>
          `/requests?${new URLSearchParams({ from: r.raw.from, to: r.raw.to, row: key })}`,
        total: res?.total ?? empty,
      }),
      r.bad,
    );
  });

  return app;
}
