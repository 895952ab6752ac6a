/**
 * The one place that knows the two database engines apart: an ingest transaction on PGlite or
 * postgres.js, with raw statements and a bulk load (COPY, or multi-row INSERT) of text rows.
 */
import type { PGlite, Transaction as PgliteTransaction } from "@electric-sql/pglite";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type postgres from "postgres";
import type { Database } from "../db/mod.ts";

/** How rows reach the table; measured per engine in `tests/bench/ingest_bench.ts`. */
export type LoadMethod = "copy" | "insert";

/**
 * Rows in PostgreSQL's COPY text format: one line per row, columns separated by tabs, values
 * escaped with {@link copyText}, `\N` for NULL.
 */
export interface CopyRows {
  table: string;
  columns: readonly string[];
  /** Lines, each ending in "\n". */
  lines: string[];
}

export interface IngestTx {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  load(rows: CopyRows, method: LoadMethod): Promise<void>;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** A value as COPY text: backslash, tab, newline and carriage return escaped. */
export function copyText(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(
    /[\\\t\n\r]/g,
    (c) => c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

function copyStatement(rows: CopyRows, source: string): string {
  return `COPY "${rows.table}" (${rows.columns.map((c) => `"${c}"`).join(", ")}) FROM ${source}`;
}

/** Text of one COPY line back into values for a parameterised INSERT. */
function unescapeCopy(value: string): string | null {
  if (value === "\\N") return null;
  if (!value.includes("\\")) return value;
  return value.replace(
    /\\(.)/g,
    (_, c) => c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : c,
  );
}

/** PostgreSQL allows 65535 parameters per statement. */
const MAX_PARAMS = 65_535;

async function insertRows(
  query: (text: string, params: unknown[]) => Promise<unknown>,
  rows: CopyRows,
): Promise<void> {
  const width = rows.columns.length;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / width));
  const head = `INSERT INTO "${rows.table}" (${
    rows.columns.map((c) => `"${c}"`).join(", ")
  }) VALUES `;
  for (let start = 0; start < rows.lines.length; start += perStatement) {
    const chunk = rows.lines.slice(start, start + perStatement);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const line of chunk) {
      const values = line.slice(0, -1).split("\t");
      const marks: string[] = [];
      for (const v of values) {
        params.push(unescapeCopy(v));
        marks.push(`$${params.length}`);
      }
      tuples.push(`(${marks.join(", ")})`);
    }
    await query(head + tuples.join(", "), params);
  }
}

/** Large writes to the COPY stream go faster than one per row (PLATFORM.md). */
const COPY_CHUNK_CHARS = 1 << 20;

function* chunks(lines: string[]): Generator<string> {
  let buffer = "";
  for (const line of lines) {
    buffer += line;
    if (buffer.length >= COPY_CHUNK_CHARS) {
      yield buffer;
      buffer = "";
    }
  }
  if (buffer.length > 0) yield buffer;
}

/**
 * postgres.js 3.4.9 resolves a COPY query with its stream and, when the server then refuses the
 * data (or the connection drops), only calls the query's `reject` (a no-op by then): the stream
 * would wait for ever. So the error is taken from `reject` and raced against the stream.
 */
async function copyIn(sql: postgres.TransactionSql, statement: string, lines: string[]) {
  const query = sql.unsafe(statement) as unknown as {
    reject(err: unknown): void;
    writable(): Promise<NodeJS.WritableStream>;
  };
  let fail!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => fail = reject);
  failed.catch(() => {});
  const reject = query.reject;
  query.reject = (err) => {
    fail(err);
    reject.call(query, err);
  };
  const writable = await Promise.race([query.writable(), failed]);
  const sent = pipeline(Readable.from(chunks(lines)), writable);
  sent.catch(() => {});
  await Promise.race([sent, failed]);
}

function postgresTx(sql: postgres.TransactionSql): IngestTx {
  return {
    query: async <T>(text: string, params: unknown[] = []) =>
      [...await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[])] as T[],
    load: async (rows, method) => {
      if (rows.lines.length === 0) return;
      if (method === "insert") {
        await insertRows((text, params) => sql.unsafe(text, params as never[]), rows);
        return;
      }
      await copyIn(sql, copyStatement(rows, "STDIN"), rows.lines);
    },
  };
}

function pgliteTx(tx: PgliteTransaction): IngestTx {
  return {
    query: async <T>(text: string, params: unknown[] = []) =>
      (await tx.query<T>(text, params)).rows,
    load: async (rows, method) => {
      if (rows.lines.length === 0) return;
      if (method === "insert") {
        await insertRows((text, params) => tx.query(text, params), rows);
        return;
      }
      // PGlite reads COPY input from the `blob` option as the file /dev/blob.
      await tx.query(copyStatement(rows, "'/dev/blob'"), [], {
        blob: new Blob(rows.lines),
      });
    },
  };
}

/** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(
  database: Database,
  fn: (tx: IngestTx) => Promise<T>,
): Promise<T> {
  const client = (database.db as unknown as { $client: unknown }).$client;
  if (database.kind === "postgres") {
    return await (client as postgres.Sql).begin((sql) => fn(postgresTx(sql))) as T;
  }
  return await (client as PGlite).transaction((tx) => fn(pgliteTx(tx)));
}
