/**
 * Traffic distribution in the agent: the config document's `policies.distribution` compiled once
 * per document (and per capture point and link type), applied to every packet the capture points
 * (or `--replay`) read, and counted per policy and per point as `npb_counters` records. Without
 * `traffic_distribution` in the signed entitlement nothing is sent and the status says why. The
 * agent's own tunnel output is never distributed again (OWN_OUTPUT_FILTER).
 */
import type { CapturedPacket } from "../capture/mod.ts";
import {
  type DistributionPolicy,
  Distributor,
  type DistributorOptions,
  OWN_OUTPUT_FILTER,
  parseDistribution,
  type PointCounters,
  type PolicyCounters,
} from "../distribute/mod.ts";
import { PacketFilter } from "../policy/mod.ts";
import type { NpbCounterRecord } from "../wire/mod.ts";
import type { EntitlementState } from "./config_sync.ts";

export const DISTRIBUTION_MODULE = "traffic_distribution";

/** What the capture loop calls per packet and after each burst. */
export interface PacketTap {
  process(packet: CapturedPacket): void;
  flush(): void;
}

export interface DistributionStatus {
  /** off: no policy; active: distributing; unlicensed / invalid: policies present, none run. */
  state: "off" | "active" | "unlicensed" | "invalid";
  reason: string | null;
  policies: number;
  configVersion: number | null;
}

interface Run {
  distributor: Distributor;
  own: PacketFilter;
}

type Cumulative = Map<string, { policy?: PolicyCounters; point?: PointCounters }>;

function addPolicy(a: PolicyCounters | undefined, b: PolicyCounters): PolicyCounters {
  if (a === undefined) return structuredClone(b);
  const dropped = { ...a.dropped };
  for (const [k, v] of Object.entries(b.dropped)) {
    dropped[k as keyof typeof dropped] += v;
  }
  return {
    ...a,
    matched: a.matched + b.matched,
    packets: a.packets + b.packets,
    bytes: a.bytes + b.bytes,
    dropped,
  };
}

function addPoint(a: PointCounters | undefined, b: PointCounters): PointCounters {
  if (a === undefined) return structuredClone(b);
  return {
    ...a,
    packets: a.packets + b.packets,
    bytes: a.bytes + b.bytes,
    truncated: a.truncated + b.truncated,
    dropped: { sendError: a.dropped.sendError + b.dropped.sendError },
    lastError: b.lastError || a.lastError,
  };
}

/** An unchanged policy or point is reported at least this often. */
const KEEPALIVE_MS = 60_000;
/** The counts whose change makes a record worth sending. */
const NPB_DELTAS = [
  "packets",
  "bytes",
  "matched",
  "filter",
  "direction",
  "dedup",
  "rateLimit",
  "fuse",
  "sendError",
  "truncated",
] as const;
const ZERO: Omit<NpbCounterRecord, "time" | "kind" | "id"> = {
  packets: 0,
  bytes: 0,
  matched: 0,
  filter: 0,
  direction: 0,
  dedup: 0,
  rateLimit: 0,
  fuse: 0,
  sendError: 0,
  truncated: 0,
  lastError: "",
  lastSendAt: 0,
};

export class AgentDistribution {
  readonly #openSink: DistributorOptions["openSink"];
  /** `openSink` replaces the sockets (tests). */
  constructor(options: Pick<DistributorOptions, "openSink"> = {}) {
    this.#openSink = options.openSink;
  }

  status: DistributionStatus = { state: "off", reason: null, policies: 0, configVersion: null };
  #policies: { policy: DistributionPolicy; capturePoints: string[] }[] = [];
  #generation = 0;
  #key = "";
  /** Distributors of the current document, by capture point (`*` for a replayed file). */
  #runs = new Map<string, Run>();
  /** Counters of distributors already closed (earlier documents), cumulative. */
  #closed: Cumulative = new Map();
  /** The cumulative counters at the last report, and when each point last sent. */
  #reported = new Map<string, { policy?: PolicyCounters; point?: PointCounters }>();
  #lastSendAt = new Map<string, number>();
  /** When each policy's or point's last record was made. */
  #emittedAt = new Map<string, number>();

  /** Applies a document's policies under an entitlement; a no-op when neither changed. */
  apply(version: number | null, policies: unknown[], entitlement: EntitlementState): void {
    const licensed = entitlement.ok && entitlement.modules.includes(DISTRIBUTION_MODULE);
    const key = `${version}|${licensed}|${entitlement.reason ?? ""}`;
    if (key === this.#key) return;
    this.#key = key;
    this.#closeRuns();
    this.#generation++;
    this.#policies = [];
    if (policies.length === 0) {
      this.status = { state: "off", reason: null, policies: 0, configVersion: version };
      return;
    }
    if (!licensed) {
      const why = entitlement.ok
        ? `${DISTRIBUTION_MODULE} is not in the signed entitlement`
        : `no valid entitlement (${entitlement.reason ?? "unknown"})`;
      this.status = {
        state: "unlicensed",
        reason: `${why}: distributing nothing`,
        policies: policies.length,
        configVersion: version,
      };
      return;
    }
    const parsed = parseDistribution(policies, "policies.distribution");
    if (!parsed.ok) {
      this.status = {
        state: "invalid",
        reason: parsed.problems.slice(0, 5).join("; "),
        policies: policies.length,
        configVersion: version,
      };
      return;
    }
    this.#policies = parsed.policies.map((policy, i) => {
      const raw = (policies[i] as { capturePoints?: unknown }).capturePoints;
      const capturePoints = Array.isArray(raw)
        ? raw.filter((x): x is string => typeof x === "string")
        : [];
      return { policy, capturePoints };
    });
    this.status = {
      state: "active",
      reason: null,
      policies: this.#policies.length,
      configVersion: version,
    };
  }

  /** The distributor of a capture point (`null`: a replayed file, every policy) for a link type. */
  #runFor(iface: string | null, linkType: number): Run | undefined {
    if (this.status.state !== "active") return undefined;
    const key = `${iface ?? "*"}|${linkType}`;
    const existing = this.#runs.get(key);
    if (existing) return existing;
    const policies = this.#policies.filter((p) =>
      iface === null || p.capturePoints.length === 0 || p.capturePoints.includes(iface)
    ).map((p) => p.policy);
    if (policies.length === 0) return undefined;
    const run = {
      distributor: new Distributor(policies, { linkType, openSink: this.#openSink }),
      own: new PacketFilter(OWN_OUTPUT_FILTER, linkType),
    };
    this.#runs.set(key, run);
    return run;
  }

  /** A tap for the capture of `iface` (null: a replayed file); follows document changes. */
  tap(iface: string | null): (linkType: number) => PacketTap {
    return (linkType) => {
      let generation = -1;
      let run: Run | undefined;
      const current = () => {
        if (generation !== this.#generation) {
          generation = this.#generation;
          run = this.#runFor(iface, linkType);
        }
        return run;
      };
      return {
        process: (packet) => {
          const r = current();
          // Our own VXLAN/GRE output seen again on a capture point is never sent again.
          if (r !== undefined && r.own.matches(packet)) r.distributor.process(packet);
        },
        flush: () => current()?.distributor.flush(),
      };
    };
  }

  #closeRuns(): void {
    for (const run of this.#runs.values()) {
      run.distributor.flush();
      this.#fold(this.#closed, run.distributor.counters());
      run.distributor.close();
    }
    this.#runs.clear();
  }

  #fold(into: Cumulative, c: { policies: PolicyCounters[]; points: PointCounters[] }): void {
    for (const p of c.policies) {
      const e = into.get(`policy|${p.id}`) ?? {};
      e.policy = addPolicy(e.policy, p);
      into.set(`policy|${p.id}`, e);
    }
    for (const p of c.points) {
      const e = into.get(`point|${p.id}`) ?? {};
      e.point = addPoint(e.point, p);
      into.set(`point|${p.id}`, e);
    }
  }

  /** Counters since the agent started, summed over capture points and documents. */
  totals(): Cumulative {
    const all: Cumulative = new Map();
    for (const [k, v] of this.#closed) all.set(k, structuredClone(v));
    for (const run of this.#runs.values()) this.#fold(all, run.distributor.counters());
    return all;
  }

  /**
   * Flushes the sockets, then the change of every counter since the last call, as records: one
   * per policy and point that changed, and at least one a minute for the others (the manager
   * tells an idle point from an agent that stopped reporting by it).
   */
  takeRecords(now: number): NpbCounterRecord[] {
    for (const run of this.#runs.values()) run.distributor.flush();
    const out: NpbCounterRecord[] = [];
    const d = (x: number, y: number | undefined) => Math.max(0, x - (y ?? 0));
    for (const [key, v] of this.totals()) {
      const before = this.#reported.get(key) ?? {};
      let record: NpbCounterRecord | undefined;
      if (v.policy) {
        const p = v.policy;
        const b = before.policy;
        record = {
          ...ZERO,
          time: now,
          kind: "policy",
          id: p.id,
          packets: d(p.packets, b?.packets),
          bytes: d(p.bytes, b?.bytes),
          matched: d(p.matched, b?.matched),
          filter: d(p.dropped.filter, b?.dropped.filter),
          direction: d(p.dropped.direction, b?.dropped.direction),
          dedup: d(p.dropped.dedup, b?.dropped.dedup),
          rateLimit: d(p.dropped.rateLimit, b?.dropped.rateLimit),
          fuse: d(p.dropped.fuse, b?.dropped.fuse),
        };
      } else if (v.point) {
        const p = v.point;
        const b = before.point;
        const sent = d(p.packets, b?.packets);
        if (sent > 0) this.#lastSendAt.set(p.id, now);
        record = {
          ...ZERO,
          time: now,
          kind: "point",
          id: p.id,
          packets: sent,
          bytes: d(p.bytes, b?.bytes),
          sendError: d(p.dropped.sendError, b?.dropped.sendError),
          truncated: d(p.truncated, b?.truncated),
          lastError: p.lastError.slice(0, 512),
          lastSendAt: this.#lastSendAt.get(p.id) ?? 0,
        };
      }
      this.#reported.set(key, v);
      if (record === undefined) continue;
      const changed = NPB_DELTAS.some((f) => record[f] > 0);
      const last = this.#emittedAt.get(key);
      if (!changed && last !== undefined && now - last < KEEPALIVE_MS) continue;
      this.#emittedAt.set(key, now);
      out.push(record);
    }
    return out;
  }

  /** Flushes and closes every socket (the agent stops). */
  close(): void {
    this.#closeRuns();
  }
}
