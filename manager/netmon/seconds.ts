// Per-second network metrics (issue #9): network_metrics_1s holds the appliance's `metrics_1s`
// stream for the last hour. Resource analysis charts from it when the range is at most an hour
// and the metric is one the appliance counts per second; everything else reads the minute tables.
import { sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";

/** How long per-second rows are kept: an hour. */
export const SECONDS_KEPT_MS = 3_600_000;

/** The metrics (dimensions.ts keys) the per-second table has columns for. */
export const SECOND_METRICS: ReadonlySet<string> = new Set([
  "bytes",
  "bytes_tx",
  "bytes_rx",
  "packets",
  "packets_tx",
  "packets_rx",
  "new_flow",
  "closed_flow",
]);

/** Deletes per-second rows older than {@link SECONDS_KEPT_MS} before `nowMs`; returns how many. */
export async function pruneSeconds(database: Database, nowMs = Date.now()): Promise<number> {
  const rows = await database.rows<{ n: string | number }>(sql`
    with gone as (
      delete from network_metrics_1s
      where time < ${new Date(nowMs - SECONDS_KEPT_MS).toISOString()}::timestamptz
      returning 1
    ) select count(*) as n from gone`);
  return Number(rows[0]?.n ?? 0);
}
