import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { FLOW_FIELDS, type FlowRecord } from "../../appliance/wire/mod.ts";
import { openTestDatabase, testEngines } from "../../tests/support/db.ts";
import { flowRecord } from "../../tests/support/flows.ts";
import { AuditLog } from "../auth/mod.ts";
import { type Database, flowLog, PartitionManager } from "../db/mod.ts";
import { exportCsv, exportJson, parseCsvImport, parseJsonImport } from "./files.ts";
import { Retagger } from "./retag.ts";
import { InventoryError, InventoryService } from "./store.ts";

const ACTOR = { kind: "system" as const, name: "test" };

const CSV = [
  "kind,name,cidr,vpc,region,ips,endpoints,protocol,namespace,host,labels,description",
  "region,eu-west,,,,,,,,,,Frankfurt",
  "vpc,prod,,,eu-west,,,,,,,",
  "subnet,app,10.1.0.0/16,prod,,,,,,,env=prod,",
  'subnet,v6,"2001:db8::/32",,eu-west,,,,,,,',
  "host,db-1,,prod,,10.1.2.7 2001:db8::7,,,,,role=db;tier=1,",
  "service,checkout,,,,,10.1.2.7:8443 [2001:db8::7]:8443,tcp,,,team=shop,",
  "pod,checkout-7f,,,,10.1.3.9,,,shop,db-1,app=checkout,",
].join("\n");

async function insertFlows(database: Database, records: FlowRecord[]): Promise<void> {
  const rows = records.map((r) => ({
    ...Object.fromEntries(FLOW_FIELDS.map(({ key }) => [key, r[key]])) as unknown as FlowRecord,
    applianceId: "t-1",
    time: new Date(Math.floor(r.startTime / 1_000_000) * 1000),
  }));
  await new PartitionManager(database).ensure("flow_log", rows.map((r) => r.time.getTime()));
  await database.db.insert(flowLog).values(rows);
}

for (const engine of testEngines()) {
  Deno.test(`InventoryService (${engine}): CRUD, import, export and re-tag`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const audit = new AuditLog(database);
    const inventory = new InventoryService(database, { audit: audit.record });
    try {
      await t.step("a CSV import creates every kind, and the tagger sees it", async () => {
        const r = await inventory.import(ACTOR, parseCsvImport(CSV));
        assert.deepEqual(r, { created: 7, updated: 0, deleted: 0 });
        const tagger = await inventory.tagger();
        const tags = tagger.tag("10.1.2.7", 8443, 6);
        assert.equal(tags.service, "checkout");
        assert.equal(tags.host, "db-1");
        assert.equal(tags.subnet, "app");
        assert.equal(tags.region, "eu-west", "through the VPC's region");
        assert.deepEqual(tags.labels, { env: "prod", role: "db", tier: "1", team: "shop" });
        assert.equal(tagger.tag("2001:db8::7", 8443, 6).service, "checkout");
        const { rows } = await audit.list({ action: "inventory.*", page: 1, pageSize: 10 });
        assert.equal(rows[0]?.action, "inventory.import");
      });

      await t.step("a bad import names each bad line and stores nothing", async () => {
        const before = exportCsv(await inventory.dump());
        const bad = [
          "kind,name,cidr,vpc,ips",
          "subnet,new-one,10.9.0.0/16,,",
          "subnet,typo,10.9.1.1/16,,", // host bits
          "host,web-1,,nowhere,10.9.0.5", // unknown VPC
          "host,web-2,,,10.9.0.300", // bad address
          "subnet,new-one,10.8.0.0/16,,", // same name twice
          "gadget,x,,,",
        ].join("\n");
        const err = await (async () => {
          try {
            await inventory.import(ACTOR, parseCsvImport(bad));
          } catch (e) {
            return e;
          }
        })() ?? (() => {
          try {
            parseCsvImport(bad);
          } catch (e) {
            return e;
          }
        })();
        assert.ok(err instanceof InventoryError, String(err));
        const lines = err.problems.map((p) => p.line);
        assert.deepEqual(lines, [7], "unknown kinds are found while reading the file");
        const err2 = await inventory.import(
          ACTOR,
          parseCsvImport(bad.split("\n").slice(0, 6).join("\n")),
        )
          .then(() => undefined, (e) => e as InventoryError);
        assert.ok(err2);
        assert.deepEqual(err2.problems.map((p) => p.line), [3, 5, 6]);
        assert.match(err2.message, /line 3, cidr: .*did you mean 10\.9\.0\.0\/16/);
        assert.match(err2.message, /line 6, name: subnet new-one is also on line 2/);
        // Line 4 (a reference to a VPC that does not exist) is checked once the rows are valid.
        const err3 = await inventory.import(
          ACTOR,
          parseCsvImport("kind,name,vpc,ips\nhost,web-1,,10.9.0.4\nhost,web-3,nowhere,10.9.0.5"),
        ).then(() => undefined, (e) => e as InventoryError);
        assert.deepEqual(err3?.problems.map((p) => p.line), [3]);
        assert.match(err3!.message, /VPC|vpc "nowhere"/);
        assert.equal(exportCsv(await inventory.dump()), before, "nothing was half-imported");
      });

      await t.step("a bad JSON item is reported with its line", async () => {
        const text = `{
  "subnets": [
    { "name": "ok", "cidr": "10.7.0.0/16" },
    {
      "name": "bad", "cidr": "10.7.0.0/33"
    }
  ]
}`;
        const err = await inventory.import(ACTOR, parseJsonImport(text)).then(
          () => undefined,
          (e) => e as InventoryError,
        );
        assert.deepEqual(err?.problems.map((p) => p.line), [4]);
      });

      await t.step("export → import round-trips; replace deletes what the file omits", async () => {
        const json = exportJson(await inventory.dump());
        const again = await inventory.import(ACTOR, parseJsonImport(JSON.stringify(json, null, 2)));
        assert.deepEqual(again, { created: 0, updated: 7, deleted: 0 });
        const csvAgain = await inventory.import(
          ACTOR,
          parseCsvImport(exportCsv(await inventory.dump())),
        );
        assert.equal(csvAgain.updated, 7);
        const only = await inventory.import(
          ACTOR,
          parseJsonImport('{"regions":[{"name":"eu-west"}]}'),
          { replace: true },
        );
        assert.deepEqual(only, { created: 0, updated: 1, deleted: 6 });
        await inventory.import(ACTOR, parseCsvImport(CSV), { replace: true });
      });

      await t.step("create, rename with references, refuse deleting what is named", async () => {
        const vpc = (await inventory.list("vpc")).find((v) => v.name === "prod")!;
        const dup = await inventory.create(ACTOR, "subnet", { name: "dup", cidr: "10.1.0.0/16" })
          .then(() => undefined, (e) => e as InventoryError);
        assert.equal(dup?.kind, "conflict");
        await inventory.update(ACTOR, "vpc", vpc.id!, { name: "production", region: "eu-west" });
        const subnet = (await inventory.list("subnet")).find((s) => s.name === "app")!;
        assert.equal(subnet.vpc, "production", "the subnet follows the rename");
        const refused = await inventory.delete(ACTOR, "vpc", vpc.id!)
          .then(() => undefined, (e) => e as InventoryError);
        assert.match(refused!.message, /still named by subnet app, host db-1/);
        const pod = (await inventory.list("pod"))[0]!;
        await inventory.delete(ACTOR, "pod", pod.id!);
        assert.equal((await inventory.tagger()).tag("10.1.3.9", 0).pod, "");
      });

      await t.step("another manager's change reaches this tagger after the recheck", async () => {
        const other = new InventoryService(database, { audit: audit.record, recheckMs: 0 });
        assert.equal((await other.tagger()).tag("10.6.0.1", 0).subnet, "");
        await inventory.create(ACTOR, "subnet", { name: "far", cidr: "10.6.0.0/16" });
        assert.equal((await other.tagger()).tag("10.6.0.1", 0).subnet, "far");
        const far = (await inventory.list("subnet")).find((s) => s.name === "far")!;
        await inventory.delete(ACTOR, "subnet", far.id!);
        assert.equal((await other.tagger()).tag("10.6.0.1", 0).subnet, "");
      });

      await t.step("re-tag updates the last N hours and reports progress", async () => {
        const now = Date.now();
        const us = (msAgo: number) => (now - msAgo) * 1000;
        await insertFlows(database, [
          flowRecord({
            flowId: 1,
            startTime: us(5 * 60_000),
            endTime: us(4 * 60_000),
            ip1: "10.1.2.7",
            serverPort: 8443,
          }),
          flowRecord({
            flowId: 2,
            startTime: us(90 * 60_000),
            endTime: us(89 * 60_000),
            ip0: "2001:db8::9",
            ip1: "2001:db8::7",
            serverPort: 8443,
            ipVersion: 6,
          }),
          flowRecord({
            flowId: 3,
            startTime: us(5 * 3_600_000),
            endTime: us(5 * 3_600_000 - 1000),
            ip1: "10.1.2.7",
            serverPort: 8443,
          }),
        ]);
        const retagger = new Retagger(database, () => inventory.tagger());
        const started = retagger.start({ hours: 2, sliceMs: 15 * 60_000 });
        assert.equal(started.state, "running");
        assert.equal(started.slicesTotal, 8);
        const done = await retagger.settled();
        assert.equal(done?.state, "done", done?.error);
        assert.equal(done?.slicesDone, 8);
        assert.equal(done?.rowsUpdated, 2);
        const rows = await database.rows<
          { flow_id: number; service_1: string; subnet_0: string; host_1: string }
        >(
          sql`select flow_id, service_1, subnet_0, host_1 from flow_log order by flow_id`,
        );
        assert.deepEqual(rows.map((r) => [Number(r.flow_id), r.service_1, r.host_1, r.subnet_0]), [
          [1, "checkout", "db-1", "app"], // the client 10.1.0.5 is in app
          [2, "checkout", "db-1", "v6"],
          [3, "", "", ""], // older than 2 h: left alone
        ]);
      });
    } finally {
      await tdb.dispose();
    }
  });
}
