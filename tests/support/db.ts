import postgres from "postgres";
import { type Database, migrate, openDatabase } from "../../manager/db/mod.ts";
import { IN_CI } from "./tools.ts";

export interface TestDatabase {
  engine: "pglite" | "postgres";
  /** postgres:// URL of the scratch database, for spawned managers; undefined for PGlite. */
  url?: string;
  database: Database;
  /** Closes the database and drops the scratch PostgreSQL database. */
  dispose(): Promise<void>;
}

export const POSTGRES_URL = Deno.env.get("DATABASE_URL") || undefined;

/** Creates an empty scratch database on the server of DATABASE_URL; returns its URL. */
export async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!POSTGRES_URL) throw new Error("DATABASE_URL is not set");
  const name = `tapline_t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(POSTGRES_URL!, { max: 1, onnotice: () => {} });
      try {
        for (let attempt = 1;; attempt++) {
          try {
            await a.unsafe(`drop database if exists "${name}" with (force)`);
            return;
          } catch (err) {
            // FORCE cannot end an autovacuum worker (a superuser's backend) that just started on
            // the freshly loaded tables; it ends by itself within a moment.
            if (attempt >= 10 || !/pg_signal_backend/.test(String(err))) throw err;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      } finally {
        await a.end();
      }
    },
  };
}

/** A migrated database on one engine; PostgreSQL gets a scratch database of its own. */
export async function openTestDatabase(engine: "pglite" | "postgres"): Promise<TestDatabase> {
  if (engine === "pglite") {
    const database = await openDatabase({ dataDir: "memory://" });
    await migrate(database);
    return { engine, database, dispose: () => database.close() };
  }
  const scratch = await createScratchDatabase();
  const database = await openDatabase({ url: scratch.url, dataDir: "" });
  await migrate(database);
  return {
    engine,
    url: scratch.url,
    database,
    dispose: async () => {
      await database.close();
      await scratch.drop();
    },
  };
}

/** The engines to run database tests on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export function testEngines(): ("pglite" | "postgres")[] {
  if (!POSTGRES_URL && IN_CI) {
    throw new Error("CI=true but DATABASE_URL is not set: .ci/run must start PostgreSQL");
  }
  return POSTGRES_URL ? ["pglite", "postgres"] : ["pglite"];
}
