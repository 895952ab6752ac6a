/**
 * AutoTagging of request logs (issues #8/#9): ingest fills request_log's `_0`/`_1` tag columns
 * from the inventory like flow_log's (COPY and INSERT loads), the request-log and app views filter
 * (`tags=`) and group (`group=tag:<column>`) by them, and the re-tag job rewrites them after an
 * inventory change. PGlite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { encodeBatch } from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import { AuditLog, createAuth } from "../../manager/auth/mod.ts";
import { type Database, PartitionManager } from "../../manager/db/mod.ts";
import { storeBatch } from "../../manager/ingest/mod.ts";
import {
  compileTagger,
  EMPTY_SNAPSHOT,
  InventoryService,
  parseCsvImport,
  Retagger,
} from "../../manager/inventory/mod.ts";
import { createTestUser, sessionFor } from "../support/auth.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { devLicenseService, installTestLicense } from "../support/license.ts";
import { REQUEST_SET, requestBatch, requestRecord, T0_US } from "../support/requests.ts";

const BASE = "http://manager";
const RANGE = "from=2026-01-05T10:00&to=2026-01-05T11:00";
const ACTOR = { kind: "system" as const, name: "test" };

interface TagRow {
  flow_id: number;
  host_0: string;
  subnet_0: string;
  host_1: string;
  service_1: string;
  labels_1: Record<string, string>;
}

async function tagRows(database: Database): Promise<TagRow[]> {
  const rows = await database.rows<TagRow>(sql`
    select flow_id, host_0, subnet_0, host_1, service_1, labels_1 from request_log
    order by flow_id, start_time`);
  return rows.map((r) => ({ ...r, flow_id: Number(r.flow_id) }));
}

for (const engine of testEngines()) {
  for (const method of ["copy", "insert"] as const) {
    Deno.test(`storeBatch() (${engine}, ${method}) fills the request_log tag columns`, async () => {
      const tdb = await openTestDatabase(engine);
      try {
        const tagger = compileTagger({
          ...EMPTY_SNAPSHOT,
          subnets: [{
            id: 7,
            name: "lab\tnet", // COPY text must escape it
            cidr: "10.0.0.0/24",
            vpc: "",
            region: "eu",
            labels: { note: 'say "hi" \\ there' },
          }],
          services: [{ name: "web", protocol: 6, endpoints: ["10.0.0.2:80"], labels: {} }],
        });
        const partitions = new PartitionManager(tdb.database);
        const records = [
          requestRecord({ flowId: 1 }),
          requestRecord({ flowId: 2, ip0: "192.0.2.9", ip1: "10.0.0.2", serverPort: 81 }),
        ];
        const batch = requestBatch(records, { appliance: "a1", seq: 1 });
        assert.equal(
          (await storeBatch(tdb.database, partitions, batch, { tagger, method })).stored,
          2,
        );
        const rows = await tdb.database.rows<Record<string, unknown>>(sql`
          select flow_id, region_0, subnet_0, subnet_id_0, labels_0, service_1, subnet_1
          from request_log order by flow_id`);
        assert.deepEqual(
          rows.map((r) => ({
            ...r,
            flow_id: Number(r.flow_id),
            subnet_id_0: Number(r.subnet_id_0),
          })),
          [
            {
              flow_id: 1,
              region_0: "eu",
              subnet_0: "lab\tnet",
              subnet_id_0: 7,
              labels_0: { note: 'say "hi" \\ there' },
              service_1: "web",
              subnet_1: "lab\tnet",
            },
            // The service is 10.0.0.2:80 only; the client is outside every subnet.
            {
              flow_id: 2,
              region_0: "",
              subnet_0: "",
              subnet_id_0: 0,
              labels_0: {},
              service_1: "",
              subnet_1: "lab\tnet",
            },
          ],
        );
      } finally {
        await tdb.dispose();
      }
    });
  }

  Deno.test(`request logs (${engine}): tagged at ingest, filtered and grouped by tag, re-tagged`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    try {
      await installTestLicense(database, { appliances: 10 });
      const inventory = new InventoryService(database, { audit: new AuditLog(database).record });
      const app = createApp({
        database,
        partitions: new PartitionManager(database),
        maxBatchBytes: 1 << 20,
        pageSize: 50,
        licenses: devLicenseService(database),
        inventory,
      });
      const me = await enrollTestAppliance({ app, database }, { license: false });
      const auth = createAuth(database);
      const user = (await sessionFor(auth, (await createTestUser(auth, "viewer")).id)).headers();
      const get = (path: string) => app.request(`${BASE}${path}`, { headers: user });
      const json = async (path: string) => {
        const res = await get(path);
        const text = await res.text();
        assert.equal(res.status, 200, `${path}: ${text}`);
        return JSON.parse(text);
      };
      await inventory.import(
        ACTOR,
        parseCsvImport([
          "kind,name,cidr,vpc,region,ips,endpoints,protocol,namespace,host,labels,description",
          "subnet,lan,10.0.0.0/24,,,,,,,,,",
          "host,app-1,,,,10.0.0.1,,,,,,",
          "host,db-1,,,,10.0.0.5 10.0.0.6,,,,,role=db,",
          "service,shop,,,,,10.0.0.2:80,tcp,,,,",
        ].join("\n")),
      );

      await t.step("ingest tags the client and the server side", async () => {
        const res = await app.request(`${BASE}/api/v1/ingest`, {
          method: "POST",
          headers: { "content-type": "application/cbor", ...me.headers },
          body: encodeBatch(
            requestBatch(REQUEST_SET, { appliance: me.applianceId, seq: 1 }),
          ) as BodyInit,
        });
        assert.equal(res.status, 200, await res.text());
        const rows = await tagRows(database);
        const byFlow = new Map(rows.map((r) => [r.flow_id, r]));
        assert.deepEqual(byFlow.get(100), {
          flow_id: 100,
          host_0: "app-1",
          subnet_0: "lan",
          host_1: "",
          service_1: "shop",
          labels_1: {},
        });
        assert.deepEqual(
          [byFlow.get(300)?.host_1, byFlow.get(300)?.labels_1, byFlow.get(301)?.host_0],
          ["db-1", { role: "db" }, ""], // 10.0.0.9 is no host
        );
        assert.equal(rows.filter((r) => r.subnet_0 === "lan").length, REQUEST_SET.length);
      });

      await t.step("the request log filters by tags", async () => {
        const total = async (tags: string) =>
          (await json(`/api/v1/requests?${RANGE}&tags=${encodeURIComponent(tags)}`)).total;
        assert.equal(await total("host_1 = db-1"), 8); // 6 PostgreSQL + 2 Redis
        assert.equal(await total("host_1 = db-1 and host_0 = app-1"), 7);
        assert.equal(await total("labels_1.role = db"), 8);
        assert.equal(await total('service_1 = shop and host_0 != ""'), 11);
        assert.equal(await total("host_1 ~ db"), 8);
        // A row carries its tags (the detail panel lists them).
        const one = await json(`/api/v1/requests?${RANGE}&tags=host_1%20%3D%20db-1&page_size=1`);
        assert.deepEqual(
          [one.rows[0].host_1, one.rows[0].host_0, JSON.parse(one.rows[0].labels_1)],
          ["db-1", "app-1", { role: "db" }],
        );
        const bad = await get(
          `/api/v1/requests?${RANGE}&tags=${encodeURIComponent("byte_tx > 1")}`,
        );
        assert.equal(bad.status, 400);
        assert.match((await bad.json()).error, /tags: byte_tx is not a tag/);
        const junk = await get(`/api/v1/requests?${RANGE}&tags=${encodeURIComponent("host_1 db")}`);
        assert.equal(junk.status, 400);
        assert.match((await junk.json()).error, /tags: "host_1 db" is not field op value/);
        // The page keeps the typed value and shows the problem beside the field.
        const page = await get(`/requests?${RANGE}&tags=${encodeURIComponent("nope = 1")}`);
        assert.equal(page.status, 400);
        assert.match(await page.text(), /unknown field &quot;nope&quot;|unknown field "nope"/);
      });

      await t.step("app resource analysis groups by a tag", async () => {
        const byHost = await json(`/api/v1/app/resource?${RANGE}&group=tag:host_1&order=requests`);
        assert.deepEqual(
          byHost.rows.map((r: { service: string; red: { requests: number } }) => [
            r.service,
            r.red.requests,
          ]),
          [["db-1", 8]], // untagged servers (the HTTP service, DNS) are left out of tag groups
        );
        assert.equal(byHost.total.requests, REQUEST_SET.length);
        const byClient = await json(`/api/v1/app/resource?${RANGE}&group=tag:host_0`);
        assert.deepEqual(
          byClient.rows.map((r: { service: string; red: { requests: number } }) => [
            r.service,
            r.red.requests,
          ]),
          [["app-1", REQUEST_SET.length - 1]],
        );
        assert.equal(byClient.series[0].key, "app-1");
        const bad = await get(`/api/v1/app/resource?${RANGE}&group=tag:byte_tx`);
        assert.equal(bad.status, 400);
        assert.match(await bad.text(), /group: expected service, endpoint or tag:<column>/);
        const html = await (await get(`/app/resource?${RANGE}&group=tag:host_1`)).text();
        assert.match(html, /href="\/requests\?[^"]*tags=host_1\+%3D\+%22db-1%22/);
      });

      await t.step("the re-tag job rewrites request-log tags after a change", async () => {
        const db = (await inventory.list("host")).find((h) => h.name === "db-1")!;
        await inventory.delete(ACTOR, "host", db.id!);
        await inventory.create(ACTOR, "host", { name: "cache-1", ips: ["10.0.0.6"] });
        const rerolled: { fromMs: number; toMs: number }[] = [];
        const retagger = new Retagger(database, () => inventory.tagger(), {
          afterSlice: (range) => {
            rerolled.push(range);
            return Promise.resolve();
          },
        });
        // The data set is in January 2026: cover it from "now" = an hour after it.
        retagger.start({ hours: 2, nowMs: T0_US / 1000 + 3_600_000, sliceMs: 30 * 60_000 });
        const done = await retagger.settled();
        assert.equal(done?.state, "done", done?.error);
        assert.equal(done?.requestRowsUpdated, REQUEST_SET.length);
        assert.equal(rerolled.length, 4);
        const total = async (tags: string) =>
          (await json(`/api/v1/requests?${RANGE}&tags=${encodeURIComponent(tags)}`)).total;
        assert.equal(await total("host_1 = db-1"), 0);
        assert.equal(await total("host_1 = cache-1"), 2);
        assert.equal(await total("service_1 = shop"), 11); // unchanged
      });
    } finally {
      await tdb.dispose();
    }
  });
}
