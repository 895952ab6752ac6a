// What the manager concludes from heartbeats (fleet_contract.md "Heartbeat"): the problems that
// make an appliance `degraded`, its throughput, and its status at a given instant. Pure functions.
import type { Heartbeat } from "./documents.ts";

export type ApplianceStatus = "online" | "degraded" | "offline" | "revoked";

/** Kept with the appliance after each heartbeat (the `health` column). */
export interface Health {
  /** Why the appliance is degraded; empty when it is fine. */
  problems: string[];
  /** Since when (manager clock, ms) the spool has held batches; null when it is empty. */
  spoolSince: number | null;
  /** Capture rates between the last two heartbeats of one run; null after the first one. */
  bitsPerSecond: number | null;
  packetsPerSecond: number | null;
  /** The interval the appliance was configured with when the heartbeat came. */
  heartbeatSeconds: number;
}

/** Spool depth above 0 for longer than this makes an appliance degraded. */
export const SPOOL_GRACE_MS = 30_000;

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Every drop counter of a heartbeat, keyed `stage/reason`. */
export function dropCounters(hb: Heartbeat): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of hb.stages) {
    for (const d of s.drops) out.set(`${s.stage}/${d.reason}`, d.count);
  }
  return out;
}

/**
 * The health after `hb`, received at `now`, given the previous heartbeat and health. Counters
 * are cumulative since `startedAt`: rates and drop growth are computed only within one run.
 */
export function healthAfter(
  hb: Heartbeat,
  context: { previous?: Heartbeat; previousHealth?: Health; now: number; heartbeatSeconds: number },
): Health {
  const { previous, previousHealth, now, heartbeatSeconds } = context;
  const problems: string[] = [];
  const sameRun = previous !== undefined && previous.startedAt === hb.startedAt &&
    hb.sentAt > previous.sentAt;
  if (sameRun) {
    const before = dropCounters(previous);
    for (const [key, count] of dropCounters(hb)) {
      const grew = count - (before.get(key) ?? 0);
      if (grew > 0) problems.push(`${key}: ${grew} dropped since the last heartbeat`);
    }
  } else {
    // A new run: any drop counted so far happened since it started.
    for (const [key, count] of dropCounters(hb)) {
      if (count > 0) problems.push(`${key}: ${count} dropped since the start`);
    }
  }
  for (const p of hb.capturePoints) {
    if (p.link !== "up") problems.push(`capture point ${p.interface}: link ${p.link}`);
  }
  if (!hb.entitlement.ok) {
    problems.push(`entitlement: ${hb.entitlement.reason ?? "not valid"}`);
  }
  let spoolSince: number | null = null;
  if (hb.spool.batches > 0) {
    spoolSince = previousHealth?.spoolSince ?? now;
    if (now - spoolSince > SPOOL_GRACE_MS) {
      problems.push(
        `spool: ${hb.spool.batches} batches waiting for ${Math.round((now - spoolSince) / 1000)} s`,
      );
    }
  }
  let bitsPerSecond: number | null = null;
  let packetsPerSecond: number | null = null;
  if (sameRun) {
    const seconds = (hb.sentAt - previous.sentAt) / 1000;
    const bytes = sum(hb.capturePoints.map((p) => p.bytes)) -
      sum(previous.capturePoints.map((p) => p.bytes));
    const packets = sum(hb.capturePoints.map((p) => p.packets)) -
      sum(previous.capturePoints.map((p) => p.packets));
    bitsPerSecond = Math.max(0, (bytes * 8) / seconds);
    packetsPerSecond = Math.max(0, packets / seconds);
  }
  return { problems, spoolSince, bitsPerSecond, packetsPerSecond, heartbeatSeconds };
}

/** The status at `now` of an appliance whose last heartbeat arrived at `lastSeenAt`. */
export function statusAt(
  appliance: { revokedAt: number | null; lastSeenAt: number | null; health: Health | null },
  now: number,
  heartbeatSeconds: number,
): ApplianceStatus {
  if (appliance.revokedAt !== null) return "revoked";
  if (appliance.lastSeenAt === null || appliance.health === null) return "offline";
  if (now - appliance.lastSeenAt > 3 * heartbeatSeconds * 1000) return "offline";
  return appliance.health.problems.length > 0 ? "degraded" : "online";
}

/** One point of the detail page's charts: rates between two consecutive heartbeats. */
export interface RatePoint {
  /** ms, manager clock. */
  at: number;
  packetsPerSecond: number;
  bitsPerSecond: number;
  dropsPerSecond: number;
  spoolBatches: number;
}

/** Rates from a time series of heartbeats (oldest first); restarts leave a gap. */
export function ratesOf(series: readonly { at: number; hb: Heartbeat }[]): RatePoint[] {
  const out: RatePoint[] = [];
  for (let i = 1; i < series.length; i++) {
    const a = series[i - 1]!.hb;
    const b = series[i]!.hb;
    if (a.startedAt !== b.startedAt || b.sentAt <= a.sentAt) continue;
    const seconds = (b.sentAt - a.sentAt) / 1000;
    const packets = sum(b.capturePoints.map((p) => p.packets)) -
      sum(a.capturePoints.map((p) => p.packets));
    const bytes = sum(b.capturePoints.map((p) => p.bytes)) -
      sum(a.capturePoints.map((p) => p.bytes));
    const drops = sum([...dropCounters(b).values()]) - sum([...dropCounters(a).values()]);
    out.push({
      at: series[i]!.at,
      packetsPerSecond: Math.max(0, packets / seconds),
      bitsPerSecond: Math.max(0, (bytes * 8) / seconds),
      dropsPerSecond: Math.max(0, drops / seconds),
      spoolBatches: b.spool.batches,
    });
  }
  return out;
}
