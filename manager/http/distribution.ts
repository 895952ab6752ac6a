// Traffic distribution's HTTP side: the pages under /distribution (lists, forms that work without
// JS, counters) and the JSON API under /api/v1/distribution. Operators and admins change points
// and policies (auth/policy.ts); every change is audited and reaches the appliances through
// their config documents (distribution/service.ts).
import { type Context, Hono } from "hono";
import {
  PointCountersPanel,
  type PointFormView,
  PointListPage,
  PointPage,
  PolicyCountersPanel,
  type PolicyFormView,
  PolicyListPage,
  PolicyPage,
  renderFragment,
  renderPage,
} from "../../ui/mod.ts";
import { actorOf, userOf } from "../auth/mod.ts";
import type { Database } from "../db/mod.ts";
import {
  counterSeries,
  DistributionError,
  type DistributionService,
  pointReach,
  TUNNEL_LABELS,
  TUNNELS,
} from "../distribution/mod.ts";
import { HttpError } from "./errors.ts";
import {
  EMPTY_POINT,
  EMPTY_POLICY,
  formAll,
  pointBodyOf,
  pointFormFrom,
  pointFormOf,
  policyBodyOf,
  policyFormFrom,
  policyFormOf,
} from "./_distribution_forms.ts";
import { idParam, jsonOf } from "./_input.ts";
import { pageFrame } from "./page_frame.ts";

const HOUR_MS = 3_600_000;

function failed(err: unknown): never {
  if (err instanceof DistributionError) {
    const status = err.kind === "not_found" ? 404 : err.kind === "conflict" ? 409 : 422;
    throw new HttpError(status, err.message);
  }
  throw err;
}

/** 422 with every field's problem: `{ error, errors: { vni: "…" } }`. */
function invalid(c: Context, err: DistributionError): Response {
  return c.json({ error: err.message, errors: err.errors }, 422);
}

const TUNNEL_OPTIONS: [string, string][] = TUNNELS.map((t) => [t, TUNNEL_LABELS[t]]);

const NOTICES: Record<string, string> = {
  created: "Created. The appliances it concerns pick it up within seconds.",
  saved: "Saved. The appliances it concerns pick the change up within seconds.",
  deleted: "Deleted.",
};

/** An htmx refresh of the counters panel (the rest of the page is not sent again). */
function countersFragment(c: Context): boolean {
  return c.req.header("hx-request") === "true" && c.req.header("hx-target") === "npb-counters" &&
    c.req.header("hx-history-restore-request") !== "true";
}

function canWrite(c: Context): boolean {
  const role = userOf(c)?.role;
  return role === "operator" || role === "admin";
}

/** `/distribution` (pages) and `/api/v1/distribution` (JSON). */
export function distributionRoutes(
  service: DistributionService,
  database: Database,
): { page: Hono; api: Hono } {
  const range = () => {
    const toMs = Math.ceil(Date.now() / 60_000) * 60_000;
    return { fromMs: toMs - HOUR_MS, toMs };
  };
  const policyCounters = (id: number) =>
    counterSeries(database, { kind: "policy", id: `policy-${id}` }, range());
  const pointCounters = (id: number) =>
    counterSeries(database, { kind: "point", id: `point-${id}` }, range());

  const page = new Hono();
  const renderPolicy = async (
    c: Context,
    status: 200 | 404 | 409 | 422,
    props: { id?: number; form: PolicyFormView; errors?: Record<string, string> },
  ) => {
    const [appliances, points] = await Promise.all([service.appliances(), service.listPoints()]);
    c.header("Cache-Control", "no-store");
    return c.html(
      renderPage(
        PolicyPage({
          ...props,
          errors: props.errors ?? {},
          appliances,
          points: points.map((p) => ({ id: p.id, name: p.name, tunnel: TUNNEL_LABELS[p.tunnel] })),
          canWrite: canWrite(c),
          notice: NOTICES[c.req.query("notice") ?? ""],
          counters: props.id === undefined ? undefined : await policyCounters(props.id),
        }),
        pageFrame(c),
      ),
      status,
    );
  };
  page.get("/policies", async (c) => {
    const [policies, points, appliances] = await Promise.all([
      service.listPolicies(),
      service.listPoints(),
      service.appliances(),
    ]);
    const pointName = new Map(points.map((p) => [p.id, p.name]));
    const applianceName = new Map(appliances.map((a) => [a.id, a.name]));
    c.header("Cache-Control", "no-store");
    return c.html(renderPage(
      PolicyListPage({
        policies: policies.map((p) => ({
          id: p.id,
          name: p.name,
          enabled: p.enabled,
          action: p.action,
          scope: p.appliances.length + p.groups.length === 0
            ? "all"
            : [...p.appliances.map((a) => applianceName.get(a) ?? a), ...p.groups].join(", "),
          filter: p.filter,
          points: p.points.map((id) => pointName.get(id) ?? String(id)),
          mode: p.mode,
          updatedAt: p.updatedAt,
        })),
        canWrite: canWrite(c),
        notice: NOTICES[c.req.query("notice") ?? ""],
      }),
      pageFrame(c),
    ));
  });
  page.get("/policies/new", (c) => renderPolicy(c, 200, { form: EMPTY_POLICY }));
  page.get("/policies/:id", async (c) => {
    const policy = await service.policy(idParam(c)).catch(failed);
    c.header("Vary", "HX-Request");
    if (countersFragment(c)) {
      return c.html(renderFragment(PolicyCountersPanel({
        counters: await policyCounters(policy.id),
        refresh: `/distribution/policies/${policy.id}`,
      })));
    }
    return renderPolicy(c, 200, { id: policy.id, form: policyFormFrom(policy) });
  });
  const savePolicy = async (c: Context, id?: number) => {
    const form = policyFormOf(await formAll(c));
    try {
      const saved = await service.savePolicy(actorOf(c)!, policyBodyOf(form), id);
      return c.redirect(
        `/distribution/policies/${saved.id}?notice=${id ? "saved" : "created"}`,
        303,
      );
    } catch (err) {
      if (!(err instanceof DistributionError)) throw err;
      if (err.kind === "not_found") failed(err);
      return renderPolicy(c, 422, { id, form, errors: err.errors });
    }
  };
  page.post("/policies", (c) => savePolicy(c));
  page.post("/policies/:id", (c) => savePolicy(c, idParam(c)));
  page.post("/policies/:id/delete", async (c) => {
    await service.deletePolicy(actorOf(c)!, idParam(c)).catch(failed);
    return c.redirect("/distribution/policies?notice=deleted", 303);
  });

  const renderPoint = async (
    c: Context,
    status: 200 | 409 | 422,
    props: { id?: number; form: PointFormView; errors?: Record<string, string>; problem?: string },
  ) => {
    let extra = {};
    if (props.id !== undefined) {
      const point = await service.point(props.id).catch(failed);
      extra = {
        usedBy: point.usedBy,
        reach: await pointReach(database, `point-${props.id}`, Date.now()),
        counters: await pointCounters(props.id),
      };
    }
    c.header("Cache-Control", "no-store");
    return c.html(
      renderPage(
        PointPage({
          ...props,
          ...extra,
          errors: props.errors ?? {},
          tunnels: TUNNEL_OPTIONS,
          canWrite: canWrite(c),
          notice: NOTICES[c.req.query("notice") ?? ""],
        }),
        pageFrame(c),
      ),
      status,
    );
  };
  page.get("/points", async (c) => {
    const points = await service.listPoints();
    const now = Date.now();
    const rows = await Promise.all(points.map(async (p) => ({
      id: p.id,
      name: p.name,
      tunnel: TUNNEL_LABELS[p.tunnel],
      destination: p.tunnel === "vxlan" ? `${p.destination} :${p.port}` : p.destination,
      detail: p.tunnel === "vxlan"
        ? `VNI ${p.vni}`
        : p.tunnel === "gre"
        ? ""
        : `session ${p.sessionId}`,
      usedBy: p.usedBy,
      reach: await pointReach(database, `point-${p.id}`, now),
    })));
    c.header("Cache-Control", "no-store");
    return c.html(renderPage(
      PointListPage({
        points: rows,
        canWrite: canWrite(c),
        notice: NOTICES[c.req.query("notice") ?? ""],
      }),
      pageFrame(c),
    ));
  });
  page.get("/points/new", (c) => renderPoint(c, 200, { form: EMPTY_POINT }));
  page.get("/points/:id", async (c) => {
    const point = await service.point(idParam(c)).catch(failed);
    c.header("Vary", "HX-Request");
    if (countersFragment(c)) {
      return c.html(renderFragment(PointCountersPanel({
        counters: await pointCounters(point.id),
        refresh: `/distribution/points/${point.id}`,
      })));
    }
    return renderPoint(c, 200, { id: point.id, form: pointFormFrom(point) });
  });
  const savePoint = async (c: Context, id?: number) => {
    const form = pointFormOf(await formAll(c));
    try {
      const saved = await service.savePoint(actorOf(c)!, pointBodyOf(form), id);
      return c.redirect(`/distribution/points/${saved.id}?notice=${id ? "saved" : "created"}`, 303);
    } catch (err) {
      if (!(err instanceof DistributionError)) throw err;
      if (err.kind === "not_found") failed(err);
      return renderPoint(c, 422, { id, form, errors: err.errors });
    }
  };
  page.post("/points", (c) => savePoint(c));
  page.post("/points/:id", (c) => savePoint(c, idParam(c)));
  page.post("/points/:id/delete", async (c) => {
    const id = idParam(c);
    try {
      await service.deletePoint(actorOf(c)!, id);
    } catch (err) {
      if (err instanceof DistributionError && err.kind === "conflict") {
        const point = await service.point(id);
        return renderPoint(c, 409, { id, form: pointFormFrom(point), problem: err.message });
      }
      failed(err);
    }
    return c.redirect("/distribution/points?notice=deleted", 303);
  });

  const api = new Hono();
  const apiSave = async <T>(c: Context, save: () => Promise<T>, created: boolean) => {
    try {
      return c.json(await save(), created ? 201 : 200);
    } catch (err) {
      if (err instanceof DistributionError && err.kind === "invalid") return invalid(c, err);
      failed(err);
    }
  };
  api.get("/points", async (c) => c.json({ points: await service.listPoints() }));
  api.post("/points", async (c) => {
    const body = await jsonOf(c);
    return apiSave(c, () => service.savePoint(actorOf(c)!, body), true);
  });
  api.get("/points/:id", async (c) => c.json(await service.point(idParam(c)).catch(failed)));
  api.put("/points/:id", async (c) => {
    const id = idParam(c);
    const body = await jsonOf(c);
    return apiSave(c, () => service.savePoint(actorOf(c)!, body, id), false);
  });
  api.delete("/points/:id", async (c) => {
    await service.deletePoint(actorOf(c)!, idParam(c)).catch(failed);
    return c.body(null, 204);
  });
  api.get("/points/:id/counters", async (c) => {
    const point = await service.point(idParam(c)).catch(failed);
    return c.json({
      reach: await pointReach(database, `point-${point.id}`, Date.now()),
      ...(await pointCounters(point.id)),
    });
  });
  api.get("/policies", async (c) => c.json({ policies: await service.listPolicies() }));
  api.post("/policies", async (c) => {
    const body = await jsonOf(c);
    return apiSave(c, () => service.savePolicy(actorOf(c)!, body), true);
  });
  api.get("/policies/:id", async (c) => c.json(await service.policy(idParam(c)).catch(failed)));
  api.put("/policies/:id", async (c) => {
    const id = idParam(c);
    const body = await jsonOf(c);
    return apiSave(c, () => service.savePolicy(actorOf(c)!, body, id), false);
  });
  api.delete("/policies/:id", async (c) => {
    await service.deletePolicy(actorOf(c)!, idParam(c)).catch(failed);
    return c.body(null, 204);
  });
  api.get("/policies/:id/counters", async (c) => {
    const policy = await service.policy(idParam(c)).catch(failed);
    return c.json(await policyCounters(policy.id));
  });
  return { page, api };
}
