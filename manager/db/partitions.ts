import { sql } from "drizzle-orm";
import type { Database } from "./client.ts";

const DAY_MS = 86_400_000;

/** Tables partitioned by RANGE ("time"), one partition per UTC day. */
export const PARTITIONED_TABLES = [
  "flow_log",
  "appliance_event",
  "request_log",
  "pcap_index",
  "npb_counters",
] as const;
export type PartitionedTable = typeof PARTITIONED_TABLES[number];

export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function partitionName(table: PartitionedTable, dayMs: number): string {
  return `${table}_p${new Date(dayMs).toISOString().slice(0, 10).replaceAll("-", "")}`;
}

/**
 * Creates daily partitions on demand and remembers which exist, so the ingest path pays one
 * statement per new day, not per batch.
 */
export class PartitionManager {
  #known = new Set<string>();
  constructor(readonly database: Database) {}

  /** Ensures a partition exists for every UTC day touched by `timesMs`. */
  async ensure(table: PartitionedTable, timesMs: Iterable<number>): Promise<void> {
    const days = new Set<number>();
    for (const t of timesMs) days.add(dayStart(t));
    for (const day of days) await this.#create(table, day);
  }

  /** Creates partitions from `back` days ago to `ahead` days from now (the rolling window). */
  async ensureWindow(nowMs: number, options = { back: 1, ahead: 3 }): Promise<void> {
    const today = dayStart(nowMs);
    for (const table of PARTITIONED_TABLES) {
      for (let d = -options.back; d <= options.ahead; d++) {
        await this.#create(table, today + d * DAY_MS);
      }
    }
  }

  async #create(table: PartitionedTable, day: number): Promise<void> {
    const name = partitionName(table, day);
    if (this.#known.has(name)) return;
    const from = new Date(day).toISOString();
    const to = new Date(day + DAY_MS).toISOString();
    try {
      await this.database.rows(
        sql.raw(
          `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF "${table}" FOR VALUES FROM ('${from}') TO ('${to}')`,
        ),
      );
    } catch (err) {
      // Two managers (or two batches) may race to create the same day: that is success.
      if (!/already exists/.test(String((err as Error).message))) throw err;
    }
    this.#known.add(name);
  }

  /** Forgets the cached partitions of `table` (retention dropped some): the next ensure checks. */
  forget(table: PartitionedTable): void {
    for (const name of this.#known) if (name.startsWith(`${table}_p`)) this.#known.delete(name);
  }

  async list(table: PartitionedTable): Promise<string[]> {
    const rows = await this.database.rows<{ name: string }>(sql`
      select c.relname as name from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent
      where p.relname = ${table} order by 1`);
    return rows.map((r) => r.name);
  }
}
