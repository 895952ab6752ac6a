// The fleet's HTTP side (fleet_contract.md): enrollment and the appliance routes (config with
// ETag, heartbeat), the admin JSON API under /api/v1/appliances, and the Administration →
// Appliances pages with their forms. Who may call what is in auth/policy.ts.
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { Decoder } from "cbor-x";
import {
  ApplianceDetailPage,
  type ApplianceDetailProps,
  type ApplianceRow,
  AppliancesPage,
  type AppliancesPageProps,
  renderPage,
} from "../../ui/mod.ts";
import { OBSERVATION_POINTS } from "../../appliance/wire/mod.ts";
import { actorOf, type Auth, publicOrigin, throttleKeys } from "../auth/mod.ts";
import {
  type ApplianceView,
  checkEnrollRequest,
  checkHeartbeat,
  enrollCommand,
  FleetError,
  type FleetService,
  fleetStatus,
  type Heartbeat,
  ratesOf,
} from "../fleet/mod.ts";
import { HttpError } from "./errors.ts";
import { pageFrame } from "./page_frame.ts";
import { formOf, jsonOf } from "./_input.ts";

const MAX_HEARTBEAT_BYTES = 256 * 1024;
const CHART_WINDOW_MS = 60 * 60_000;
const cbor = new Decoder({ useRecords: true, mapsAsObjects: true });

function failed(err: unknown): never {
  if (err instanceof FleetError) throw new HttpError(fleetStatus(err.kind), err.message);
  throw err;
}

function applianceIdOf(c: Context): string {
  const p = c.get("principal");
  if (p?.kind !== "appliance") throw new HttpError(401, "appliance credential required");
  return p.applianceId;
}

/** The heartbeat's traffic distribution state as one line, or undefined when it has none. */
function distributionText(d: Heartbeat["distribution"]): string | undefined {
  if (d === undefined) return undefined;
  if (d.state === "active") return `active: ${d.policies} policies`;
  if (d.state === "off") return "off (no policy for this appliance)";
  return `${d.state}: ${d.reason ?? "unknown"}`;
}

/** `"5"`, `W/"5"`, a list of them, or `*`: whether the client already holds `etag`. */
function holds(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((t) => {
    const v = t.trim();
    return v === "*" || v === etag || v === `W/${etag}`;
  });
}

export function applianceJson(a: ApplianceView) {
  return {
    id: a.id,
    name: a.name,
    group: a.group,
    hostname: a.hostname,
    status: a.status,
    version: a.version,
    enrolledAt: new Date(a.enrolledAt).toISOString(),
    revokedAt: a.revokedAt === null ? null : new Date(a.revokedAt).toISOString(),
    lastSeenAt: a.lastSeenAt === null ? null : new Date(a.lastSeenAt).toISOString(),
    problems: a.health?.problems ?? [],
    bitsPerSecond: a.health?.bitsPerSecond ?? null,
    packetsPerSecond: a.health?.packetsPerSecond ?? null,
    spool: a.lastHeartbeat?.spool ?? null,
    configVersion: a.config.version,
    appliedConfigVersion: a.lastHeartbeat?.configVersion ?? null,
    capturePoints: a.config.capturePoints,
    reporting: a.config.reporting,
    lastHeartbeat: a.lastHeartbeat,
  };
}

function rowOf(a: ApplianceView): ApplianceRow {
  return {
    id: a.id,
    name: a.name,
    group: a.group,
    status: a.status,
    lastSeenAt: a.lastSeenAt,
    version: a.version,
    bitsPerSecond: a.health?.bitsPerSecond ?? null,
    packetsPerSecond: a.health?.packetsPerSecond ?? null,
    spoolBatches: a.lastHeartbeat?.spool.batches ?? null,
    spoolBytes: a.lastHeartbeat?.spool.bytes ?? null,
    problems: a.health?.problems ?? [],
  };
}

/** Capture points from the edit form: rows `interface.N`, `observationPoint.N`, `enabled.N`. */
function capturePointsOfForm(form: Record<string, string>): unknown[] {
  const rows: unknown[] = [];
  for (let i = 0; i < 64; i++) {
    const name = form[`interface.${i}`];
    if (name === undefined) continue;
    if (name.trim() === "" || form[`remove.${i}`] === "on") continue;
    rows.push({
      interface: name.trim(),
      observationPoint: form[`observationPoint.${i}`] ?? "",
      enabled: form[`enabled.${i}`] === "on",
    });
  }
  return rows;
}

export function fleetRoutes(fleet: FleetService, auth: Auth): Hono {
  const app = new Hono();
  const trust = auth.settings.trustProxy;

  // --- enrollment (public, throttled per client address like sign-in) ---
  app.post("/api/v1/appliances/enroll", async (c) => {
    c.header("Cache-Control", "no-store");
    const ip = c.get("clientIp");
    const keys = ip ? throttleKeys("", ip).filter((k) => k.startsWith("ip:")) : [];
    const throttle = keys.map((k) => `ip:enroll:${k.slice(3)}`);
    if (throttle.length > 0) {
      const verdict = await auth.throttle.check(throttle);
      if (verdict.blocked) {
        const seconds = Math.ceil(verdict.retryAfterMs / 1000);
        throw new HttpError(
          429,
          `too many failed enrollments from this address; retry in ${seconds} s`,
          { "Retry-After": String(seconds) },
        );
      }
    }
    const checked = checkEnrollRequest(
      await jsonOf(c).catch((err) => {
        if (err instanceof HttpError) throw new HttpError(422, err.message);
        throw err;
      }),
    );
    if (!checked.ok) throw new HttpError(422, `rejected enrollment: ${checked.error}`);
    try {
      return c.json(await fleet.enroll(checked.value, ip), 201);
    } catch (err) {
      if (err instanceof FleetError && err.kind === "unauthorized" && throttle.length > 0) {
        await auth.throttle.fail(throttle);
      }
      failed(err);
    }
  });

  // --- the appliance's own routes ---
  app.get("/api/v1/appliances/self/config", async (c) => {
    const id = applianceIdOf(c);
    c.header("Cache-Control", "no-cache");
    // The version first: a pull every few seconds that changes nothing reads no policies.
    const head = await fleet.config(id, { policies: false }).catch(failed);
    if (holds(c.req.header("if-none-match"), `"${head.version}"`)) {
      c.header("ETag", `"${head.version}"`);
      return c.body(null, 304);
    }
    const doc = await fleet.config(id).catch(failed);
    c.header("ETag", `"${doc.version}"`);
    return c.json(doc);
  });

  app.post(
    "/api/v1/appliances/self/heartbeat",
    bodyLimit({
      maxSize: MAX_HEARTBEAT_BYTES,
      onError: () => {
        throw new HttpError(413, `heartbeat larger than ${MAX_HEARTBEAT_BYTES} bytes`);
      },
    }),
    async (c) => {
      const id = applianceIdOf(c);
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      let body: unknown;
      if (type === "application/cbor") {
        try {
          body = cbor.decode(new Uint8Array(await c.req.arrayBuffer()));
        } catch (err) {
          throw new HttpError(400, `heartbeat: not valid CBOR (${(err as Error).message})`);
        }
      } else if (type === "application/json") {
        try {
          body = await c.req.json();
        } catch {
          throw new HttpError(400, "heartbeat: not valid JSON");
        }
      } else {
        throw new HttpError(
          415,
          `content-type must be application/cbor or application/json, got ${
            type ? JSON.stringify(type) : "none"
          }`,
        );
      }
      const checked = checkHeartbeat(body);
      if (!checked.ok) throw new HttpError(422, `rejected heartbeat: ${checked.error}`);
      return c.json(await fleet.heartbeat(id, checked.value).catch(failed));
    },
  );

  // --- admin JSON API ---
  app.get("/api/v1/appliances/enrollment-tokens", async (c) => {
    const tokens = await fleet.pendingTokens();
    return c.json({
      tokens: tokens.map((t) => ({
        ...t,
        createdAt: new Date(t.createdAt).toISOString(),
        expiresAt: new Date(t.expiresAt).toISOString(),
      })),
    });
  });

  app.post("/api/v1/appliances/enrollment-tokens", async (c) => {
    const body = await jsonOf(c);
    const extra = Object.keys(body).find((k) => k !== "ttlHours" && k !== "note");
    if (extra) throw new HttpError(422, `${extra}: unknown field`);
    if (body.ttlHours !== undefined && typeof body.ttlHours !== "number") {
      throw new HttpError(422, "ttlHours: expected a number");
    }
    if (body.note !== undefined && typeof body.note !== "string") {
      throw new HttpError(422, "note: expected a string");
    }
    const created = await fleet.createEnrollmentToken(actorOf(c)!, {
      ttlHours: body.ttlHours as number | undefined,
      note: body.note as string | undefined,
    }).catch(failed);
    c.header("Cache-Control", "no-store");
    return c.json({
      id: created.id,
      token: created.token,
      expiresAt: created.expiresAt.toISOString(),
      command: enrollCommand(publicOrigin(c, trust), created.token),
    }, 201);
  });

  app.get("/api/v1/appliances", async (c) => {
    return c.json({ appliances: (await fleet.list()).map(applianceJson) });
  });

  const one = async (c: Context) => {
    const a = await fleet.get(c.req.param("id") ?? "");
    if (!a) throw new HttpError(404, `no appliance with id ${c.req.param("id")}`);
    return a;
  };

  app.get("/api/v1/appliances/:id", async (c) => c.json(applianceJson(await one(c))));

  app.get("/api/v1/appliances/:id/heartbeats", async (c) => {
    const a = await one(c);
    const raw = c.req.query("since");
    const since = raw === undefined ? Date.now() - CHART_WINDOW_MS : Date.parse(raw);
    if (!Number.isFinite(since)) throw new HttpError(400, "since: expected an ISO 8601 time");
    const series = await fleet.heartbeats(a.id, { sinceMs: since });
    return c.json({
      heartbeats: series.map((s) => ({ at: new Date(s.at).toISOString(), ...s.hb })),
      rates: ratesOf(series).map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    });
  });

  app.patch("/api/v1/appliances/:id", async (c) => {
    const body = await jsonOf(c);
    const a = await fleet.update(actorOf(c)!, c.req.param("id"), body).catch(failed);
    return c.json(applianceJson(a));
  });

  app.post("/api/v1/appliances/:id/revoke", async (c) => {
    const a = await fleet.revoke(actorOf(c)!, c.req.param("id")).catch(failed);
    return c.json(applianceJson(a));
  });

  // --- pages ---
  const listPage = async (
    c: Context,
    status: 200 | 201 | 422,
    extra: Partial<AppliancesPageProps> = {},
  ) => {
    const [appliances, tokens] = await Promise.all([fleet.list(), fleet.pendingTokens()]);
    c.header("Cache-Control", "no-store");
    return c.html(
      renderPage(
        AppliancesPage({
          appliances: appliances.map(rowOf),
          pendingTokens: tokens,
          canWrite: pageFrame(c).user?.role === "admin",
          errors: {},
          ...extra,
        }),
        pageFrame(c),
      ),
      status,
    );
  };

  app.get("/admin/appliances", (c) => listPage(c, 200));

  app.post("/admin/appliances/tokens", async (c) => {
    const form = await formOf(c);
    const ttl = form.ttlHours?.trim() ? Number(form.ttlHours) : undefined;
    try {
      const created = await fleet.createEnrollmentToken(actorOf(c)!, {
        ttlHours: ttl,
        note: form.note,
      });
      return listPage(c, 201, {
        created: {
          token: created.token,
          expiresAt: created.expiresAt.getTime(),
          command: enrollCommand(publicOrigin(c, trust), created.token),
        },
      });
    } catch (err) {
      if (!(err instanceof FleetError)) throw err;
      return listPage(c, 422, {
        errors: { [err.field === "note" ? "note" : "ttlHours"]: err.message },
      });
    }
  });

  const detailPage = async (
    c: Context,
    status: 200 | 404 | 409 | 422,
    extra: Partial<ApplianceDetailProps> = {},
  ) => {
    const a = await fleet.get(c.req.param("id") ?? "");
    c.header("Cache-Control", "no-store");
    if (!a) {
      return listPage(c, 200, { problem: `No appliance with id ${c.req.param("id")}.` });
    }
    const series = await fleet.heartbeats(a.id, { sinceMs: Date.now() - CHART_WINDOW_MS });
    const pcapStorage = await fleet.pcapStorage(a.id);
    const role = pageFrame(c).user?.role;
    return c.html(
      renderPage(
        ApplianceDetailPage({
          appliance: { ...rowOf(a), hostname: a.hostname, enrolledAt: a.enrolledAt },
          revoked: a.revokedAt !== null,
          configVersion: a.config.version,
          appliedConfigVersion: a.lastHeartbeat?.configVersion ?? null,
          capturePoints: a.config.capturePoints,
          links: a.lastHeartbeat?.capturePoints ?? [],
          reporting: { ...a.config.reporting },
          stages: a.lastHeartbeat?.stages ?? [],
          rates: ratesOf(series),
          observationPoints: OBSERVATION_POINTS,
          canWrite: role === "admin",
          errors: {},
          ...(pcapStorage === undefined ? {} : {
            pcapStorage: { ...pcapStorage, editable: role === "admin" || role === "operator" },
          }),
          distribution: distributionText(a.lastHeartbeat?.distribution),
          ...extra,
        }),
        pageFrame(c),
      ),
      status,
    );
  };

  app.get("/admin/appliances/:id", (c) => {
    const notice = {
      saved: "Saved. The appliance picks the new configuration up within seconds.",
      revoked: "The appliance was revoked: its reports and config requests are refused.",
    }[c.req.query("notice") ?? ""];
    return detailPage(c, 200, notice ? { notice } : {});
  });

  const change = (
    path: string,
    toChanges: (form: Record<string, string>) => Record<string, unknown>,
  ) => {
    app.post(`/admin/appliances/:id/${path}`, async (c) => {
      const form = await formOf(c);
      try {
        await fleet.update(actorOf(c)!, c.req.param("id"), toChanges(form));
      } catch (err) {
        if (!(err instanceof FleetError)) throw err;
        if (err.kind === "not_found") return detailPage(c, 404);
        return detailPage(c, err.kind === "conflict" ? 409 : 422, {
          errors: { [path]: err.message },
        });
      }
      return c.redirect(`/admin/appliances/${c.req.param("id")}?notice=saved`, 303);
    });
  };
  change("settings", (f) => ({ name: f.name ?? "", group: f.group ?? "" }));
  change("capture-points", (f) => ({ capturePoints: capturePointsOfForm(f) }));
  change("reporting", (f) => {
    const out: Record<string, number> = {};
    for (const k of ["batchRecords", "flushSeconds", "spoolMaxBytes", "heartbeatSeconds"]) {
      const v = f[k]?.trim();
      if (v) out[k] = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
    }
    return { reporting: out };
  });

  app.post("/admin/appliances/:id/revoke", async (c) => {
    const form = await formOf(c);
    if (form.confirm !== "on") {
      return detailPage(c, 422, { problem: "Tick the confirmation box to revoke the appliance." });
    }
    try {
      await fleet.revoke(actorOf(c)!, c.req.param("id"));
    } catch (err) {
      if (err instanceof FleetError && err.kind === "not_found") return detailPage(c, 404);
      throw err;
    }
    return c.redirect(`/admin/appliances/${c.req.param("id")}?notice=revoked`, 303);
  });

  return app;
}
