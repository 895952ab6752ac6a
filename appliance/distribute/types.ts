/**
 * Distribution points (where copies go, through which tunnel) and distribution policies (which
 * packets, transformed how), as plain JSON: the shape `policies.distribution` of the config
 * document carries (each policy embeds the points it sends to). {@link parseDistribution}
 * validates a document and names the field of every problem at once.
 */
import { compileFilter, FilterError } from "../policy/mod.ts";

export const TUNNEL_KINDS = ["vxlan", "gre", "erspan2", "erspan3"] as const;
export type TunnelKind = typeof TUNNEL_KINDS[number];

export const DIRECTIONS = ["both", "c2s", "s2c"] as const;
export type Direction = typeof DIRECTIONS[number];

export const DEFAULT_VXLAN_PORT = 4789;
export const DEFAULT_MTU = 1500;
export const MIN_MTU = 576;
export const MAX_MTU = 9000;
export const DEFAULT_DEDUP_WINDOW_MS = 1000;
export const MAX_DEDUP_WINDOW_MS = 60_000;

export interface DistributionPoint {
  id: string;
  name: string;
  tunnel: TunnelKind;
  /** VXLAN network identifier (24 bits); VXLAN only. */
  vni: number;
  /** ERSPAN session id (10 bits); ERSPAN only. */
  sessionId: number;
  /** IPv4 or IPv6 address of the receiver. */
  destination: string;
  /** Local address to send from; the kernel chooses when absent. */
  source: string | null;
  /** UDP destination port (VXLAN only). */
  port: number;
  /** Largest outer IP packet; longer inner frames are truncated to fit (counted). */
  mtu: number;
  /** 802.1Q VLAN id inserted into each inner frame, or null. */
  vlan: number | null;
}

/** Bytes kept: counted from the frame's start, or after the innermost L4 header. */
export interface PayloadSlice {
  from: "start" | "l4";
  bytes: number;
}

/** Bytes overwritten with zeros, counted from the frame's start or after the L4 header. */
export interface MaskRange {
  from: "start" | "l4";
  offset: number;
  length: number;
}

export interface DistributionPolicy {
  id: string;
  name: string;
  enabled: boolean;
  direction: Direction;
  /** tcpdump expression over the frame as captured; "" matches everything. */
  filter: string;
  action: "distribute" | "drop";
  slice: PayloadSlice | null;
  dedup: { enabled: boolean; windowMs: number };
  /** Token-bucket limit on the bytes this policy sends (inner frames), or null. */
  bandwidthBps: number | null;
  /** Transmit rate above which the policy stops sending until it falls under 90 %, or null. */
  fuseBps: number | null;
  points: DistributionPoint[];
  /** Every point gets a copy, or one point per flow (symmetric flow hash). */
  mode: "replicate" | "loadBalance";
  strip: { vlan: boolean; vxlan: boolean; gre: boolean };
  masks: MaskRange[];
}

export type DistributionResult =
  | { ok: true; policies: DistributionPolicy[] }
  | { ok: false; problems: string[] };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class Reader {
  constructor(readonly problems: string[]) {}

  object(value: unknown, path: string): Json | undefined {
    if (isObject(value)) return value;
    this.problems.push(`${path}: must be an object`);
    return undefined;
  }

  string(o: Json, key: string, path: string, fallback?: string): string {
    const v = o[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === "string") return v;
    this.problems.push(`${path}.${key}: must be a string`);
    return "";
  }

  boolean(o: Json, key: string, path: string, fallback: boolean): boolean {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v === "boolean") return v;
    this.problems.push(`${path}.${key}: must be true or false`);
    return fallback;
  }

  integer(o: Json, key: string, path: string, range: [number, number], fallback?: number): number {
    const v = o[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === "number" && Number.isInteger(v) && v >= range[0] && v <= range[1]) return v;
    this.problems.push(`${path}.${key}: must be an integer from ${range[0]} to ${range[1]}`);
    return fallback ?? range[0];
  }

  optionalInteger(o: Json, key: string, path: string, range: [number, number]): number | null {
    if (o[key] === undefined || o[key] === null) return null;
    return this.integer(o, key, path, range);
  }

  oneOf<T extends string>(
    o: Json,
    key: string,
    path: string,
    values: readonly T[],
    fallback: T,
  ): T {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${path}.${key}: must be one of ${values.join(", ")}`);
    return fallback;
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** 4 or 6 for a literal IPv4/IPv6 address, 0 otherwise. */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (IPV4.test(text)) return 4;
  if (!text.includes(":")) return 0;
  try {
    return new URL(`http://[${text}]/`).hostname.length > 2 ? 6 : 0;
  } catch {
    return 0;
  }
}

function parsePoint(r: Reader, value: unknown, path: string): DistributionPoint | undefined {
  const o = r.object(value, path);
  if (o === undefined) return undefined;
  const tunnel = r.oneOf(o, "tunnel", path, TUNNEL_KINDS, "vxlan");
  if (o.tunnel === undefined) r.problems.push(`${path}.tunnel: is required`);
  const destination = r.string(o, "destination", path);
  const family = ipVersion(destination);
  if (destination !== "" && family === 0) {
    r.problems.push(`${path}.destination: must be an IPv4 or IPv6 address`);
  }
  let source: string | null = null;
  if (o.source !== undefined && o.source !== null) {
    source = r.string(o, "source", path);
    if (ipVersion(source) === 0) r.problems.push(`${path}.source: must be an IPv4 or IPv6 address`);
    else if (family !== 0 && ipVersion(source) !== family) {
      r.problems.push(`${path}.source: must be of the destination's address family`);
    }
  }
  const vni = tunnel === "vxlan" ? r.integer(o, "vni", path, [0, 0xff_ffff]) : 0;
  const sessionId = tunnel.startsWith("erspan") ? r.integer(o, "sessionId", path, [0, 1023]) : 0;
  const port = tunnel === "vxlan" ? r.integer(o, "port", path, [1, 65535], DEFAULT_VXLAN_PORT) : 0;
  if (tunnel !== "vxlan" && o.port !== undefined) {
    r.problems.push(`${path}.port: applies to VXLAN only`);
  }
  return {
    id: r.string(o, "id", path),
    name: r.string(o, "name", path, ""),
    tunnel,
    vni,
    sessionId,
    destination,
    source,
    port,
    mtu: r.integer(o, "mtu", path, [MIN_MTU, MAX_MTU], DEFAULT_MTU),
    vlan: r.optionalInteger(o, "vlan", path, [1, 4094]),
  };
}

function parseFrom(r: Reader, o: Json, path: string): "start" | "l4" {
  return r.oneOf(o, "from", path, ["start", "l4"] as const, "start");
}

function parsePolicy(r: Reader, value: unknown, path: string): DistributionPolicy | undefined {
  const o = r.object(value, path);
  if (o === undefined) return undefined;
  const filter = r.string(o, "filter", path, "");
  if (filter.trim() !== "") {
    try {
      compileFilter(filter);
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
      r.problems.push(`${path}.filter: ${err.reason}`);
    }
  }
  let slice: PayloadSlice | null = null;
  if (o.slice !== undefined && o.slice !== null) {
    const s = r.object(o.slice, `${path}.slice`);
    if (s !== undefined) {
      slice = {
        from: parseFrom(r, s, `${path}.slice`),
        bytes: r.integer(s, "bytes", `${path}.slice`, [0, 65535]),
      };
    }
  }
  const dedup = { enabled: false, windowMs: DEFAULT_DEDUP_WINDOW_MS };
  if (o.dedup !== undefined) {
    const d = r.object(o.dedup, `${path}.dedup`);
    if (d !== undefined) {
      dedup.enabled = r.boolean(d, "enabled", `${path}.dedup`, true);
      dedup.windowMs = r.integer(d, "windowMs", `${path}.dedup`, [1, MAX_DEDUP_WINDOW_MS], 1000);
    }
  }
  const action = r.oneOf(o, "action", path, ["distribute", "drop"] as const, "distribute");
  const points: DistributionPoint[] = [];
  if (!Array.isArray(o.points)) r.problems.push(`${path}.points: must be an array`);
  else {
    o.points.forEach((p, i) => {
      const point = parsePoint(r, p, `${path}.points[${i}]`);
      if (point !== undefined) points.push(point);
    });
    if (action === "distribute" && o.points.length === 0) {
      r.problems.push(`${path}.points: a distribute policy needs at least one point`);
    }
  }
  const strip = { vlan: false, vxlan: false, gre: false };
  if (o.strip !== undefined) {
    const s = r.object(o.strip, `${path}.strip`);
    if (s !== undefined) {
      for (const key of ["vlan", "vxlan", "gre"] as const) {
        strip[key] = r.boolean(s, key, `${path}.strip`, false);
      }
    }
  }
  const masks: MaskRange[] = [];
  if (o.masks !== undefined) {
    if (!Array.isArray(o.masks)) r.problems.push(`${path}.masks: must be an array`);
    else {
      o.masks.forEach((m, i) => {
        const at = `${path}.masks[${i}]`;
        const mo = r.object(m, at);
        if (mo === undefined) return;
        masks.push({
          from: parseFrom(r, mo, at),
          offset: r.integer(mo, "offset", at, [0, 65535]),
          length: r.integer(mo, "length", at, [1, 65535]),
        });
      });
    }
  }
  return {
    id: r.string(o, "id", path),
    name: r.string(o, "name", path, ""),
    enabled: r.boolean(o, "enabled", path, true),
    direction: r.oneOf(o, "direction", path, DIRECTIONS, "both"),
    filter,
    action,
    slice,
    dedup,
    bandwidthBps: r.optionalInteger(o, "bandwidthBps", path, [1000, 400e9]),
    fuseBps: r.optionalInteger(o, "fuseBps", path, [1000, 400e9]),
    points,
    mode: r.oneOf(o, "mode", path, ["replicate", "loadBalance"] as const, "replicate"),
    strip,
    masks,
  };
}

/**
 * Validates `policies.distribution` (an array of policies), or a `{ "policies": [...] }` file.
 * Every problem is reported, each naming its field (`distribution[0].points[1].vni: …`).
 */
export function parseDistribution(value: unknown, path = "distribution"): DistributionResult {
  const problems: string[] = [];
  const r = new Reader(problems);
  let list: unknown = value;
  if (isObject(value)) {
    list = value.policies;
    path = "policies";
  }
  if (!Array.isArray(list)) return { ok: false, problems: [`${path}: must be an array`] };
  const policies: DistributionPolicy[] = [];
  list.forEach((p, i) => {
    const policy = parsePolicy(r, p, `${path}[${i}]`);
    if (policy !== undefined) policies.push(policy);
  });
  const ids = new Set<string>();
  policies.forEach((p, i) => {
    if (p.id !== "" && ids.has(p.id)) problems.push(`${path}[${i}].id: duplicate id ${p.id}`);
    ids.add(p.id);
  });
  const points = new Map<string, string>();
  for (const [i, p] of policies.entries()) {
    for (const [j, point] of p.points.entries()) {
      const shape = JSON.stringify(point);
      const seen = points.get(point.id);
      if (seen !== undefined && seen !== shape) {
        problems.push(`${path}[${i}].points[${j}]: point ${point.id} differs from its other use`);
      }
      points.set(point.id, shape);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, policies };
}
