// PCAP policies (issue #7): the JSON API under /api/v1/pcap and the Network monitoring → PCAP
// policies page with its forms (which work without JavaScript). Who may call what is in
// auth/policy.ts: viewers read, operators and admins change.
import { type Context, Hono } from "hono";
import { PCAP_PROTOCOLS } from "../../appliance/wire/mod.ts";
import {
  PcapPoliciesPage,
  type PcapPoliciesPageProps,
  type PcapPolicyForm,
  renderPage,
} from "../../ui/mod.ts";
import { actorOf, userOf } from "../auth/mod.ts";
import type { FleetService } from "../fleet/mod.ts";
import { PcapPolicyError, type PcapPolicyService, type PolicyView } from "../pcap/mod.ts";
import { HttpError } from "./errors.ts";
import { formOf, idParam, jsonOf } from "./_input.ts";
import { pageFrame } from "./page_frame.ts";

function statusOf(err: PcapPolicyError): 404 | 409 | 422 {
  return err.kind === "not_found" ? 404 : err.kind === "conflict" ? 409 : 422;
}

function failed(c: Context, err: unknown): Response {
  if (err instanceof PcapPolicyError) {
    return c.json({ error: err.message, field: err.field ?? null }, statusOf(err));
  }
  throw err;
}

export function policyJson(p: PolicyView) {
  const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();
  return {
    ...p,
    start: iso(p.start),
    stop: iso(p.stop),
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    analysis: `/pcap/analysis?policy=${p.id}`,
  };
}

const list = (text: string | undefined) =>
  (text ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");

/** A number field of the form: blank → null, digits → a number, else the text (refused by name). */
function numberOf(text: string | undefined): unknown {
  const t = (text ?? "").trim();
  if (t === "") return null;
  return /^-?\d{1,16}$/.test(t) ? Number(t) : t;
}

/** The API body a policy form stands for. */
export function policyOfForm(form: Record<string, string>): Record<string, unknown> {
  const match: Record<string, unknown> = {};
  for (const k of ["ip", "peerIp", "protocol"]) {
    const v = form[`match.${k}`]?.trim();
    if (v) match[k] = v;
  }
  for (const k of ["port", "peerPort"]) {
    const v = numberOf(form[`match.${k}`]);
    if (v !== null) match[k] = v;
  }
  const start = form.start?.trim() ?? "";
  const stop = form.stop?.trim() ?? "";
  return {
    name: form.name ?? "",
    enabled: form.enabled === "on",
    appliances: list(form.appliances),
    groups: list(form.groups),
    capturePoints: list(form.capturePoints),
    filter: form.filter?.trim() ? form.filter.trim() : null,
    match,
    truncateBytes: numberOf(form.truncateBytes) ?? 0,
    start: start === "" ? null : start,
    stop: stop === "" ? null : stop,
    durationSeconds: numberOf(form.durationSeconds),
    maxPackets: numberOf(form.maxPackets),
    maxBytes: numberOf(form.maxBytes),
    quotaBytes: numberOf(form.quotaBytes),
  };
}

function formOfPolicy(p: PolicyView): Record<string, string> {
  const s = (v: number | null) => v === null ? "" : String(v);
  return {
    name: p.name,
    enabled: p.enabled ? "on" : "off",
    appliances: p.appliances.join(", "),
    groups: p.groups.join(", "),
    capturePoints: p.capturePoints.join(", "),
    filter: p.filter ?? "",
    "match.ip": p.match.ip ?? "",
    "match.port": p.match.port === undefined ? "" : String(p.match.port),
    "match.protocol": p.match.protocol ?? "",
    "match.peerIp": p.match.peerIp ?? "",
    "match.peerPort": p.match.peerPort === undefined ? "" : String(p.match.peerPort),
    truncateBytes: String(p.truncateBytes),
    start: p.start === null ? "" : new Date(p.start).toISOString(),
    stop: p.stop === null ? "" : new Date(p.stop).toISOString(),
    durationSeconds: s(p.durationSeconds),
    maxPackets: s(p.maxPackets),
    maxBytes: s(p.maxBytes),
    quotaBytes: s(p.quotaBytes),
  };
}

/** The form field an error belongs to (match problems name their sub-field). */
function formFieldOf(err: PcapPolicyError): string {
  const m = /^match\.(\w+)/.exec(err.message);
  return m ? `match.${m[1]}` : err.field ?? "name";
}

export function pcapRoutes(pcap: PcapPolicyService, fleet: FleetService): Hono {
  const app = new Hono();

  // --- JSON API ---
  app.get("/api/v1/pcap/policies", async (c) => {
    const stats = await pcap.stats();
    return c.json({
      policies: (await pcap.list()).map((p) => ({
        ...policyJson(p),
        stored: stats.get(String(p.id)) ?? { packets: 0, bytes: 0, flows: 0 },
      })),
    });
  });
  app.post("/api/v1/pcap/policies", async (c) => {
    const body = await jsonOf(c);
    try {
      return c.json(policyJson(await pcap.create(actorOf(c)!, body)), 201);
    } catch (err) {
      return failed(c, err);
    }
  });
  app.get("/api/v1/pcap/policies/:id", async (c) => {
    const p = await pcap.get(idParam(c));
    if (p === undefined) throw new HttpError(404, `no PCAP policy ${c.req.param("id")}`);
    const stats = await pcap.stats();
    return c.json({
      ...policyJson(p),
      stored: stats.get(String(p.id)) ?? { packets: 0, bytes: 0, flows: 0 },
    });
  });
  app.put("/api/v1/pcap/policies/:id", async (c) => {
    const id = idParam(c);
    const body = await jsonOf(c);
    try {
      return c.json(policyJson(await pcap.update(actorOf(c)!, id, body)));
    } catch (err) {
      return failed(c, err);
    }
  });
  app.delete("/api/v1/pcap/policies/:id", async (c) => {
    try {
      await pcap.remove(actorOf(c)!, idParam(c));
    } catch (err) {
      return failed(c, err);
    }
    return c.body(null, 204);
  });
  app.get("/api/v1/pcap/storage/:appliance", async (c) => {
    return c.json(await pcap.storage(c.req.param("appliance")));
  });
  app.put("/api/v1/pcap/storage/:appliance", async (c) => {
    const body = await jsonOf(c);
    try {
      return c.json(await pcap.setStorage(actorOf(c)!, c.req.param("appliance"), body));
    } catch (err) {
      return failed(c, err);
    }
  });

  // --- the page ---
  const page = async (
    c: Context,
    status: 200 | 404 | 409 | 422,
    extra: Partial<PcapPoliciesPageProps> = {},
  ) => {
    const [policies, stats, appliances, storages] = await Promise.all([
      pcap.list(),
      pcap.stats(),
      fleet.list(),
      pcap.storages(),
    ]);
    const role = userOf(c)?.role;
    c.header("Cache-Control", "no-store");
    return c.html(
      renderPage(
        PcapPoliciesPage({
          policies: policies.map((p) => {
            const s = stats.get(String(p.id));
            const targets = [...p.appliances, ...p.groups.map((g) => `group ${g}`)];
            return {
              id: p.id,
              name: p.name,
              enabled: p.enabled,
              targets: targets.length === 0 ? "all" : targets.join(", "),
              expression: p.expression,
              truncateBytes: p.truncateBytes,
              quotaBytes: p.quotaBytes,
              storedPackets: s?.packets ?? 0,
              storedBytes: s?.bytes ?? 0,
              storedFlows: s?.flows ?? 0,
              updatedAt: p.updatedAt,
            };
          }),
          storage: appliances.filter((a) => a.revokedAt === null).map((a) => ({
            id: a.id,
            name: a.name,
            quotaBytes: storages.get(a.id)?.quotaBytes ?? null,
            quotaPercent: storages.get(a.id)?.quotaPercent ?? null,
          })),
          canWrite: role === "admin" || role === "operator",
          protocols: PCAP_PROTOCOLS,
          ...extra,
        }),
        pageFrame(c),
      ),
      status,
    );
  };
  const notices: Record<string, string> = {
    created: "Policy created. Appliances pick it up within seconds.",
    saved: "Policy saved. Appliances pick the change up within seconds.",
    deleted: "Policy deleted.",
    quota: "Quota saved.",
  };
  app.get("/pcap/policies", (c) => page(c, 200, { notice: notices[c.req.query("notice") ?? ""] }));
  app.get(
    "/pcap/policies/new",
    (c) => page(c, 200, { form: { values: { enabled: "on", truncateBytes: "0" }, errors: {} } }),
  );
  app.get("/pcap/policies/:id", async (c) => {
    const id = idParam(c);
    const p = await pcap.get(id);
    if (p === undefined) return page(c, 404, { problem: `No PCAP policy ${id}.` });
    const form: PcapPolicyForm = { id, values: formOfPolicy(p), errors: {} };
    return page(c, 200, { form, notice: notices[c.req.query("notice") ?? ""] });
  });
  const submit = async (c: Context, id: number | undefined) => {
    const form = await formOf(c);
    const body = policyOfForm(form);
    try {
      if (id === undefined) {
        const p = await pcap.create(actorOf(c)!, body);
        return c.redirect(`/pcap/policies/${p.id}?notice=created`, 303);
      }
      await pcap.update(actorOf(c)!, id, body);
      return c.redirect(`/pcap/policies/${id}?notice=saved`, 303);
    } catch (err) {
      if (!(err instanceof PcapPolicyError)) throw err;
      if (err.kind === "not_found") return page(c, 404, { problem: err.message });
      const values = { ...form, enabled: form.enabled === "on" ? "on" : "off" };
      return page(c, statusOf(err), {
        form: { id, values, errors: { [formFieldOf(err)]: err.message } },
      });
    }
  };
  app.post("/pcap/policies", (c) => submit(c, undefined));
  app.post("/pcap/policies/:id", (c) => submit(c, idParam(c)));
  app.post("/pcap/policies/:id/delete", async (c) => {
    try {
      await pcap.remove(actorOf(c)!, idParam(c));
    } catch (err) {
      if (err instanceof PcapPolicyError) return page(c, 404, { problem: err.message });
      throw err;
    }
    return c.redirect("/pcap/policies?notice=deleted", 303);
  });
  app.post("/pcap/storage/:appliance", async (c) => {
    const form = await formOf(c);
    const num = (t: string | undefined) => {
      const v = (t ?? "").trim();
      return v === "" ? null : /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    };
    const applianceId = c.req.param("appliance");
    try {
      await pcap.setStorage(actorOf(c)!, applianceId, {
        quotaGB: num(form.quotaGB),
        quotaPercent: num(form.quotaPercent),
      });
    } catch (err) {
      if (!(err instanceof PcapPolicyError)) throw err;
      return page(c, statusOf(err), {
        storageErrors: { applianceId, field: err.field ?? "quotaGB", message: err.message },
      });
    }
    // The appliance's own page sends its form here too, and is where it goes back to.
    const next = /^\/admin\/appliances\/[A-Za-z0-9-]{1,64}$/.test(form.next ?? "")
      ? `${form.next}?notice=saved`
      : "/pcap/policies?notice=quota";
    return c.redirect(next, 303);
  });
  return app;
}
