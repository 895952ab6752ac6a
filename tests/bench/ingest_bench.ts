/**
 * Manager ingest rate into real PostgreSQL (DATABASE_URL), beside `psql \copy` of the same rows
 * in the same run; `deno task bench ingest` runs this section alone.
 *
 *   (i0) psql \copy of the rows as COPY text (the ceiling)
 *   (i1) the manager's path in this process: CBOR decode + validation → storeBatch (COPY),
 *        4 batches at once as the write queue allows — CBOR decode to committed rows
 *   (i2) the same through the HTTP route (`app.request`: body limit, content type, auth, queue)
 *   (i3) the same as (i1) with multi-row INSERT instead of COPY
 *   (i4, i5) PGlite, COPY and INSERT (embedded default; fewer rows)
 *   (s)  CBOR batch bytes per record, against JSON
 */
import { encodeBatch, type FlowRecord } from "../../appliance/wire/mod.ts";
import { decodeBatch } from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import type { FleetService } from "../../manager/fleet/mod.ts";
import { type Database, PartitionManager } from "../../manager/db/mod.ts";
import { type LoadMethod, storeBatch, STREAM_HANDLERS } from "../../manager/ingest/mod.ts";
import { openTestDatabase, POSTGRES_URL } from "../support/db.ts";
import { flowBatch, flowRecord } from "../support/flows.ts";

export interface IngestRow {
  id: string;
  what: string;
  rows?: number;
  ms?: number;
  value?: string;
  note?: string;
}

/** One appliance per concurrent sender: a stream has one batch in flight (fleet contract). */
const APPLIANCES = [0, 1, 2, 3].map((k) => `00000000-0000-4000-8000-00000000be0${k}`);
const APPLIANCE = APPLIANCES[0]!;
const BATCH = 1000;
const CONCURRENCY = 4;

function records(n: number): FlowRecord[] {
  const base = Date.UTC(2026, 10, 25, 10, 0, 0) * 1000;
  return Array.from({ length: n }, (_, i) =>
    flowRecord({
      flowId: i + 1,
      startTime: base + i * 1000,
      endTime: base + i * 1000 + 2_000_345,
      ip0: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      clientPort: 1024 + (i % 60000),
      byteTx: 100 + i % 5000,
    }));
}

/** The records as batches; body `j` belongs to appliance `j % 4` (its own seqs, in order). */
function batches(all: FlowRecord[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, j = 0; i < all.length; i += BATCH, j++) {
    out.push(
      new Uint8Array(encodeBatch(flowBatch(all.slice(i, i + BATCH), {
        seq: Math.floor(j / CONCURRENCY) + 1,
        appliance: APPLIANCES[j % CONCURRENCY]!,
      }))),
    );
  }
  return out;
}

async function reset(database: Database): Promise<void> {
  await database.rows(
    (await import("drizzle-orm")).sql`truncate flow_log, ingest_batch, ingest_stream`,
  );
}

/** Sends every body, one sender per appliance (`CONCURRENCY` at once); returns elapsed ms. */
async function drive(
  bodies: Uint8Array[],
  send: (body: Uint8Array, sender: number) => Promise<void>,
) {
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, k) => {
    for (let j = k; j < bodies.length; j += CONCURRENCY) await send(bodies[j]!, k);
  }));
  return performance.now() - started;
}

async function storeLoop(
  database: Database,
  bodies: Uint8Array[],
  method: LoadMethod,
): Promise<number> {
  const partitions = new PartitionManager(database);
  await reset(database);
  return await drive(bodies, async (body) => {
    const decoded = decodeBatch(body);
    if (!decoded.ok) throw new Error(decoded.error);
    await storeBatch(database, partitions, decoded.batch, { method });
  });
}

async function psqlCopy(url: string, database: Database, all: FlowRecord[]): Promise<number> {
  await reset(database);
  const handler = STREAM_HANDLERS.flows;
  const file = await Deno.makeTempFile({ suffix: ".copy" });
  try {
    await Deno.writeTextFile(file, all.map((r) => handler.line(APPLIANCE, r)).join(""));
    const columns = handler.columns.map((c) => `"${c}"`).join(", ");
    const started = performance.now();
    const out = await new Deno.Command("psql", {
      args: [url, "-q", "-c", `\\copy flow_log (${columns}) from '${file}'`],
      stdout: "null",
      stderr: "piped",
    }).output();
    const ms = performance.now() - started;
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim());
    return ms;
  } finally {
    await Deno.remove(file);
  }
}

/** The rows of this section; `n` flow records (default 200,000) on PostgreSQL. */
export async function ingestRows(
  options: { records?: number; progress?: (line: string) => void } = {},
): Promise<IngestRow[]> {
  const n = options.records ?? 200_000;
  const say = options.progress ?? (() => {});
  const all = records(n);
  const bodies = batches(all);
  const cborBytes = bodies.reduce((s, b) => s + b.length, 0);
  const jsonBytes = bodies.reduce(
    (s, _, i) =>
      s + new TextEncoder().encode(JSON.stringify(all.slice(i * BATCH, (i + 1) * BATCH))).length,
    0,
  );
  const rows: IngestRow[] = [{
    id: "s",
    what: "batch size per flow record, CBOR (records) vs JSON",
    value: `${(cborBytes / n).toFixed(0)} B vs ${(jsonBytes / n).toFixed(0)} B`,
    note: `${((cborBytes / jsonBytes) * 100).toFixed(0)}% of JSON, ${BATCH} records a batch`,
  }];
  if (!POSTGRES_URL) {
    rows.push({ id: "i0", what: "PostgreSQL rows", value: "n/a", note: "DATABASE_URL not set" });
  } else {
    const tdb = await openTestDatabase("postgres");
    try {
      const partitions = new PartitionManager(tdb.database);
      await partitions.ensure("flow_log", all.map((r) => r.startTime / 1000));
      say(`(i0) psql \\copy of ${n} rows`);
      rows.push({
        id: "i0",
        what: "psql \\copy (COPY text file)",
        rows: n,
        ms: await psqlCopy(tdb.url!, tdb.database, all),
      });
      say("(i1) CBOR decode → storeBatch COPY");
      rows.push({
        id: "i1",
        what: `manager ingest: CBOR decode → COPY, ${CONCURRENCY} at once`,
        rows: n,
        ms: await storeLoop(tdb.database, bodies, "copy"),
      });
      say("(i2) through the HTTP route");
      await reset(tdb.database);
      const fleet = {
        authenticate: (c: string) =>
          Promise.resolve(
            c.startsWith("tpla_bench_")
              ? { applianceId: APPLIANCES[Number(c.slice(11))]! }
              : undefined,
          ),
      } as unknown as FleetService;
      const app = createApp({
        database: tdb.database,
        partitions: new PartitionManager(tdb.database),
        maxBatchBytes: 32 * 1024 * 1024,
        pageSize: 50,
        fleet,
      });
      const httpMs = await drive(bodies, async (body, k) => {
        const res = await app.request("http://manager/api/v1/ingest", {
          method: "POST",
          headers: { "content-type": "application/cbor", authorization: `Bearer tpla_bench_${k}` },
          body: body as BodyInit,
        });
        if (res.status !== 200) {
          throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
        }
      });
      rows.push({
        id: "i2",
        what: "manager ingest through POST /api/v1/ingest (in process)",
        rows: n,
        ms: httpMs,
      });
      say("(i3) CBOR decode → storeBatch INSERT");
      rows.push({
        id: "i3",
        what: "manager ingest: CBOR decode → multi-row INSERT",
        rows: n,
        ms: await storeLoop(tdb.database, bodies, "insert"),
      });
    } finally {
      await tdb.dispose();
    }
  }
  const small = Math.min(n, 20_000);
  const lite = await openTestDatabase("pglite");
  try {
    const liteBodies = bodies.slice(0, Math.ceil(small / BATCH));
    const liteRows = liteBodies.length * BATCH;
    for (const [id, method] of [["i4", "copy"], ["i5", "insert"]] as const) {
      say(`(${id}) PGlite ${method}`);
      rows.push({
        id,
        what: `PGlite (in memory): CBOR decode → ${method === "copy" ? "COPY" : "INSERT"}`,
        rows: liteRows,
        ms: await storeLoop(lite.database, liteBodies, method),
      });
    }
  } finally {
    await lite.dispose();
  }
  return rows;
}

export function renderIngest(rows: IngestRow[]): string {
  const copy = rows.find((r) => r.id === "i0");
  const rate = (r: IngestRow) => r.rows && r.ms ? r.rows / (r.ms / 1000) : undefined;
  const ceiling = copy ? rate(copy) : undefined;
  const header = ["ROW", "WHAT", "ROWS/S", "× (i0)", "MS", "NOTE"];
  const lines = rows.map((r) => {
    const rps = rate(r);
    const ratio = rps && ceiling && r.id.match(/^i[123]$/) ? rps / ceiling : undefined;
    const target = r.id === "i2" && ratio !== undefined
      ? `target ≥ 60% of (i0): ${ratio >= 0.6 ? "MET" : "NOT MET"}`
      : "";
    return [
      `(${r.id})`,
      r.what,
      rps === undefined ? r.value ?? "" : Math.round(rps).toLocaleString("en-US"),
      ratio === undefined ? "" : `${(ratio * 100).toFixed(0)}%`,
      r.ms === undefined ? "" : r.ms.toFixed(0),
      [target, r.note ?? ""].filter((s) => s).join("; "),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => [2, 3, 4].includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))
      .join("  ").trimEnd();
  return [format(header), ...lines.map(format)].join("\n");
}

if (import.meta.main) {
  const n = Number(Deno.args[0] ?? 200_000);
  const rows = await ingestRows({ records: n, progress: (l) => console.error(`bench: ${l}`) });
  console.log(renderIngest(rows));
}
