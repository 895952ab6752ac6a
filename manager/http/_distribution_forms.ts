// The distribution pages' forms: what a browser posts (repeated fields for the multi-selects,
// numbers as text) turned into the API's JSON body, so that one validator checks both, and a
// stored point or policy turned back into form values.
import type { Context } from "hono";
import type { PointFormView, PolicyFormView } from "../../ui/mod.ts";
import type { PointView, PolicyView } from "../distribution/mod.ts";
import { HttpError } from "./errors.ts";

/** Every value of a form, repeated fields as lists (multi-selects). */
export async function formAll(c: Context): Promise<Record<string, string[]>> {
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

export function policyFormFrom(p: PolicyView): PolicyFormView {
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

export const EMPTY_POLICY: PolicyFormView = policyFormOf({
  enabled: ["on"],
  dedupWindowMs: ["1000"],
});

export function pointFormOf(form: Record<string, string[]>): PointFormView {
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

export function pointBodyOf(f: PointFormView): Record<string, unknown> {
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

export function pointFormFrom(p: PointView): PointFormView {
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

export const EMPTY_POINT: PointFormView = pointFormOf({ port: ["4789"], mtu: ["1500"] });
