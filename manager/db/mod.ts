/**
 * @module
 * The manager's database: PGlite in a data folder by default, PostgreSQL through postgres.js when
 * a URL is given; drizzle schema, migrations and daily partitions.
 *
 * ```ts
 * const database = await openDatabase({ dataDir: "data/manager" });
 * await migrate(database);
 * await new PartitionManager(database).ensureWindow(Date.now());
 * ```
 */
export { type Database, DatabaseError, type Drizzle, openDatabase } from "./client.ts";
export { appliedMigrations, migrate, MIGRATIONS_DIR, readJournal } from "./migrate.ts";
export {
  dayStart,
  PARTITIONED_TABLES,
  type PartitionedTable,
  PartitionManager,
  partitionName,
} from "./partitions.ts";
export {
  applyRetention,
  type DroppedPartition,
  RETENTION_DEFAULTS,
  type RetentionLimit,
  type RetentionReport,
  type RetentionSettings,
} from "./retention.ts";
export { flowLog, ingestBatch, requestLog } from "./schema/mod.ts";
