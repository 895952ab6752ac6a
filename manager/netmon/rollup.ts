// The network-metrics rollup: flow_log rows → per-minute aggregates (network_metrics_1m) → per-hour
// aggregates (network_metrics_1h). Ingest stays untouched: a job finds the minutes that received
// rows since its last run (by flow_log id) and replaces each of those minutes whole, so running a
// minute twice gives the same rows, and a late row simply makes its minute be rolled again.
import { sql } from "drizzle-orm";
import { type Database, dayStart } from "../db/mod.ts";
import { dimensions, rolledTagDimensions } from "./dimensions.ts";
import { pruneSeconds } from "./seconds.ts";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The grouping key shared by flow_log and both metrics tables: who, where, which service, and the
 * AutoTagging tags of both sides (so that grouping by a tag reads the metrics, not flow_log).
 */
const DIMENSIONS = [
  "appliance_id",
  "capture_nic",
  "observation_point",
  "ip_0",
  "ip_1",
  "protocol",
  "server_port",
  ...[0, 1].flatMap((n) =>
    ["region", "vpc", "subnet", "host", "service", "pod_ns", "pod"].map((t) => `${t}_${n}`)
  ),
] as const;

/**
 * Each measure and how one flow_log row contributes to it. close_type (DESIGN §7): establishment
 * failures by the client 7, 13, 18 and by the server 10, 15, 19; transfer failures 2, 3, 9, 17;
 * a flow "closed by a client RST" ended 9, 13, 18 or 20, "by a server RST" 2, 15, 17 or 19.
 * A Force Report (5) or an unset close type (0) means the flow is still live.
 */
const FROM_FLOW_LOG: readonly [string, string][] = [
  ["flow_rows", "count(*)"],
  ["new_flow", "sum(is_new_flow)"],
  ["closed_flow", "count(*) filter (where close_type not in (0, 5))"],
  ["packet_tx", "sum(packet_tx)"],
  ["packet_rx", "sum(packet_rx)"],
  ["byte_tx", "sum(byte_tx)"],
  ["byte_rx", "sum(byte_rx)"],
  ["rtt_sum", "sum(rtt)"],
  ["rtt_count", "count(*) filter (where rtt > 0)"],
  ["rtt_client_sum", "sum(rtt_client)"],
  ["rtt_client_count", "count(*) filter (where rtt_client > 0)"],
  ["rtt_server_sum", "sum(rtt_server)"],
  ["rtt_server_count", "count(*) filter (where rtt_server > 0)"],
  ["srt_sum", "sum(srt_sum)"],
  ["srt_count", "sum(srt_count)"],
  ["art_sum", "sum(art_sum)"],
  ["art_count", "sum(art_count)"],
  ["retrans_tx", "sum(retrans_tx)"],
  ["retrans_rx", "sum(retrans_rx)"],
  ["zero_win_tx", "sum(zero_win_tx)"],
  ["zero_win_rx", "sum(zero_win_rx)"],
  ["syn_count", "sum(syn_count)"],
  ["synack_count", "sum(synack_count)"],
  ["client_establish_fail", "count(*) filter (where close_type in (7, 13, 18))"],
  ["server_establish_fail", "count(*) filter (where close_type in (10, 15, 19))"],
  ["tcp_transfer_fail", "count(*) filter (where close_type in (2, 3, 9, 17))"],
  ["client_rst_flow", "count(*) filter (where close_type in (9, 13, 18, 20))"],
  ["server_rst_flow", "count(*) filter (where close_type in (2, 15, 17, 19))"],
  ["tcp_timeout", "count(*) filter (where close_type = 3)"],
];

/** Measure column names, in table order. */
export const MEASURES: readonly string[] = FROM_FLOW_LOG.map(([name]) => name);

const TABLE_1M = "network_metrics_1m";
const TABLE_1H = "network_metrics_1h";
const TABLE_DIM_1H = "network_metrics_dim_1h";

/**
 * The built-in dimensions kept per hour in network_metrics_dim_1h, each with its FROM over the
 * hourly table ("ip", either side, counts a row once for each end, as resource analysis does).
 */
const ROLLED_DIMENSIONS = dimensions().filter((d) => !d.key.startsWith("tag:")).map((d) => ({
  key: d.key,
  sql: d.sql,
  from: d.key === "ip"
    ? `${TABLE_1H} cross join lateral (values (ip_0), (ip_1)) as side(ip)`
    : TABLE_1H,
}));

/** `('tag:host_1', host_1), …`: each tag column of a 1h row as a (dimension, key) pair. */
const TAG_VALUES = rolledTagDimensions().map((d) => `('${d.dimension}', ${d.column})`).join(", ");

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Creates the daily partitions of both metrics tables for [fromMs, toMs). Kept here rather than in
 * db/partitions.ts's rolling window so that the rollup never writes to a missing partition.
 */
async function ensurePartitions(database: Database, fromMs: number, toMs: number): Promise<void> {
  for (let day = dayStart(fromMs); day < toMs; day += DAY_MS) {
    const suffix = iso(day).slice(0, 10).replaceAll("-", "");
    for (const table of [TABLE_1M, TABLE_1H, TABLE_DIM_1H]) {
      try {
        await database.rows(sql.raw(
          `CREATE TABLE IF NOT EXISTS "${table}_p${suffix}" PARTITION OF "${table}" ` +
            `FOR VALUES FROM ('${iso(day)}') TO ('${iso(day + DAY_MS)}')`,
        ));
      } catch (err) {
        // Two rollups racing to create the same day: that is success.
        if (!/already exists/.test(String((err as Error).message))) throw err;
      }
    }
  }
}

export interface RollupResult {
  /** Minutes replaced. */
  minutes: number;
  /** Rows written to network_metrics_1m. */
  rows: number;
}

/**
 * Replaces the per-minute metrics of every minute in [fromMs, toMs) (rounded out to whole
 * minutes) from flow_log, then the hours that contain them, then those hours per dimension
 * (network_metrics_dim_1h). Idempotent.
 */
export async function rollupRange(
  database: Database,
  range: { fromMs: number; toMs: number },
): Promise<RollupResult> {
  const from = Math.floor(range.fromMs / MINUTE_MS) * MINUTE_MS;
  const to = Math.ceil(range.toMs / MINUTE_MS) * MINUTE_MS;
  if (to <= from) return { minutes: 0, rows: 0 };
  const hourFrom = Math.floor(from / HOUR_MS) * HOUR_MS;
  const hourTo = Math.ceil(to / HOUR_MS) * HOUR_MS;
  await ensurePartitions(database, hourFrom, hourTo);
  const dims = DIMENSIONS.join(", ");
  const measures = MEASURES.join(", ");
  const fromFlowLog = FROM_FLOW_LOG.map(([, expr]) => expr).join(", ");
  const sums = MEASURES.map((m) => `sum(${m})`).join(", ");
  const rows = await database.db.transaction(async (tx) => {
    await tx.execute(sql`delete from ${sql.raw(TABLE_1M)}
      where time >= ${iso(from)}::timestamptz and time < ${iso(to)}::timestamptz`);
    const inserted = await tx.execute(sql`insert into ${sql.raw(TABLE_1M)}
      (time, ${sql.raw(dims)}, ${sql.raw(measures)})
      select date_trunc('minute', time), ${sql.raw(dims)}, ${sql.raw(fromFlowLog)}
      from flow_log
      where time >= ${iso(from)}::timestamptz and time < ${iso(to)}::timestamptz
      group by 1, ${sql.raw(DIMENSIONS.map((_, i) => String(i + 2)).join(", "))}
      returning 1`);
    await tx.execute(sql`delete from ${sql.raw(TABLE_1H)}
      where time >= ${iso(hourFrom)}::timestamptz and time < ${iso(hourTo)}::timestamptz`);
    await tx.execute(sql`insert into ${sql.raw(TABLE_1H)}
      (time, ${sql.raw(dims)}, ${sql.raw(measures)})
      select date_trunc('hour', time), ${sql.raw(dims)}, ${sql.raw(sums)}
      from ${sql.raw(TABLE_1M)}
      where time >= ${iso(hourFrom)}::timestamptz and time < ${iso(hourTo)}::timestamptz
      group by 1, ${sql.raw(DIMENSIONS.map((_, i) => String(i + 2)).join(", "))}`);
    await tx.execute(sql`delete from ${sql.raw(TABLE_DIM_1H)}
      where time >= ${iso(hourFrom)}::timestamptz and time < ${iso(hourTo)}::timestamptz`);
    for (const dim of ROLLED_DIMENSIONS) {
      await tx.execute(sql`insert into ${sql.raw(TABLE_DIM_1H)}
        (time, dimension, key, ${sql.raw(measures)})
        select time, ${dim.key}, ${sql.raw(dim.sql)}, ${sql.raw(sums)}
        from ${sql.raw(dim.from)}
        where time >= ${iso(hourFrom)}::timestamptz and time < ${iso(hourTo)}::timestamptz
        group by 1, 3`);
    }
    // Every tag of both sides in one pass over the hour: a row counts once per tag it has.
    await tx.execute(sql`insert into ${sql.raw(TABLE_DIM_1H)}
      (time, dimension, key, ${sql.raw(measures)})
      select time, t.dimension, t.key, ${sql.raw(sums)}
      from ${sql.raw(TABLE_1H)} cross join lateral (values ${
      sql.raw(TAG_VALUES)
    }) as t(dimension, key)
      where time >= ${iso(hourFrom)}::timestamptz and time < ${iso(hourTo)}::timestamptz
        and t.key <> ''
      group by 1, 2, 3`);
    return countOf(inserted);
  });
  return { minutes: (to - from) / MINUTE_MS, rows };
}

function countOf(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const r = result as { rows?: unknown[]; affectedRows?: number };
  return r.affectedRows ?? r.rows?.length ?? 0;
}

/** Merges sorted minute starts into [from, to) runs, so adjacent minutes roll in one statement. */
export function minuteRuns(minutes: readonly number[]): { fromMs: number; toMs: number }[] {
  const sorted = [...new Set(minutes)].sort((a, b) => a - b);
  const runs: { fromMs: number; toMs: number }[] = [];
  for (const m of sorted) {
    const last = runs[runs.length - 1];
    // Runs are capped at an hour so that one transaction stays small.
    if (last && last.toMs === m && m - last.fromMs < HOUR_MS) last.toMs = m + MINUTE_MS;
    else runs.push({ fromMs: m, toMs: m + MINUTE_MS });
  }
  return runs;
}

export interface RollupJobOptions {
  /** How often the job runs (default 60 s). */
  intervalMs?: number;
  /** Minutes before now always re-rolled, for rows that commit out of id order (default 3). */
  trailingMinutes?: number;
  /** Clock, for tests. */
  now?: () => number;
  log?: (line: Record<string, unknown>) => void;
}

/**
 * Runs the rollup every minute: the minutes of rows added since the last run (flow_log ids above
 * the highest it has seen, less a margin for transactions that commit out of order), plus the
 * last few minutes. Call `tick()` directly to run once.
 */
export class RollupJob {
  #lastId = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<RollupResult> | undefined;
  readonly #options: Required<Omit<RollupJobOptions, "log">> & Pick<RollupJobOptions, "log">;

  constructor(readonly database: Database, options: RollupJobOptions = {}) {
    this.#options = {
      intervalMs: options.intervalMs ?? 60_000,
      trailingMinutes: options.trailingMinutes ?? 3,
      now: options.now ?? Date.now,
      log: options.log,
    };
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.tick().catch((err) =>
        this.#options.log?.({ level: "error", msg: "netmon rollup failed", error: String(err) })
      );
    }, this.#options.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }

  /** One run; concurrent calls share it. */
  tick(): Promise<RollupResult> {
    this.#running ??= this.#tick().finally(() => this.#running = undefined);
    return this.#running;
  }

  async #tick(): Promise<RollupResult> {
    const margin = 10_000;
    const dirty = await this.database.rows<{ minute: string | Date; top: string | number }>(sql`
      select date_trunc('minute', time) as minute, max(id) as top from flow_log
      where id > ${Math.max(0, this.#lastId - margin)} group by 1`);
    const now = Math.floor(this.#options.now() / MINUTE_MS) * MINUTE_MS;
    const minutes = dirty.map((d) => new Date(d.minute).getTime());
    for (let i = 0; i <= this.#options.trailingMinutes; i++) minutes.push(now - i * MINUTE_MS);
    let total: RollupResult = { minutes: 0, rows: 0 };
    for (const run of minuteRuns(minutes)) {
      const r = await rollupRange(this.database, run);
      total = { minutes: total.minutes + r.minutes, rows: total.rows + r.rows };
    }
    for (const d of dirty) this.#lastId = Math.max(this.#lastId, Number(d.top));
    // The per-second table keeps the last hour only (seconds.ts).
    await pruneSeconds(this.database, this.#options.now());
    return total;
  }
}
