import { Hono } from "hono";
import {
  type AuditFilterField,
  type AuditFilters,
  AuditPage,
  type AuditPageProps,
  AuditResults,
  renderFragment,
  renderPage,
} from "../../ui/mod.ts";
import { ACTION_PATTERN, type AuditFilter, type AuditRow, type Auth } from "../auth/mod.ts";
import { HttpError } from "./errors.ts";
import { pageFrame } from "./page_frame.ts";

const PAGE_SIZE = 50;

/** A `datetime-local` value (or a bare date) read as UTC; undefined when it is not one. */
export function parseUtc(raw: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?Z?$/.exec(raw);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0"] = m;
  const t = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s);
  const check = new Date(t);
  if (check.getUTCMonth() !== +mo! - 1 || check.getUTCDate() !== +d! || +h > 23 || +mi > 59) {
    return undefined;
  }
  return t;
}

/** Validates the audit page's query string; each problem is reported against its field. */
export function parseAuditFilters(
  params: URLSearchParams,
  pageSize: number,
): { raw: AuditFilters; filter: AuditFilter; errors: Partial<Record<AuditFilterField, string>> } {
  const get = (k: string) => (params.get(k) ?? "").trim();
  const pageRaw = get("page");
  const page = /^\d{1,6}$/.test(pageRaw) && Number(pageRaw) >= 1 ? Number(pageRaw) : 1;
  const raw: AuditFilters = {
    actor: get("actor"),
    action: get("action"),
    from: get("from"),
    to: get("to"),
    page,
  };
  const errors: Partial<Record<AuditFilterField, string>> = {};
  const filter: AuditFilter = { page, pageSize };
  if (raw.actor) {
    if ([...raw.actor].length > 64) errors.actor = "at most 64 characters";
    else filter.actor = raw.actor;
  }
  if (raw.action) {
    if (raw.action.length > 64 || !ACTION_PATTERN.test(raw.action)) {
      errors.action = "expected an action like user.create, or a family like user.*";
    } else filter.action = raw.action;
  }
  for (const key of ["from", "to"] as const) {
    if (!raw[key]) continue;
    const t = parseUtc(raw[key]);
    if (t === undefined) errors[key] = "expected a UTC date and time like 2026-11-25T17:00";
    else if (key === "from") filter.fromMs = t;
    else filter.toMs = t;
  }
  if (filter.fromMs !== undefined && filter.toMs !== undefined && filter.toMs <= filter.fromMs) {
    errors.to = "must be after From";
  }
  return { raw, filter, errors };
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value, null, 2);
}

/** `/admin/audit` (full page or htmx fragment) and `/api/v1/audit`. Read-only by design. */
export function auditRoutes(auth: Auth): Hono {
  const app = new Hono();

  app.get("/admin/audit", async (c) => {
    const { raw, filter, errors } = parseAuditFilters(new URL(c.req.url).searchParams, PAGE_SIZE);
    const invalid = Object.keys(errors).length > 0;
    const [result, actions] = await Promise.all([
      invalid ? { rows: [] as AuditRow[], total: 0 } : auth.audit.list(filter),
      auth.audit.actions(),
    ]);
    const props: AuditPageProps = {
      rows: result.rows.map((r) => ({
        id: r.id,
        time: r.time.getTime(),
        actorKind: r.actorKind,
        actorName: r.actorName,
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId,
        before: json(r.before),
        after: json(r.after),
        ip: r.ip,
      })),
      total: result.total,
      pageSize: PAGE_SIZE,
      filters: raw,
      actions,
      errors,
      basePath: "/admin/audit",
    };
    c.header("Vary", "HX-Request");
    const partial = c.req.header("hx-request") === "true" &&
      c.req.header("hx-history-restore-request") !== "true";
    if (partial) return c.html(renderFragment(AuditResults(props), pageFrame(c)));
    return c.html(renderPage(AuditPage(props), pageFrame(c)), invalid ? 400 : 200);
  });

  app.get("/api/v1/audit", async (c) => {
    const params = new URL(c.req.url).searchParams;
    const sizeRaw = params.get("pageSize") ?? String(PAGE_SIZE);
    const size = /^\d{1,4}$/.test(sizeRaw) ? Number(sizeRaw) : NaN;
    if (!(size >= 1 && size <= 1000)) {
      throw new HttpError(400, "pageSize must be an integer from 1 to 1000");
    }
    const { filter, errors } = parseAuditFilters(params, size);
    const problems = Object.entries(errors).map(([k, v]) => `${k}: ${v}`);
    if (problems.length > 0) throw new HttpError(400, problems.join("; "));
    const { rows, total } = await auth.audit.list(filter);
    return c.json({
      total,
      page: filter.page,
      pageSize: size,
      entries: rows.map((r) => ({ ...r, time: r.time.toISOString() })),
    });
  });

  return app;
}
