import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/mod.ts";

export type Schema = typeof schema;
export type Drizzle = PgDatabase<PgQueryResultHKT, Schema>;

/** The manager's database, whichever engine is behind it. */
export interface Database {
  readonly kind: "pglite" | "postgres";
  /** Where the data lives, for logs: a folder, ":memory:", or the URL without its password. */
  readonly location: string;
  readonly db: Drizzle;
  /** Runs a raw statement and returns its rows, the same shape on both engines. */
  rows<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  close(): Promise<void>;
}

export class DatabaseError extends Error {
  override name = "DatabaseError";
}

export interface OpenOptions {
  /** postgres:// URL; when absent, PGlite in `dataDir`. */
  url?: string;
  /** PGlite data folder; "memory://" for an in-memory database. */
  dataDir: string;
}

function normalizeRows<T>(result: unknown): T[] {
  // PGlite answers { rows }, postgres.js an array-like result.
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? rows as T[] : [];
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

/**
 * Two processes that open one PGlite folder get no error and silently corrupt it
 * (PLATFORM.md), so the folder is locked for the life of the process.
 */
async function lockDataDir(dir: string): Promise<Deno.FsFile> {
  await Deno.mkdir(dir, { recursive: true });
  const file = await Deno.open(`${dir}/.tapline.lock`, { read: true, write: true, create: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"busy">((resolve) => {
    timer = setTimeout(() => resolve("busy"), 2000);
  });
  const outcome = await Promise.race([file.lock(true).then(() => "locked" as const), timeout]);
  clearTimeout(timer);
  if (outcome === "busy") {
    throw new DatabaseError(
      `data folder ${dir} is in use by another manager process; stop it or set TAPLINE_DATA_DIR to another folder`,
    );
  }
  return file;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.url) {
    const client = postgres(options.url, { max: 10, onnotice: () => {} });
    const db = drizzlePostgres({ client, schema }) as unknown as Drizzle;
    return {
      kind: "postgres",
      location: redact(options.url),
      db,
      rows: async (query) => normalizeRows(await db.execute(query)),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const inMemory = options.dataDir.startsWith("memory://");
  const lock = inMemory ? undefined : await lockDataDir(options.dataDir);
  let client: PGlite;
  try {
    client = inMemory ? await PGlite.create() : await PGlite.create(options.dataDir);
  } catch (err) {
    lock?.close();
    throw new DatabaseError(`cannot open PGlite data folder ${options.dataDir}`, { cause: err });
  }
  const db = drizzlePglite({ client, schema }) as unknown as Drizzle;
  return {
    kind: "pglite",
    location: inMemory ? ":memory:" : options.dataDir,
    db,
    rows: async (query) => normalizeRows(await db.execute(query)),
    close: async () => {
      await client.close();
      lock?.close();
    },
  };
}
