// Traffic distribution's HTTP side: the pages under /distribution (lists, forms that work without
// JS, counters) and the JSON API under /api/v1/distribution. Operators and admins change points
// and policies (auth/policy.ts); every change is audited and reaches the appliances through
// their config documents (distribution/service.ts).
import { type Context, Hono } from "hono";
import {
  type PointFormView,
  PointListPage,
  PointPage,
  type PolicyFormView,
  PolicyListPage,
  PolicyPage,
  renderPage,
} from "../../ui/mod.ts";
import { actorOf, userOf } from "../auth/mod.ts";
import type { Database } from "../db/mod.ts";
import {
  counterSeries,
  DistributionError,
  type DistributionService,
  pointReach,
  type PointView,
  type PolicyView,
  TUNNEL_LABELS,
  TUNNELS,
} from "../distribution/mod.ts";
import { HttpError } from "./errors.ts";
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

/** Every value of a form, repeated fields as lists (multi-selects). */
async function formAll(c: Context): Promise<Record<string, string[]>> {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch {
    throw new HttpError(400, "the request body is not a readable form");
  }
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    const list = Array.isArray(v) ? v : [v];
    out[k] = list.filter((x): x is string => typeof x === "string");
  }
  return out;
}

/** A number field: absent when empty, a number when it reads as one, else the text (refused). */
function num(text: string | undefined): unknown {
  const t = (text ?? "").trim();
  if (t === "") return undefined;
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

function list(text: string | undefined): string[] {
  return (text ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function one(form: Record<string, string[]>, key: string): string {
  return form[key]?.[0] ?? "";
}

export function policyFormOf(form: Record<string, string[]>): PolicyFormView {
  const on = (k: string) => form[k] !== undefined && one(form, k) !== "";
  return {
    name: one(form, "name"),
    enabled: on("enabled"),
    appliances: form.appliances ?? [],
    groups: one(form, "groups"),
    capturePoints: one(form, "capturePoints"),
    direction: one(form, "direction") || "both",
    filter: one(form, "filter"),
    action: one(form, "action") || "distribute",
    sliceFrom: one(form, "sliceFrom"),
    sliceBytes: one(form, "sliceBytes"),
    dedup: on("dedup"),
    dedupWindowMs: one(form, "dedupWindowMs"),
    bandwidthBps: one(form, "bandwidthBps"),
    fuseBps: one(form, "fuseBps"),
    points: form.points ?? [],
    mode: one(form, "mode") || "replicate",
    stripVlan: on("stripVlan"),
    stripVxlan: on("stripVxlan"),
    stripGre: on("stripGre"),
    masks: one(form, "masks"),
  };
}

/** The form as the API's JSON body, so that both are checked by the same code. */
export function policyBodyOf(f: PolicyFormView): Record<string, unknown> {
  const masks = f.masks.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "").map(
    (line) => {
      const [from, offset, length, ...rest] = line.split(/\s+/);
      return rest.length > 0
        ? { from: line }
        : { from, offset: num(offset) ?? null, length: num(length) ?? null };
    },
  );
  return {
    name: f.name,
    enabled: f.enabled,
    appliances: f.appliances,
    groups: list(f.groups),
    capturePoints: list(f.capturePoints),
    direction: f.direction,
    filter: f.filter,
    action: f.action,
    slice: f.sliceFrom === "" ? null : { from: f.sliceFrom, bytes: num(f.sliceBytes) },
    dedup: { enabled: f.dedup, windowMs: num(f.dedupWindowMs) },
    bandwidthBps: num(f.bandwidthBps) ?? null,
    fuseBps: num(f.fuseBps) ?? null,
    points: f.points.map((p) => num(p)),
    mode: f.mode,
    strip: { vlan: f.stripVlan, vxlan: f.stripVxlan, gre: f.stripGre },
    masks,
  };
}

function policyFormFrom(p: PolicyView): PolicyFormView {
  const text = (n: number | null) => n === null ? "" : String(n);
  return {
    name: p.name,
    enabled: p.enabled,
    appliances: p.appliances,
    groups: p.groups.join(", "),
    capturePoints: p.capturePoints.join(", "),
    direction: p.direction,
    filter: p.filter,
    action: p.action,
    sliceFrom: p.slice?.from ?? "",
    sliceBytes: p.slice ? String(p.slice.bytes) : "",
    dedup: p.dedup.enabled,
    dedupWindowMs: String(p.dedup.windowMs),
    bandwidthBps: text(p.bandwidthBps),
    fuseBps: text(p.fuseBps),
    points: p.points.map(String),
    mode: p.mode,
    stripVlan: p.strip.vlan,
    stripVxlan: p.strip.vxlan,
    stripGre: p.strip.gre,
    masks: p.masks.map((m) => `${m.from} ${m.offset} ${m.length}`).join("\n"),
  };
}

const EMPTY_POLICY: PolicyFormView = policyFormOf({ enabled: ["on"], dedupWindowMs: ["1000"] });

function pointFormOf(form: Record<string, string[]>): PointFormView {
  return {
    name: one(form, "name"),
    tunnel: one(form, "tunnel") || "vxlan",
    vni: one(form, "vni"),
    sessionId: one(form, "sessionId"),
    destination: one(form, "destination"),
    source: one(form, "source"),
    port: one(form, "port"),
    mtu: one(form, "mtu"),
    vlan: one(form, "vlan"),
  };
}

function pointBodyOf(f: PointFormView): Record<string, unknown> {
  const vxlan = f.tunnel === "vxlan";
  const erspan = f.tunnel.startsWith("erspan");
  return {
    name: f.name,
    tunnel: f.tunnel,
    ...(vxlan ? { vni: num(f.vni), port: num(f.port) } : {}),
    ...(erspan ? { sessionId: num(f.sessionId) } : {}),
    destination: f.destination,
    source: f.source.trim() === "" ? null : f.source,
    mtu: num(f.mtu),
    vlan: num(f.vlan) ?? null,
  };
}

function pointFormFrom(p: PointView): PointFormView {
  return {
    name: p.name,
    tunnel: p.tunnel,
    vni: p.tunnel === "vxlan" ? String(p.vni) : "",
    sessionId: p.tunnel.startsWith("erspan") ? String(p.sessionId) : "",
    destination: p.destination,
    source: p.source ?? "",
    port: String(p.port),
    mtu: String(p.mtu),
    vlan: p.vlan === null ? "" : String(p.vlan),
  };
}

const EMPTY_POINT: PointFormView = pointFormOf({ port: ["4789"], mtu: ["1500"] });
const TUNNEL_OPTIONS: [string, string][] = TUNNELS.map((t) => [t, TUNNEL_LABELS[t]]);

const NOTICES: Record<string, string> = {
  created: "Created. The appliances it concerns pick it up within seconds.",
  saved: "Saved. The appliances it concerns pick the change up within seconds.",
  deleted: "Deleted.",
};

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
