import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { EventBatch, ReportBatch } from "../../appliance/wire/mod.ts";
import { PartitionManager } from "../db/mod.ts";
import { openTestDatabase, testEngines } from "../../tests/support/db.ts";
import { flowBatch, flowRecord } from "../../tests/support/flows.ts";
import { SeqConflictError, storeBatch } from "./mod.ts";

function eventBatch(seq: number, over: Partial<EventBatch> = {}): EventBatch {
  return {
    v: 2,
    appliance: "tap-1",
    stream: "events",
    seq,
    sentAt: 0,
    records: [{
      time: Date.UTC(2026, 10, 25, 12, 0, 0, 123),
      kind: "spool_overflow",
      detail: { droppedBatches: 3, droppedRecords: 3000, note: "tab\there \\ newline\n" },
    }],
    ...over,
  };
}

for (const engine of testEngines()) {
  Deno.test(`storeBatch() (${engine}) keeps the fleet contract's seq rules`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const partitions = new PartitionManager(database);
    const count = async (table: string) =>
      Number(
        (await database.rows<{ n: string }>(sql.raw(`select count(*) as n from ${table}`)))[0]!.n,
      );
    const store = (batch: ReportBatch, method?: "copy" | "insert") =>
      storeBatch(database, partitions, batch, method ? { method } : {});
    try {
      await t.step("new seqs are stored, a repeated one is a duplicate", async () => {
        const batch = flowBatch([flowRecord({ flowId: 1 }), flowRecord({ flowId: 2 })], {
          seq: 5,
        });
        assert.deepEqual(await store(batch), { acked: 5, stored: 2, duplicate: false });
        assert.deepEqual(await store(batch), { acked: 5, stored: 0, duplicate: true });
        assert.equal(await count("flow_log"), 2);
      });

      await t.step("a gap is fine; an older seq never stored is refused (409)", async () => {
        assert.equal((await store(flowBatch([flowRecord()], { seq: 9 }))).stored, 1);
        await assert.rejects(
          store(flowBatch([flowRecord({ flowId: 77 })], { seq: 7 })),
          (err) =>
            err instanceof SeqConflictError &&
            err.message === "seq 7 is older than the last stored seq 9",
        );
        assert.equal(await count("flow_log"), 3, "nothing of the refused batch is stored");
        assert.deepEqual(await store(flowBatch([flowRecord()], { seq: 5 })), {
          acked: 5,
          stored: 0,
          duplicate: true,
        }, "an old seq that was stored stays a duplicate");
      });

      await t.step("streams and appliances count their seqs apart", async () => {
        assert.equal((await store(eventBatch(1))).stored, 1);
        assert.equal(
          (await store(flowBatch([flowRecord()], { seq: 1, appliance: "tap-2" })))
            .stored,
          1,
        );
        const [event] = await database.rows<{ kind: string; detail: unknown; time: string }>(
          sql`select kind, detail, time::text as time from appliance_event`,
        );
        assert.equal(event?.kind, "spool_overflow");
        assert.deepEqual(event?.detail, eventBatch(1).records[0]!.detail);
        assert.match(event!.time, /^2026-11-25 12:00:00\.123/);
      });

      await t.step("COPY and INSERT store the same rows, odd appliance ids included", async () => {
        const appliance = "odd\\name\twith tab";
        const records = [flowRecord({ flowId: 10 }), flowRecord({ flowId: 11, ip0: "::1" })];
        await store(flowBatch(records, { seq: 1, appliance }), "copy");
        await store(flowBatch(records, { seq: 2, appliance }), "insert");
        const rows = await database.rows<Record<string, unknown>>(sql`
          select * from flow_log where appliance_id = ${appliance} order by id`);
        assert.equal(rows.length, 4);
        const strip = ({ id: _, ...rest }: Record<string, unknown>) => rest;
        assert.deepEqual(rows.slice(2).map(strip), rows.slice(0, 2).map(strip));
        assert.equal(rows[1]!.ip_0, "::1");
      });

      await t.step("a batch the database refuses stores nothing and claims no seq", async () => {
        const before = await count("flow_log");
        // 300.1.1.1 passes no wire check here: storeBatch trusts validated batches, so this
        // stands in for any failure inside the transaction.
        const bad = flowBatch([flowRecord({ flowId: 90 }), flowRecord({ ip0: "300.1.1.1" })], {
          seq: 20,
        });
        await assert.rejects(store(bad));
        assert.equal(await count("flow_log"), before);
        const ok = await store(flowBatch([flowRecord({ flowId: 90 })], { seq: 20 }));
        assert.equal(ok.stored, 1, "the same seq is free again");
      });
    } finally {
      await tdb.dispose();
    }
  });
}
