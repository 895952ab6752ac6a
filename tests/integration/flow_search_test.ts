// AutoTagging and the flow-log search over HTTP: inventory API (roles, import errors), rows
// tagged the way ingest tags them, search by tag and field, export formats and cap, detail row.
import assert from "node:assert/strict";
import { FLOW_FIELDS, type FlowRecord } from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { flowLog, PartitionManager } from "../../manager/db/mod.ts";
import { InventoryService } from "../../manager/inventory/mod.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { flowRecord } from "../support/flows.ts";
import { installTestLicense } from "../support/license.ts";
import { createTestUser, formPost, jsonRequest, sessionFor, tokenFor } from "../support/auth.ts";

const BASE = "http://manager";
const INVENTORY = {
  regions: [{ name: "eu-west" }],
  vpcs: [{ name: "prod", region: "eu-west" }],
  subnets: [
    { name: "clients", cidr: "192.168.0.0/16", vpc: "prod", labels: { zone: "office" } },
    { name: "app", cidr: "10.2.0.0/16", vpc: "prod" },
  ],
  hosts: [{ name: "web-1", ips: ["10.2.0.80"] }],
  services: [{
    name: "checkout",
    protocol: 6,
    endpoints: ["10.2.0.80:443"],
    labels: { env: "prod" },
  }],
  pods: [],
};

for (const engine of testEngines()) {
  Deno.test(`flow search (${engine}): tags, search language, export, detail`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const partitions = new PartitionManager(database);
    const auth = createAuth(database);
    const inventory = new InventoryService(database, { audit: auth.audit.record });
    const app = createApp({
      database,
      partitions,
      maxBatchBytes: 1 << 20,
      pageSize: 50,
      auth,
      inventory,
    });
    await installTestLicense(database, { modules: ["network_monitoring"] });
    const adminUser = await createTestUser(auth, "admin");
    const admin = (await tokenFor(auth, adminUser, "admin")).headers;
    // Pages (/flows/…) take a browser session, the API a token.
    const browser = (await sessionFor(auth, adminUser.id)).headers();
    const viewer = (await tokenFor(auth, await createTestUser(auth, "viewer"), "read")).headers;
    const get = (path: string, headers = admin) => app.request(`${BASE}${path}`, { headers });
    try {
      await t.step("only admins change the inventory; a bad import answers its lines", async () => {
        const denied = await app.request(
          `${BASE}/api/v1/inventory/regions`,
          jsonRequest("POST", { name: "x" }, viewer),
        );
        assert.equal(denied.status, 403);
        await denied.body?.cancel();
        const bad = await app.request(`${BASE}/api/v1/inventory/import?format=csv`, {
          method: "POST",
          headers: { ...admin, "content-type": "text/csv" },
          body: "kind,name,cidr\nsubnet,a,10.0.0.0/8\nsubnet,b,10.0.0.0/99\n",
        });
        assert.equal(bad.status, 400);
        const body = await bad.json();
        assert.equal(body.error, "nothing was imported");
        assert.deepEqual(body.problems.map((p: { line: number }) => p.line), [3]);
        const ok = await app.request(
          `${BASE}/api/v1/inventory/import`,
          jsonRequest("POST", INVENTORY, admin),
        );
        assert.equal(ok.status, 200, await ok.clone().text());
        assert.deepEqual(await ok.json(), { created: 6, updated: 0, deleted: 0 });
        const list = await (await get("/api/v1/inventory/subnets", viewer)).json();
        assert.deepEqual(list.subnets.map((s: { name: string }) => s.name), ["app", "clients"]);
        const tags = await (await get("/api/v1/inventory/tag?ip=10.2.0.80&port=443&protocol=6"))
          .json();
        assert.equal(tags.service, "checkout");
      });

      await t.step(
        "the inventory forms validate in place and redirect after a change",
        async () => {
          const session = await sessionFor(auth, adminUser.id);
          const post = (path: string, fields: Record<string, string>) =>
            app.request(
              `${BASE}${path}`,
              formPost({ _csrf: session.csrf, ...fields }, { cookie: session.cookie }),
            );
          const bad = await post("/admin/inventory/subnets", { name: "lab", cidr: "10.3.0.1/16" });
          assert.equal(bad.status, 400);
          const html = await bad.text();
          assert.match(
            html,
            /id="item-cidr-error" class="field-error" role="alert">[^<]*did you mean 10\.3\.0\.0\/16/,
          );
          assert.match(html, /value="10\.3\.0\.1\/16"/, "the value is shown back");
          const ok = await post("/admin/inventory/subnets", { name: "lab", cidr: "10.3.0.0/16" });
          assert.equal(ok.status, 303);
          assert.equal(ok.headers.get("location"), "/admin/inventory/subnets?notice=created");
          const lab = (await inventory.list("subnet")).find((i) => i.name === "lab")!;
          const del = await post(`/admin/inventory/subnets/${lab.id}/delete`, {});
          assert.equal(del.status, 303);
          const viewerSession = await sessionFor(auth, (await createTestUser(auth, "viewer")).id);
          const denied = await app.request(
            `${BASE}/admin/inventory/subnets`,
            formPost({ _csrf: viewerSession.csrf, name: "x", cidr: "10.4.0.0/16" }, {
              cookie: viewerSession.cookie,
            }),
          );
          assert.equal(denied.status, 403);
          await denied.body?.cancel();
          const view = await app.request(`${BASE}/admin/inventory/subnets`, {
            headers: { cookie: viewerSession.cookie },
          });
          assert.equal(view.status, 200, "viewers read the inventory");
          assert.doesNotMatch(await view.text(), /id="item-form"/);
        },
      );

      // Rows go in tagged exactly as the ingest path tags them (see /work notes: tagRow per row).
      const base = Date.UTC(2026, 10, 25, 12, 0, 0) * 1000;
      const records: FlowRecord[] = [];
      for (let i = 0; i < 30; i++) {
        const toCheckout = i % 3 === 0;
        records.push(flowRecord({
          flowId: i + 1,
          startTime: base + i * 1_000_000,
          endTime: base + i * 1_000_000 + 500,
          ip0: `192.168.1.${i + 1}`,
          ip1: toCheckout ? "10.2.0.80" : "10.2.0.90",
          serverPort: toCheckout ? 443 : 80,
          byteTx: 100 * i,
        }));
      }
      const tagger = await inventory.tagger();
      const rows = records.map((r) =>
        tagger.tagRow({
          ...Object.fromEntries(
            FLOW_FIELDS.map(({ key }) => [key, r[key]]),
          ) as unknown as FlowRecord,
          applianceId: "box-1",
          time: new Date(Math.floor(r.startTime / 1_000_000) * 1000),
        })
      );
      await partitions.ensure("flow_log", rows.map((r) => r.time.getTime()));
      await database.db.insert(flowLog).values(rows);

      await t.step("search by tag, label, field and prefix", async () => {
        const q = async (expr: string) => {
          const res = await get(`/api/v1/flows?pageSize=100&q=${encodeURIComponent(expr)}`);
          assert.equal(res.status, 200, await res.clone().text());
          return (await res.json()) as { total: number; rows: Record<string, unknown>[] };
        };
        const checkout = await q("service_1 = checkout");
        assert.equal(checkout.total, 10);
        assert.ok(checkout.rows.every((r) => r.service1 === "checkout" && r.host1 === "web-1"));
        assert.equal((await q("service_1 = ''")).total, 20);
        assert.equal((await q("labels_0.zone = office and labels_1.env = prod")).total, 10);
        assert.equal((await q("subnet_0 = clients and byte_tx >= 2000")).total, 10);
        assert.equal((await q("ip_0 = 192.168.1.0/29 and server_port != 443")).total, 4);
        assert.equal((await q("host_1 ~ WEB")).total, 10);
        assert.equal((await q("region_1 = eu-west and vpc_0 = prod")).total, 30);
        const bad = await get(`/api/v1/flows?q=${encodeURIComponent("nope = 1")}`);
        assert.equal(bad.status, 400);
        assert.match((await bad.json()).error, /q: unknown field "nope"/);
        const injected = await get(
          `/api/v1/flows?q=${encodeURIComponent("host_1 = ') or 1=1 --")}`,
        );
        assert.equal(injected.status, 400, "quotes must balance");
        await injected.body?.cancel();
      });

      await t.step("CSV and NDJSON exports stream the search and say when capped", async () => {
        const csv = await get(
          `/flows/export?format=csv&q=${encodeURIComponent("service_1 = checkout")}`,
          browser,
        );
        assert.equal(csv.status, 200);
        assert.equal(csv.headers.get("content-type"), "text/csv; charset=utf-8");
        assert.equal(csv.headers.get("x-tapline-export-capped"), "false");
        const lines = (await csv.text()).trimEnd().split("\r\n");
        assert.equal(lines.length, 11);
        const header = lines[0]!.split(",");
        assert.ok(
          header.includes("service_1") && header.includes("ip_0") && header.includes("labels_1"),
        );
        const col = (name: string) => header.indexOf(name);
        assert.equal(lines[1]!.split(",")[col("service_1")], "checkout");
        assert.equal(lines[1]!.split(",")[col("labels_1")], "env=prod");

        const nd = await get(`/api/v1/flows/export?format=ndjson&limit=7`);
        assert.equal(nd.headers.get("x-tapline-export-total"), "30");
        assert.equal(nd.headers.get("x-tapline-export-rows"), "7");
        assert.equal(nd.headers.get("x-tapline-export-capped"), "true");
        const objs = (await nd.text()).trimEnd().split("\n").map((l) => JSON.parse(l));
        assert.equal(objs.length, 7);
        assert.equal(objs[0].flow_id, 30, "newest first");
        assert.equal(objs[0].appliance, "box-1");
        assert.equal(typeof objs[0].labels_0, "object");
        const bad = await get(`/flows/export?format=xml`, browser);
        assert.equal(bad.status, 400);
        await bad.body?.cancel();
      });

      await t.step("the detail panel shows every field and the row's tags", async () => {
        const page =
          await (await get(`/api/v1/flows?pageSize=1&q=${encodeURIComponent("flow_id = 4")}`))
            .json();
        const row = page.rows[0];
        const key = `${row.appliance}:${row.time}:${row.id}`;
        const res = await app.request(`${BASE}/flows/detail?flow=${encodeURIComponent(key)}`, {
          headers: { ...browser, "hx-request": "true" },
        });
        assert.equal(res.status, 200);
        const html = await res.text();
        assert.match(html, /^<aside id="flow-detail" class="detail-panel is-open"/);
        assert.match(html, /<dt>syn_seq<\/dt>/);
        assert.match(html, /<td>checkout<\/td>/);
        const api = await (await get(`/api/v1/flows/row?flow=${encodeURIComponent(key)}`)).json();
        assert.equal(api.flowId, 4);
        const missing = await get(`/flows/detail?flow=box-1:0:1`, browser);
        assert.equal(missing.status, 404);
        await missing.body?.cancel();
      });
    } finally {
      await tdb.dispose();
    }
  });
}
