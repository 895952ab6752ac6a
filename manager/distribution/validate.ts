// What an operator may send for a distribution point or policy (REST body, or a form turned into
// the same shape): every problem is found at once and named by its field, e.g.
// `{ "vni": "must be an integer from 0 to 16777215" }`. The bounds are the appliance's
// (appliance/distribute/types.ts), which checks the document again when it arrives.
import { isIpText } from "../../appliance/wire/mod.ts";
import { filterProblem } from "../libpcap/mod.ts";

export const TUNNELS = ["vxlan", "gre", "erspan2", "erspan3"] as const;
export type Tunnel = typeof TUNNELS[number];
export const TUNNEL_LABELS: Record<Tunnel, string> = {
  vxlan: "VXLAN",
  gre: "GRE",
  erspan2: "ERSPAN type II",
  erspan3: "ERSPAN type III",
};
export const DIRECTIONS = ["both", "c2s", "s2c"] as const;
export const ACTIONS = ["distribute", "drop"] as const;
export const MODES = ["replicate", "loadBalance"] as const;
export const OFFSETS = ["start", "l4"] as const;
export const MAX_MASKS = 16;
export const MAX_SCOPE = 256;

export interface PointInput {
  name: string;
  tunnel: Tunnel;
  vni: number;
  sessionId: number;
  destination: string;
  source: string | null;
  port: number;
  mtu: number;
  vlan: number | null;
}

export interface MaskInput {
  from: "start" | "l4";
  offset: number;
  length: number;
}

export interface PolicyInput {
  name: string;
  enabled: boolean;
  appliances: string[];
  groups: string[];
  capturePoints: string[];
  direction: typeof DIRECTIONS[number];
  filter: string;
  action: typeof ACTIONS[number];
  slice: { from: "start" | "l4"; bytes: number } | null;
  dedup: { enabled: boolean; windowMs: number };
  bandwidthBps: number | null;
  fuseBps: number | null;
  points: number[];
  mode: typeof MODES[number];
  strip: { vlan: boolean; vxlan: boolean; gre: boolean };
  masks: MaskInput[];
}

export type FieldErrors = Record<string, string>;
export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Reads fields of a JSON object, collecting one message per bad field. */
class Fields {
  readonly errors: FieldErrors = {};
  constructor(readonly o: Json) {}

  fail(key: string, message: string): void {
    this.errors[key] ??= message;
  }

  name(key = "name"): string {
    const v = this.o[key];
    if (typeof v !== "string" || v.trim() === "") {
      this.fail(key, "is required");
      return "";
    }
    const name = v.trim();
    if (name.length > 64) this.fail(key, "must be at most 64 characters");
    // deno-lint-ignore no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(name)) this.fail(key, "must not contain control characters");
    return name;
  }

  int(key: string, range: [number, number], fallback: number, v = this.o[key]): number {
    if (v === undefined || v === null || v === "") return fallback;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < range[0] || v > range[1]) {
      this.fail(key, `must be an integer from ${range[0]} to ${range[1]}`);
      return fallback;
    }
    return v;
  }

  optionalInt(key: string, range: [number, number], v = this.o[key]): number | null {
    if (v === undefined || v === null || v === "") return null;
    return this.int(key, range, range[0], v);
  }

  bool(key: string, fallback: boolean, v = this.o[key]): boolean {
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") this.fail(key, "must be true or false");
    return typeof v === "boolean" ? v : fallback;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback: T, v = this.o[key]): T {
    if (v === undefined) return fallback;
    if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
    this.fail(key, `must be one of ${values.join(", ")}`);
    return fallback;
  }

  strings(key: string, pattern: RegExp, what: string): string[] {
    const v = this.o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.length > MAX_SCOPE) {
      this.fail(key, `must be a list of at most ${MAX_SCOPE} ${what}`);
      return [];
    }
    const out: string[] = [];
    for (const item of v) {
      const text = typeof item === "string" ? item.trim() : "";
      if (!pattern.test(text)) {
        this.fail(key, `${JSON.stringify(String(item).slice(0, 64))} is not ${what}`);
        continue;
      }
      if (!out.includes(text)) out.push(text);
    }
    return out;
  }
}

function unknownFields(o: Json, known: readonly string[], f: Fields): void {
  for (const key of Object.keys(o)) if (!known.includes(key)) f.fail(key, "unknown field");
}

const POINT_FIELDS = [
  "name",
  "tunnel",
  "vni",
  "sessionId",
  "destination",
  "source",
  "port",
  "mtu",
  "vlan",
] as const;

function family(ip: string): 4 | 6 {
  return ip.includes(":") ? 6 : 4;
}

/** A distribution point as sent; fields that do not apply to its tunnel must be absent or 0. */
export function checkPoint(body: unknown): Validated<PointInput> {
  if (!isObject(body)) return { ok: false, errors: { body: "must be a JSON object" } };
  const f = new Fields(body);
  unknownFields(body, POINT_FIELDS, f);
  const name = f.name();
  if (body.tunnel === undefined) f.fail("tunnel", "is required");
  const tunnel = f.oneOf("tunnel", TUNNELS, "vxlan");
  const destination = typeof body.destination === "string" ? body.destination.trim() : "";
  if (destination === "") f.fail("destination", "is required");
  else if (!isIpText(destination)) f.fail("destination", "must be an IPv4 or IPv6 address");
  let source: string | null = null;
  if (typeof body.source === "string" && body.source.trim() !== "") {
    source = body.source.trim();
    if (!isIpText(source)) f.fail("source", "must be an IPv4 or IPv6 address");
    else if (isIpText(destination) && family(source) !== family(destination)) {
      f.fail("source", `must be an IPv${family(destination)} address like the destination`);
    }
  } else if (body.source !== undefined && body.source !== null && body.source !== "") {
    f.fail("source", "must be an IPv4 or IPv6 address");
  }
  const vni = f.int("vni", [0, 0xff_ffff], 0);
  if (tunnel === "vxlan" && (body.vni === undefined || body.vni === null)) {
    f.fail("vni", "is required for VXLAN");
  }
  const sessionId = f.int("sessionId", [0, 1023], 0);
  const erspan = tunnel === "erspan2" || tunnel === "erspan3";
  if (erspan && (body.sessionId === undefined || body.sessionId === null)) {
    f.fail("sessionId", "is required for ERSPAN");
  }
  const port = f.int("port", [1, 65535], 4789);
  if (tunnel !== "vxlan" && body.port !== undefined && body.port !== null && body.port !== 4789) {
    f.fail("port", "applies to VXLAN only");
  }
  const point: PointInput = {
    name,
    tunnel,
    vni: tunnel === "vxlan" ? vni : 0,
    sessionId: erspan ? sessionId : 0,
    destination,
    source,
    port: tunnel === "vxlan" ? port : 4789,
    mtu: f.int("mtu", [576, 9000], 1500),
    vlan: f.optionalInt("vlan", [1, 4094]),
  };
  return Object.keys(f.errors).length > 0
    ? { ok: false, errors: f.errors }
    : { ok: true, value: point };
}

const POLICY_FIELDS = [
  "name",
  "enabled",
  "appliances",
  "groups",
  "capturePoints",
  "direction",
  "filter",
  "action",
  "slice",
  "dedup",
  "bandwidthBps",
  "fuseBps",
  "points",
  "mode",
  "strip",
  "masks",
] as const;

const APPLIANCE_ID = /^[A-Za-z0-9_-]{1,64}$/;
// Group names as fleet/documents.ts labelProblem() allows them: no control characters.
// deno-lint-ignore no-control-regex
const GROUP = /^[^\u0000-\u001f\u007f]{1,64}$/;
const INTERFACE = /^[A-Za-z0-9_.:@-]{1,64}$/;
const LIMIT: [number, number] = [1000, 400e9];

/** A distribution policy as sent; `pointIds` are the points that exist. */
export function checkPolicy(body: unknown, pointIds: ReadonlySet<number>): Validated<PolicyInput> {
  if (!isObject(body)) return { ok: false, errors: { body: "must be a JSON object" } };
  const f = new Fields(body);
  unknownFields(body, POLICY_FIELDS, f);
  const name = f.name();
  const filter = body.filter === undefined || body.filter === null ? "" : body.filter;
  if (typeof filter !== "string") f.fail("filter", "must be a tcpdump expression");
  else if (filter.length > 4096) f.fail("filter", "must be at most 4096 characters");
  else {
    const problem = filterProblem(filter, { required: true });
    if (problem) f.fail("filter", problem);
  }
  const action = f.oneOf("action", ACTIONS, "distribute");
  let slice: PolicyInput["slice"] = null;
  if (body.slice !== undefined && body.slice !== null) {
    if (!isObject(body.slice)) f.fail("slice", "must be { from, bytes } or null");
    else {
      slice = {
        from: f.oneOf("slice.from", OFFSETS, "l4", body.slice.from),
        bytes: f.int("slice.bytes", [0, 65535], 0, body.slice.bytes),
      };
      if (body.slice.bytes === undefined) f.fail("slice.bytes", "is required");
    }
  }
  const dedup = { enabled: false, windowMs: 1000 };
  if (body.dedup !== undefined && body.dedup !== null) {
    if (!isObject(body.dedup)) f.fail("dedup", "must be { enabled, windowMs }");
    else {
      dedup.enabled = f.bool("dedup.enabled", false, body.dedup.enabled);
      dedup.windowMs = f.int("dedup.windowMs", [1, 60_000], 1000, body.dedup.windowMs);
    }
  }
  const points: number[] = [];
  if (body.points !== undefined && !Array.isArray(body.points)) {
    f.fail("points", "must be a list of distribution point ids");
  }
  for (const p of Array.isArray(body.points) ? body.points : []) {
    if (typeof p !== "number" || !pointIds.has(p)) {
      f.fail("points", `no distribution point with id ${JSON.stringify(p)}`);
    } else if (!points.includes(p)) points.push(p);
  }
  if (action === "distribute" && points.length === 0 && f.errors.points === undefined) {
    f.fail("points", "a distribute policy needs at least one distribution point");
  }
  const strip = { vlan: false, vxlan: false, gre: false };
  if (body.strip !== undefined && body.strip !== null) {
    if (!isObject(body.strip)) f.fail("strip", "must be { vlan, vxlan, gre }");
    else {
      for (const k of ["vlan", "vxlan", "gre"] as const) {
        strip[k] = f.bool(`strip.${k}`, false, body.strip[k]);
      }
    }
  }
  const masks: MaskInput[] = [];
  if (body.masks !== undefined && body.masks !== null) {
    if (!Array.isArray(body.masks) || body.masks.length > MAX_MASKS) {
      f.fail("masks", `must be a list of at most ${MAX_MASKS} ranges`);
    } else {
      body.masks.forEach((m, i) => {
        if (!isObject(m)) return f.fail(`masks[${i}]`, "must be { from, offset, length }");
        masks.push({
          from: f.oneOf(`masks[${i}].from`, OFFSETS, "l4", m.from),
          offset: f.int(`masks[${i}].offset`, [0, 65535], 0, m.offset),
          length: f.int(`masks[${i}].length`, [1, 65535], 1, m.length ?? 0),
        });
      });
    }
  }
  const policy: PolicyInput = {
    name,
    enabled: f.bool("enabled", true),
    appliances: f.strings("appliances", APPLIANCE_ID, "an appliance id"),
    groups: f.strings("groups", GROUP, "a group name"),
    capturePoints: f.strings("capturePoints", INTERFACE, "an interface name"),
    direction: f.oneOf("direction", DIRECTIONS, "both"),
    filter: typeof filter === "string" ? filter.trim() : "",
    action,
    slice,
    dedup,
    bandwidthBps: f.optionalInt("bandwidthBps", LIMIT),
    fuseBps: f.optionalInt("fuseBps", LIMIT),
    points,
    mode: f.oneOf("mode", MODES, "replicate"),
    strip,
    masks,
  };
  return Object.keys(f.errors).length > 0
    ? { ok: false, errors: f.errors }
    : { ok: true, value: policy };
}

/** The errors as one line for a JSON 422: `vni: must be …; destination: is required`. */
export function errorText(errors: FieldErrors): string {
  return Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join("; ");
}
