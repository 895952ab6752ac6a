// The fleet's documents and their validation (fleet_contract.md): the enrollment request, the
// appliance's config document, the editable parts an admin changes, and the heartbeat. Every
// check returns the first problem named with its path instead of throwing.
import { type Entitlement, OBSERVATION_POINTS } from "../../appliance/wire/mod.ts";

export interface CapturePoint {
  interface: string;
  /** DESIGN §7 observation point the tap port represents. */
  observationPoint: string;
  enabled: boolean;
}

export interface ReportingSettings {
  batchRecords: number;
  flushSeconds: number;
  spoolMaxBytes: number;
  heartbeatSeconds: number;
}

export const DEFAULT_REPORTING: ReportingSettings = {
  batchRecords: 1000,
  flushSeconds: 5,
  spoolMaxBytes: 1024 ** 3,
  heartbeatSeconds: 5,
};

/** Bounds of each reporting setting, inclusive. */
export const REPORTING_LIMITS: Record<keyof ReportingSettings, [number, number]> = {
  batchRecords: [1, 100_000],
  flushSeconds: [1, 300],
  spoolMaxBytes: [1024 ** 2, 1024 ** 4],
  heartbeatSeconds: [1, 60],
};

export const MAX_CAPTURE_POINTS = 64;

/** What `GET /api/v1/appliances/self/config` answers. */
export interface ConfigDocument {
  version: number;
  applianceId: string;
  name: string;
  group: string | null;
  capturePoints: CapturePoint[];
  reporting: ReportingSettings;
  policies: { distribution: unknown[]; pcap: unknown[] };
  /** The appliance's global PCAP disk quota (issue #7); null fields: no such bound. */
  pcapStorage: { quotaBytes: number | null; quotaPercent: number | null };
  entitlement: Entitlement | null;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

function unknownField(x: Record<string, unknown>, known: readonly string[], at: string) {
  const extra = Object.keys(x).find((k) => !known.includes(k));
  return extra === undefined ? undefined : `${at}${extra}: unknown field`;
}

/** Interface names as Linux allows them (IFNAMSIZ 16 with the NUL) or a capture file label. */
const INTERFACE = /^[A-Za-z0-9_.:@-]{1,64}$/;

/** A display name or group: printable, trimmed, 1–64 characters. */
export function labelProblem(value: string, what: string): string | undefined {
  if (value.length === 0) return `${what} must not be empty`;
  if (value.length > 64) return `${what} must be at most 64 characters`;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return `${what} must not contain control characters`;
  return undefined;
}

/** The body of `POST /api/v1/appliances/enroll`. */
export function checkEnrollRequest(
  body: Record<string, unknown>,
): Checked<{ token: string; name?: string; hostname: string; version: string }> {
  const problem = unknownField(body, ["token", "name", "hostname", "version"], "");
  if (problem) return { ok: false, error: problem };
  if (typeof body.token !== "string" || body.token.length === 0) {
    return { ok: false, error: "token: expected the enrollment token (tple_…)" };
  }
  if (typeof body.hostname !== "string" || labelProblem(body.hostname, "hostname")) {
    return { ok: false, error: "hostname: expected a string of 1–64 printable characters" };
  }
  if (typeof body.version !== "string" || labelProblem(body.version, "version")) {
    return { ok: false, error: "version: expected a string of 1–64 printable characters" };
  }
  let name: string | undefined;
  if (body.name !== undefined && body.name !== null) {
    if (typeof body.name !== "string") return { ok: false, error: "name: expected a string" };
    const trimmed = body.name.trim();
    const bad = labelProblem(trimmed, "name");
    if (bad) return { ok: false, error: `name: ${bad}` };
    name = trimmed;
  }
  return {
    ok: true,
    value: { token: body.token, name, hostname: body.hostname.trim(), version: body.version },
  };
}

/** A list of capture points as an admin sends it; interfaces must be unique. */
export function checkCapturePoints(x: unknown): Checked<CapturePoint[]> {
  if (!Array.isArray(x)) return { ok: false, error: "capturePoints: expected an array" };
  if (x.length > MAX_CAPTURE_POINTS) {
    return { ok: false, error: `capturePoints: at most ${MAX_CAPTURE_POINTS} capture points` };
  }
  const out: CapturePoint[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < x.length; i++) {
    const at = `capturePoints[${i}]`;
    const p = x[i];
    if (!isObject(p)) return { ok: false, error: `${at}: expected an object` };
    const extra = unknownField(p, ["interface", "observationPoint", "enabled"], `${at}.`);
    if (extra) return { ok: false, error: extra };
    if (typeof p.interface !== "string" || !INTERFACE.test(p.interface)) {
      return {
        ok: false,
        error: `${at}.interface: expected an interface name (letters, digits, _ . : @ -)`,
      };
    }
    if (seen.has(p.interface)) {
      return { ok: false, error: `${at}.interface: ${p.interface} is listed twice` };
    }
    seen.add(p.interface);
    if (
      typeof p.observationPoint !== "string" || !OBSERVATION_POINTS.includes(p.observationPoint)
    ) {
      return {
        ok: false,
        error: `${at}.observationPoint: expected one of ${OBSERVATION_POINTS.join(", ")}`,
      };
    }
    if (typeof p.enabled !== "boolean") {
      return { ok: false, error: `${at}.enabled: expected true or false` };
    }
    out.push({ interface: p.interface, observationPoint: p.observationPoint, enabled: p.enabled });
  }
  return { ok: true, value: out };
}

/** Reporting settings: a partial object is merged over `current`. */
export function checkReporting(x: unknown, current: ReportingSettings): Checked<ReportingSettings> {
  if (!isObject(x)) return { ok: false, error: "reporting: expected an object" };
  const keys = Object.keys(REPORTING_LIMITS) as (keyof ReportingSettings)[];
  const extra = unknownField(x, keys, "reporting.");
  if (extra) return { ok: false, error: extra };
  const out = { ...current };
  for (const key of keys) {
    const value = x[key];
    if (value === undefined) continue;
    const [min, max] = REPORTING_LIMITS[key];
    if (!isCount(value) || value < min || value > max) {
      return { ok: false, error: `reporting.${key}: expected an integer from ${min} to ${max}` };
    }
    out[key] = value;
  }
  return { ok: true, value: out };
}

export const STAGES = ["capture", "decode", "flow", "report", "spool"] as const;
export const LINK_STATES = ["up", "down", "missing"] as const;

export interface HeartbeatDrop {
  reason: string;
  count: number;
  setting?: string;
}

export interface Heartbeat {
  v: 1;
  version: string;
  startedAt: number;
  sentAt: number;
  capturePoints: {
    interface: string;
    observationPoint: string;
    link: typeof LINK_STATES[number];
    packets: number;
    bytes: number;
  }[];
  stages: { stage: typeof STAGES[number]; packets: number; drops: HeartbeatDrop[] }[];
  cpu: { percent: number };
  memory: { rssBytes: number; totalBytes: number };
  disk: { freeBytes: number; totalBytes: number };
  spool: {
    batches: number;
    bytes: number;
    droppedBatches: number;
    droppedRecords: number;
    oldestAt: number | null;
  };
  lastReportAt: number | null;
  configVersion: number | null;
  entitlement: { ok: boolean; reason?: string; modules: string[] };
  /** Traffic distribution on the appliance (issue #6): running, off, or why not. */
  distribution?: { state: string; reason: string | null; policies: number };
}

function checkCounts(
  x: unknown,
  fields: readonly string[],
  at: string,
): string | undefined {
  if (!isObject(x)) return `${at}: expected an object`;
  for (const f of fields) {
    if (!isCount(x[f])) return `${at}.${f}: expected a non-negative integer`;
  }
  return undefined;
}

function shortText(x: unknown, max = 128): x is string {
  return typeof x === "string" && x.length > 0 && x.length <= max;
}

function checkStage(s: unknown, at: string): string | undefined {
  if (!isObject(s)) return `${at}: expected an object`;
  if (!(STAGES as readonly string[]).includes(s.stage as string)) {
    return `${at}.stage: expected one of ${STAGES.join(", ")}`;
  }
  if (!isCount(s.packets)) return `${at}.packets: expected a non-negative integer`;
  if (!Array.isArray(s.drops) || s.drops.length > 64) {
    return `${at}.drops: expected an array of at most 64 entries`;
  }
  for (let j = 0; j < s.drops.length; j++) {
    const d = s.drops[j];
    const dat = `${at}.drops[${j}]`;
    if (!isObject(d)) return `${dat}: expected an object`;
    if (!shortText(d.reason)) return `${dat}.reason: expected a short string`;
    if (!isCount(d.count)) return `${dat}.count: expected a non-negative integer`;
    if (d.setting !== undefined && !shortText(d.setting, 256)) {
      return `${dat}.setting: expected a short string`;
    }
  }
  return undefined;
}

/** A heartbeat body (CBOR or JSON decoded); the first problem is named with its path. */
export function checkHeartbeat(x: unknown): Checked<Heartbeat> {
  const fail = (error: string): Checked<Heartbeat> => ({ ok: false, error });
  if (!isObject(x)) return fail("heartbeat: expected a map");
  if (x.v !== 1) {
    return fail(`v: unsupported heartbeat version ${JSON.stringify(x.v)} (accepted: 1)`);
  }
  if (!shortText(x.version, 64)) return fail("version: expected a string");
  for (const f of ["startedAt", "sentAt"]) {
    if (!isCount(x[f])) return fail(`${f}: expected ms since the epoch`);
  }
  if (!Array.isArray(x.capturePoints) || x.capturePoints.length > MAX_CAPTURE_POINTS) {
    return fail(`capturePoints: expected an array of at most ${MAX_CAPTURE_POINTS}`);
  }
  for (let i = 0; i < x.capturePoints.length; i++) {
    const p = x.capturePoints[i];
    const at = `capturePoints[${i}]`;
    const bad = checkCounts(p, ["packets", "bytes"], at);
    if (bad) return fail(bad);
    const cp = p as Record<string, unknown>;
    if (!shortText(cp.interface, 64)) return fail(`${at}.interface: expected a string`);
    if (typeof cp.observationPoint !== "string") {
      return fail(`${at}.observationPoint: expected a string`);
    }
    if (!(LINK_STATES as readonly string[]).includes(cp.link as string)) {
      return fail(`${at}.link: expected one of ${LINK_STATES.join(", ")}`);
    }
  }
  if (!Array.isArray(x.stages) || x.stages.length > 16) {
    return fail("stages: expected an array of at most 16");
  }
  for (let i = 0; i < x.stages.length; i++) {
    const bad = checkStage(x.stages[i], `stages[${i}]`);
    if (bad) return fail(bad);
  }
  if (!isObject(x.cpu) || typeof x.cpu.percent !== "number" || !(x.cpu.percent >= 0)) {
    return fail("cpu.percent: expected a non-negative number");
  }
  const counts: [string, readonly string[]][] = [
    ["memory", ["rssBytes", "totalBytes"]],
    ["disk", ["freeBytes", "totalBytes"]],
    ["spool", ["batches", "bytes", "droppedBatches", "droppedRecords"]],
  ];
  for (const [key, fields] of counts) {
    const bad = checkCounts(x[key], fields, key);
    if (bad) return fail(bad);
  }
  const spool = x.spool as Record<string, unknown>;
  if (spool.oldestAt !== null && !isCount(spool.oldestAt)) {
    return fail("spool.oldestAt: expected ms since the epoch or null");
  }
  if (x.lastReportAt !== null && !isCount(x.lastReportAt)) {
    return fail("lastReportAt: expected ms since the epoch or null");
  }
  if (x.configVersion !== null && !isCount(x.configVersion)) {
    return fail("configVersion: expected a non-negative integer or null");
  }
  const ent = x.entitlement;
  if (!isObject(ent) || typeof ent.ok !== "boolean" || !Array.isArray(ent.modules)) {
    return fail("entitlement: expected { ok, modules }");
  }
  if (!ent.modules.every((m) => shortText(m, 64))) {
    return fail("entitlement.modules: expected module keys");
  }
  if (ent.reason !== undefined && !shortText(ent.reason, 512)) {
    return fail("entitlement.reason: expected a short string");
  }
  const dist = x.distribution;
  if (dist !== undefined) {
    if (!isObject(dist) || !shortText(dist.state, 32) || !isCount(dist.policies)) {
      return fail("distribution: expected { state, reason, policies }");
    }
    if (dist.reason !== null && !shortText(dist.reason, 1024)) {
      return fail("distribution.reason: expected a short string or null");
    }
  }
  return { ok: true, value: x as unknown as Heartbeat };
}
