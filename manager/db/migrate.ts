import { sql } from "drizzle-orm";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Database } from "./client.ts";

/** The drizzle-kit output folder at the repository root. */
export const MIGRATIONS_DIR = new URL("../../migrations", import.meta.url).pathname;

interface Journal {
  entries: { idx: number; tag: string }[];
}

export async function readJournal(dir = MIGRATIONS_DIR): Promise<Journal> {
  return JSON.parse(await Deno.readTextFile(`${dir}/meta/_journal.json`)) as Journal;
}

/** Applies every migration not yet applied; returns how many the journal lists. */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<number> {
  const config = { migrationsFolder: dir };
  if (database.kind === "pglite") {
    await migratePglite(database.db as unknown as PgliteDatabase, config);
  } else {
    await migratePostgres(database.db as unknown as PostgresJsDatabase, config);
  }
  return (await readJournal(dir)).entries.length;
}

/** Number of migrations recorded as applied (0 when none ever ran). */
export async function appliedMigrations(database: Database): Promise<number> {
  const [exists] = await database.rows<{ present: boolean }>(
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`,
  );
  if (!exists?.present) return 0;
  const [row] = await database.rows<{ n: number | string }>(
    sql`select count(*) as n from drizzle.__drizzle_migrations`,
  );
  return Number(row?.n ?? 0);
}
