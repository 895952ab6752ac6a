// Queries over `npb_counters`: a policy's or point's counts per minute for the charts, their
// totals, and a point's reachability from its latest reports.
import { sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";

export const COUNTER_KEYS = [
  "packets",
  "bytes",
  "matched",
  "dropFilter",
  "dropDirection",
  "dropDedup",
  "dropRateLimit",
  "dropFuse",
  "dropSendError",
  "truncated",
] as const;
export type CounterKey = typeof COUNTER_KEYS[number];
export type Counts = Record<CounterKey, number>;

export interface CounterSeries {
  fromMs: number;
  toMs: number;
  /** One entry per minute that has reports, oldest first. */
  minutes: ({ t: number } & Counts)[];
  totals: Counts;
}

export type Reachability = "reachable" | "failing" | "unreachable" | "idle" | "unknown";

export interface PointReach {
  status: Reachability;
  lastSendAt: number | null;
  lastError: string | null;
  lastReportAt: number | null;
}

/** Reports older than this say nothing about a point's state now. */
const FRESH_MS = 2 * 60_000;

const SUMS = sql.raw(
  `sum(packets) as "packets", sum(bytes) as "bytes", sum(matched) as "matched",
   sum(drop_filter) as "dropFilter", sum(drop_direction) as "dropDirection",
   sum(drop_dedup) as "dropDedup", sum(drop_rate_limit) as "dropRateLimit",
   sum(drop_fuse) as "dropFuse", sum(drop_send_error) as "dropSendError",
   sum(truncated) as "truncated"`,
);

function counts(row: Record<string, unknown> | undefined): Counts {
  return Object.fromEntries(COUNTER_KEYS.map((k) => [k, Number(row?.[k] ?? 0)])) as Counts;
}

/** Counts of a policy (`kind` policy) or point per minute over [fromMs, toMs). */
export async function counterSeries(
  database: Database,
  object: { kind: "policy" | "point"; id: string },
  range: { fromMs: number; toMs: number },
): Promise<CounterSeries> {
  const from = new Date(range.fromMs).toISOString();
  const to = new Date(range.toMs).toISOString();
  const where = sql`kind = ${object.kind} and object_id = ${object.id}
    and time >= ${from}::timestamptz and time < ${to}::timestamptz`;
  const rows = await database.rows<Record<string, unknown>>(sql`
    select extract(epoch from date_trunc('minute', time)) * 1000 as "t", ${SUMS}
    from npb_counters where ${where} group by 1 order by 1`);
  const [total] = await database.rows<Record<string, unknown>>(sql`
    select ${SUMS} from npb_counters where ${where}`);
  return {
    ...range,
    minutes: rows.map((r) => ({ t: Number(r.t), ...counts(r) })),
    totals: counts(total),
  };
}

/**
 * Whether a point's tunnel works, from the reports of the last two minutes (every appliance
 * sending to it): datagrams leaving without error → reachable; only errors → unreachable; both →
 * failing (some appliances or some sends fail); no report → idle (nothing to send) or unknown.
 */
export async function pointReach(
  database: Database,
  pointId: string,
  nowMs: number,
): Promise<PointReach> {
  const since = new Date(nowMs - FRESH_MS).toISOString();
  const [r] = await database.rows<Record<string, unknown>>(sql`
    select max(time) filter (where time >= ${since}::timestamptz) as "recent",
      sum(packets) filter (where time >= ${since}::timestamptz) as "packets",
      sum(drop_send_error) filter (where time >= ${since}::timestamptz) as "errors",
      max(last_send_at) as "lastSendAt", max(time) as "lastReportAt"
    from npb_counters where kind = 'point' and object_id = ${pointId}`);
  const [e] = await database.rows<{ lastError: string }>(sql`
    select last_error as "lastError" from npb_counters
    where kind = 'point' and object_id = ${pointId} and last_error <> ''
    order by time desc limit 1`);
  const packets = Number(r?.packets ?? 0);
  const errors = Number(r?.errors ?? 0);
  const lastSend = Number(r?.lastSendAt ?? 0);
  const lastReport = r?.lastReportAt ? new Date(r.lastReportAt as string).getTime() : null;
  let status: Reachability = "unknown";
  if (r?.recent) {
    status = errors > 0
      ? (packets > 0 ? "failing" : "unreachable")
      : packets > 0
      ? "reachable"
      : "idle";
  }
  return {
    status,
    lastSendAt: lastSend > 0 ? lastSend : null,
    lastError: e?.lastError ?? null,
    lastReportAt: lastReport,
  };
}
