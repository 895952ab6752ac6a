import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { FlowRecord } from "../../appliance/wire/mod.ts";
import { openTestDatabase, testEngines } from "../../tests/support/db.ts";
import { enrollTestAppliance } from "../../tests/support/fleet.ts";
import { cborRequest, flowBatch, flowRecord } from "../../tests/support/flows.ts";
import { createApp } from "../app.ts";
import { AuditLog } from "../auth/mod.ts";
import { type Database, PartitionManager } from "../db/mod.ts";
import {
  compileTagger,
  EMPTY_SNAPSHOT,
  InventoryService,
  parseCsvImport,
} from "../inventory/mod.ts";
import { storeBatch } from "./mod.ts";

const ACTOR = { kind: "system" as const, name: "test" };

interface TagRow {
  region_0: string;
  subnet_0: string;
  subnet_id_0: number;
  host_0: string;
  labels_0: unknown;
  region_1: string;
  subnet_1: string;
  subnet_id_1: number;
  labels_1: unknown;
}

async function tagsOf(database: Database, flowId: number): Promise<TagRow> {
  const [row] = await database.rows<TagRow>(sql`
    select region_0, subnet_0, subnet_id_0, host_0, labels_0,
           region_1, subnet_1, subnet_id_1, labels_1
    from flow_log where flow_id = ${flowId}`);
  assert.ok(row, `flow ${flowId} stored`);
  // PGlite and postgres.js both give jsonb as an object; ints may come back as strings.
  return { ...row, subnet_id_0: Number(row.subnet_id_0), subnet_id_1: Number(row.subnet_id_1) };
}

for (const engine of testEngines()) {
  Deno.test(`storeBatch() (${engine}) fills the flow_log tag columns from the tagger`, async () => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const partitions = new PartitionManager(database);
    try {
      const tagger = compileTagger({
        ...EMPTY_SNAPSHOT,
        subnets: [{
          id: 42,
          name: "lab\tnet", // COPY text must escape it
          cidr: "10.1.0.0/16",
          vpc: "",
          region: "eu-west",
          labels: { note: 'a "quoted" \\ value' },
        }],
      });
      const records: FlowRecord[] = [
        flowRecord({ flowId: 1, ip0: "10.1.0.5", ip1: "10.2.0.80" }),
        flowRecord({ flowId: 2, ip0: "192.0.2.1", ip1: "10.1.255.254" }),
      ];
      const stored = await storeBatch(database, partitions, flowBatch(records, { seq: 1 }), {
        tagger,
      });
      assert.equal(stored.stored, 2);
      const client = await tagsOf(database, 1);
      assert.deepEqual(client, {
        region_0: "eu-west",
        subnet_0: "lab\tnet",
        subnet_id_0: 42,
        host_0: "",
        labels_0: { note: 'a "quoted" \\ value' },
        region_1: "",
        subnet_1: "",
        subnet_id_1: 0,
        labels_1: {},
      });
      const server = await tagsOf(database, 2);
      assert.deepEqual([server.subnet_0, server.subnet_1, server.subnet_id_1], [
        "",
        "lab\tnet",
        42,
      ]);

      // Without a tagger (or with an empty inventory) the columns keep their defaults.
      await storeBatch(database, partitions, flowBatch([flowRecord({ flowId: 3 })], { seq: 2 }));
      await storeBatch(database, partitions, flowBatch([flowRecord({ flowId: 4 })], { seq: 3 }), {
        tagger: compileTagger(EMPTY_SNAPSHOT),
      });
      for (const id of [3, 4]) {
        const row = await tagsOf(database, id);
        assert.deepEqual([row.subnet_0, row.subnet_id_0, row.labels_0], ["", 0, {}]);
      }
    } finally {
      await tdb.dispose();
    }
  });
}

Deno.test("POST /api/v1/ingest tags flow rows from the inventory, and follows its changes", async () => {
  const tdb = await openTestDatabase("pglite");
  const { database } = tdb;
  try {
    const inventory = new InventoryService(database, { audit: new AuditLog(database).record });
    const app = createApp({
      database,
      partitions: new PartitionManager(database),
      maxBatchBytes: 1 << 20,
      pageSize: 50,
      inventory,
    });
    const appliance = await enrollTestAppliance({ app, database });
    await inventory.import(
      ACTOR,
      parseCsvImport([
        "kind,name,cidr,vpc,region,ips,endpoints,protocol,namespace,host,labels,description",
        "region,eu-west,,,,,,,,,,",
        "subnet,office,10.1.0.0/16,,eu-west,,,,,,env=lab,",
      ].join("\n")),
    );
    const send = async (seq: number, record: FlowRecord) => {
      const init = cborRequest(flowBatch([record], { appliance: appliance.applianceId, seq }));
      const res = await app.request("http://manager/api/v1/ingest", {
        ...init,
        headers: { ...init.headers as Record<string, string>, ...appliance.headers },
      });
      assert.equal(res.status, 200, await res.text());
    };
    await send(1, flowRecord({ flowId: 1, ip0: "10.1.0.5", ip1: "10.9.0.80" }));
    const first = await tagsOf(database, 1);
    assert.deepEqual(
      [first.region_0, first.subnet_0, first.labels_0, first.subnet_1],
      ["eu-west", "office", { env: "lab" }, ""],
    );
    assert.ok(first.subnet_id_0 > 0, "the subnet's id");

    // A subnet added later tags the next batch (the tagger is rebuilt after each change).
    await inventory.create(ACTOR, "subnet", { name: "servers", cidr: "10.9.0.0/16" });
    await send(2, flowRecord({ flowId: 2, ip0: "10.1.0.5", ip1: "10.9.0.80" }));
    const second = await tagsOf(database, 2);
    assert.deepEqual([second.subnet_0, second.subnet_1], ["office", "servers"]);
  } finally {
    await tdb.dispose();
  }
});
