/**
 * Retention: whole daily partitions are dropped, oldest first, per data type — those older than
 * the type's age limit, then more while the type's partitions together exceed its size limit
 * (`pg_total_relation_size`). The partition holding today and those created ahead are never
 * dropped for size. Also prunes the seqs `ingest_batch` remembers (the high-water mark in
 * `ingest_stream` stays, so an old seq is still refused).
 */
import { sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { dayStart, type PartitionedTable, type PartitionManager } from "./partitions.ts";

const DAY_MS = 86_400_000;

/** One data type's limits; 0 means no limit. */
export interface RetentionLimit {
  days: number;
  bytes: number;
}

/**
 * Every partitioned table and its default limits; a table added to partitions.ts gets a line
 * here, and with it the settings `TAPLINE_RETENTION_<TABLE>_DAYS` / `_BYTES` (manager/config.ts).
 */
export const RETENTION_DEFAULTS: { readonly [T in PartitionedTable]: RetentionLimit } = {
  flow_log: { days: 30, bytes: 0 },
  appliance_event: { days: 90, bytes: 0 },
  request_log: { days: 7, bytes: 0 },
  pcap_index: { days: 30, bytes: 0 },
  npb_counters: { days: 30, bytes: 0 },
};

export type RetentionSettings = { [T in PartitionedTable]?: RetentionLimit } & {
  /** Days the stored seqs of `ingest_batch` are kept (default 7). */
  seqDays?: number;
};

export interface DroppedPartition {
  table: PartitionedTable;
  partition: string;
  reason: "age" | "size";
  bytes: number;
}

export interface RetentionReport {
  dropped: DroppedPartition[];
  /** Bytes of each type's partitions after the run. */
  bytes: Partial<Record<PartitionedTable, number>>;
  seqsPruned: number;
}

interface PartitionInfo {
  name: string;
  day: number;
  bytes: number;
}

/** The table's daily partitions (named by partitions.ts), oldest first, with their size. */
async function partitionsOf(database: Database, table: PartitionedTable): Promise<PartitionInfo[]> {
  const rows = await database.rows<{ name: string; bytes: string | number }>(sql`
    select c.relname as name, pg_total_relation_size(c.oid) as bytes from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    join pg_class p on p.oid = i.inhparent
    where p.relname = ${table}`);
  const out: PartitionInfo[] = [];
  for (const row of rows) {
    const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(row.name);
    if (!m) continue; // not one of ours (e.g. a default partition): left alone
    out.push({
      name: row.name,
      day: Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!),
      bytes: Number(row.bytes),
    });
  }
  return out.sort((a, b) => a.day - b.day);
}

/** Applies every type's limits once; `nowMs` decides what "today" is. */
export async function applyRetention(
  database: Database,
  settings: RetentionSettings,
  options: { nowMs?: number; partitions?: PartitionManager } = {},
): Promise<RetentionReport> {
  const now = options.nowMs ?? Date.now();
  const today = dayStart(now);
  const report: RetentionReport = { dropped: [], bytes: {}, seqsPruned: 0 };
  for (const table of Object.keys(RETENTION_DEFAULTS) as PartitionedTable[]) {
    const limit = settings[table] ?? RETENTION_DEFAULTS[table];
    const parts = await partitionsOf(database, table);
    const drop = async (p: PartitionInfo, reason: "age" | "size") => {
      await database.rows(sql.raw(`DROP TABLE IF EXISTS "${p.name}"`));
      report.dropped.push({ table, partition: p.name, reason, bytes: p.bytes });
    };
    let total = parts.reduce((sum, p) => sum + p.bytes, 0);
    const kept: PartitionInfo[] = [];
    for (const p of parts) {
      // A partition holds [day, day + 1): it is older than N days once its end is.
      if (limit.days > 0 && p.day + DAY_MS <= now - limit.days * DAY_MS) {
        await drop(p, "age");
        total -= p.bytes;
      } else kept.push(p);
    }
    if (limit.bytes > 0) {
      for (const p of kept) {
        if (total <= limit.bytes || p.day >= today) break;
        await drop(p, "size");
        total -= p.bytes;
      }
    }
    report.bytes[table] = total;
    if (report.dropped.some((d) => d.table === table)) options.partitions?.forget(table);
  }
  const seqDays = settings.seqDays ?? 7;
  const pruned = await database.rows<{ n: string | number }>(sql`
    with gone as (
      delete from ingest_batch
      where received_at < ${new Date(now - seqDays * DAY_MS).toISOString()}::timestamptz
      returning 1
    ) select count(*) as n from gone`);
  report.seqsPruned = Number(pruned[0]?.n ?? 0);
  return report;
}
