/**
 * Network metrics carry the AutoTagging tags (issue #9): flows tagged at ingest are rolled up
 * with their client and server tags, resource analysis grouped by a tag reads the metrics tables
 * (1m, 1h and the per-dimension hourly table) and adds up to flow_log's bytes, and the re-tag job
 * re-rolls what it changed. PGlite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { FlowRecord } from "../../appliance/wire/mod.ts";
import { type Database, PartitionManager } from "../../manager/db/mod.ts";
import { storeBatch } from "../../manager/ingest/mod.ts";
import {
  compileTagger,
  EMPTY_SNAPSHOT,
  type InventorySnapshot,
  Retagger,
} from "../../manager/inventory/mod.ts";
import { parseNetmonParams, queryResources, rollupRange } from "../../manager/netmon/mod.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { flowBatch, flowRecord } from "../support/flows.ts";

const START = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const HOUR = 3_600_000;

function host(name: string, ips: string[]) {
  return { name, ips, region: "", vpc: "", labels: {} };
}

function inventory(webName: string): InventorySnapshot {
  return {
    ...EMPTY_SNAPSHOT,
    hosts: [
      host(webName, ["10.1.0.80"]),
      host("dns-1", ["10.2.0.53"]),
      host("laptop", ["10.9.0.1"]),
    ],
  };
}

/** A flow of `bytes` (client → server) at `ms` after START. */
function flow(id: number, ms: number, ip0: string, ip1: string, bytes: number): FlowRecord {
  const us = (START + ms) * 1000;
  return flowRecord({
    flowId: id,
    startTime: us,
    endTime: us + 1000,
    ip0,
    ip1,
    serverPort: ip1 === "10.2.0.53" ? 53 : 80,
    byteTx: bytes,
    byteRx: 0,
  });
}

const RECORDS: FlowRecord[] = [
  flow(1, 5 * MIN, "10.9.0.1", "10.1.0.80", 1000),
  flow(2, 6 * MIN, "10.9.0.2", "10.1.0.80", 2000),
  flow(3, 70 * MIN, "10.9.0.1", "10.1.0.80", 4000),
  flow(4, 7 * MIN, "10.9.0.1", "10.2.0.53", 100),
  flow(5, 75 * MIN, "10.9.0.2", "10.2.0.53", 200),
  flow(6, 8 * MIN, "10.9.0.1", "192.0.2.1", 50_000), // an untagged server
];

async function grouped(database: Database, query: string): Promise<
  { source: string; rows: [string, number][] }
> {
  const { filters, errors } = parseNetmonParams(new URLSearchParams(query));
  assert.deepEqual(errors, {});
  const range = { fromMs: filters.fromMs!, toMs: filters.toMs! };
  const r = await queryResources(database, filters, range);
  return { source: r.source, rows: r.rows.map((x) => [x.key, x.values.bytes!]) };
}

for (const engine of testEngines()) {
  Deno.test(`netmon (${engine}): metrics carry tags; grouping by a tag reads them`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    try {
      const partitions = new PartitionManager(database);
      const tagger = compileTagger(inventory("web-1"));
      await storeBatch(database, partitions, flowBatch(RECORDS, { seq: 1 }), { tagger });
      await rollupRange(database, { fromMs: START, toMs: START + 3 * HOUR });

      await t.step("the 1m and 1h rows hold both sides' tags", async () => {
        const rows = await database.rows<{ h0: string; h1: string; b: string }>(sql`
          select host_0 as h0, host_1 as h1, sum(byte_tx) as b from network_metrics_1h
          group by 1, 2 order by 1, 2`);
        assert.deepEqual(rows.map((r) => [r.h0, r.h1, Number(r.b)]), [
          ["", "dns-1", 200],
          ["", "web-1", 2000],
          ["laptop", "", 50_000],
          ["laptop", "dns-1", 100],
          ["laptop", "web-1", 5000],
        ]);
        const [m] = await database.rows<{ n: string }>(
          sql`select count(*) as n from network_metrics_1m where host_1 = 'web-1'`,
        );
        assert.equal(Number(m!.n), 3);
      });

      await t.step("resource analysis by a server tag, from each metrics table", async () => {
        const expected: [string, number][] = [["web-1", 7000], ["dns-1", 300]];
        const short = await grouped(
          database,
          "from=2026-01-01T00:00&to=2026-01-01T02:00&group=tag:host&side=1",
        );
        assert.deepEqual(short, { source: "network_metrics_1m", rows: expected });
        const day = "from=2026-01-01T00:00&to=2026-01-02T00:00&group=tag:host&side=1";
        assert.deepEqual(await grouped(database, day), {
          source: "network_metrics_dim_1h",
          rows: expected,
        });
        assert.deepEqual(await grouped(database, `${day}&protocol=tcp`), {
          source: "network_metrics_1h",
          rows: expected,
        });
        // The same figures as flow_log's own tags.
        const truth = await database.rows<{ k: string; b: string }>(sql`
          select host_1 as k, sum(byte_tx + byte_rx) as b from flow_log where host_1 <> ''
          group by 1 order by 2 desc`);
        assert.deepEqual(truth.map((r) => [r.k, Number(r.b)]), expected);
      });

      await t.step("by a client tag", async () => {
        const r = await grouped(
          database,
          "from=2026-01-01T00:00&to=2026-01-02T00:00&group=tag:host&side=0",
        );
        assert.deepEqual(r.rows, [["laptop", 55_100]]);
      });

      await t.step("re-tagging re-rolls the metrics of the slices it changed", async () => {
        const retagger = new Retagger(
          database,
          () => Promise.resolve(compileTagger(inventory("web-2"))),
          { afterSlice: async (range) => void await rollupRange(database, range) },
        );
        retagger.start({ hours: 3, nowMs: START + 3 * HOUR, sliceMs: 30 * MIN });
        const done = await retagger.settled();
        assert.equal(done?.state, "done", done?.error);
        assert.equal(done?.rowsUpdated, RECORDS.length);
        for (const range of ["2026-01-01T02:00", "2026-01-02T00:00"]) {
          const r = await grouped(
            database,
            `from=2026-01-01T00:00&to=${range}&group=tag:host&side=1`,
          );
          assert.deepEqual(r.rows, [["web-2", 7000], ["dns-1", 300]], r.source);
        }
      });
    } finally {
      await tdb.dispose();
    }
  });
}
