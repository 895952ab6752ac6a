/**
 * Bad input to POST /api/v1/ingest (issue #4): each case gets a 4xx (or 429) with a message
 * naming the problem, and stores no row; then the write queue's 429 and the events stream.
 */
import assert from "node:assert/strict";
import { Encoder } from "cbor-x";
import { sql } from "drizzle-orm";
import { encodeBatch, type ReportBatch } from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import { WriteQueue } from "../../manager/ingest/mod.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { flowBatch, flowRecord } from "../support/flows.ts";

const INGEST = "http://manager/api/v1/ingest";

function post(body: Uint8Array, headers: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/cbor", ...headers },
    body: body as BodyInit,
  };
}

for (const engine of testEngines()) {
  Deno.test(`ingest (${engine}): bad input is refused with a message, nothing stored`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const queue = new WriteQueue({ concurrency: 1, waiting: 0 });
    const app = createApp({
      database,
      partitions: new PartitionManager(database),
      maxBatchBytes: 64 * 1024,
      pageSize: 50,
      writeQueue: queue,
    });
    const rows = async () =>
      Number(
        (await database.rows<{ n: string }>(
          sql`select (select count(*) from flow_log) + (select count(*) from appliance_event) as n`,
        ))[0]!.n,
      );
    try {
      const me = await enrollTestAppliance({ app, database });
      const batch = (over: Partial<ReportBatch> = {}) =>
        encodeBatch(
          { ...flowBatch([flowRecord()], { appliance: me.applianceId }), ...over } as ReportBatch,
        );
      const ok = await app.request(INGEST, post(batch({ seq: 10 }), me.headers));
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal(await rows(), 1);

      const truncated = batch({ seq: 11 });
      const cases: [string, RequestInit, number, RegExp][] = [
        [
          "wrong credential",
          post(batch({ seq: 11 }), { authorization: "Bearer tpla_notacredential" }),
          401,
          /appliance credential unknown or revoked/,
        ],
        [
          "no credential",
          post(batch({ seq: 11 }), {}),
          401,
          /need the appliance's credential/,
        ],
        [
          "another appliance's id in the batch",
          post(batch({ seq: 11, appliance: "someone-else" }), me.headers),
          403,
          /batch\.appliance "someone-else" does not match the credential's appliance/,
        ],
        [
          "wrong content type",
          {
            ...post(batch({ seq: 11 }), me.headers),
            headers: { ...me.headers, "content-type": "application/json" },
          },
          415,
          /content-type must be application\/cbor, got "application\/json"/,
        ],
        [
          "truncated CBOR",
          post(truncated.subarray(0, truncated.length - 7), me.headers),
          400,
          /body: not valid CBOR/,
        ],
        [
          "valid CBOR, wrong types",
          post(
            new Encoder({ mapsAsObjects: true }).encode({
              v: 2,
              appliance: me.applianceId,
              stream: "flows",
              seq: "eleven",
              sentAt: 0,
              records: [],
            }),
            me.headers,
          ),
          422,
          /seq: expected a non-negative integer/,
        ],
        [
          "a record with a bad address",
          post(
            encodeBatch(
              flowBatch([flowRecord({ ip1: "10.0.0.999" })], {
                seq: 11,
                appliance: me.applianceId,
              }),
            ),
            me.headers,
          ),
          422,
          /records\[0\]\.ip1: expected an IP address string, got "10\.0\.0\.999"/,
        ],
        [
          "unknown schema version",
          post(batch({ seq: 11, v: 7 }), me.headers),
          422,
          /v: unsupported schema version 7 \(accepted: 1, 2\)/,
        ],
        [
          "batch over the size limit",
          post(
            encodeBatch(flowBatch(
              Array.from(
                { length: 3000 },
                (_, i) => flowRecord({ flowId: i, ip0: `10.0.${i >> 8}.${i & 255}` }),
              ),
              { seq: 11, appliance: me.applianceId },
            )),
            me.headers,
          ),
          413,
          /batch larger than 65536 bytes/,
        ],
        [
          "a seq from the past",
          post(batch({ seq: 9 }), me.headers),
          409,
          /seq 9 is older than the last stored seq 10/,
        ],
      ];
      for (const [what, init, status, message] of cases) {
        await t.step(`${what} → ${status}`, async () => {
          const res = await app.request(INGEST, init);
          const body = await res.json();
          assert.equal(res.status, status, JSON.stringify(body));
          assert.match(body.error, message);
          assert.equal(await rows(), 1, "no row stored");
        });
      }

      await t.step("the same seq again → 200 duplicate", async () => {
        const res = await app.request(INGEST, post(batch({ seq: 10 }), me.headers));
        assert.deepEqual(await res.json(), { acked: 10, stored: 0, duplicate: true });
      });

      await t.step("write queue full → 429 with Retry-After, then accepted", async () => {
        let release!: () => void;
        const held = queue.run(() => new Promise<void>((r) => release = r));
        const res = await app.request(INGEST, post(batch({ seq: 12 }), me.headers));
        assert.equal(res.status, 429);
        assert.equal(res.headers.get("retry-after"), "1");
        assert.match((await res.json()).error, /ingest write queue full/);
        release();
        await held;
        const again = await app.request(INGEST, post(batch({ seq: 12 }), me.headers));
        assert.equal(again.status, 200);
      });

      await t.step("an events batch is stored in appliance_event", async () => {
        const events = encodeBatch({
          v: 2,
          appliance: me.applianceId,
          stream: "events",
          seq: 1,
          sentAt: Date.now(),
          records: [{
            time: Date.now(),
            kind: "spool_overflow",
            detail: { droppedBatches: 2, droppedRecords: 2000 },
          }],
        });
        const res = await app.request(INGEST, post(events, me.headers));
        assert.deepEqual(await res.json(), { acked: 1, stored: 1, duplicate: false });
        const [row] = await database.rows<{ kind: string; detail: { droppedRecords: number } }>(
          sql`select kind, detail from appliance_event where appliance_id = ${me.applianceId}`,
        );
        assert.equal(row?.kind, "spool_overflow");
        assert.equal(row?.detail.droppedRecords, 2000);
      });
    } finally {
      await tdb.dispose();
    }
  });
}
