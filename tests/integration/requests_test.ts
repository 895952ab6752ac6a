/**
 * The `requests` stream end to end in process (issue #8): a batch posted with an appliance's
 * credential lands in request_log once; the request-log API and pages, app RED, path, topology
 * and DB views show the exact counts, error ratios and percentiles of the known data set; the
 * license data filter hides what the licensed modules do not grant. PGlite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { encodeBatch, type ModuleKey } from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import { type Database, PartitionManager } from "../../manager/db/mod.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { createTestUser, sessionFor } from "../support/auth.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { devLicenseService, installTestLicense } from "../support/license.ts";
import { REQUEST_SET, requestBatch, requestRecord } from "../support/requests.ts";

const BASE = "http://manager";
const RANGE = "from=2026-01-05T10:00&to=2026-01-05T11:00";

async function setup(database: Database, modules?: readonly ModuleKey[]) {
  await installTestLicense(database, { ...(modules ? { modules } : {}), appliances: 10 });
  const app = createApp({
    database,
    partitions: new PartitionManager(database),
    maxBatchBytes: 1 << 20,
    pageSize: 50,
    licenses: devLicenseService(database),
  });
  const me = await enrollTestAppliance({ app, database }, { license: false });
  // A viewer's browser session: pages refuse API tokens, and viewers may read every view.
  const auth = createAuth(database);
  const user = (await sessionFor(auth, (await createTestUser(auth, "viewer")).id)).headers();
  const ingest = (body: Uint8Array) =>
    app.request(`${BASE}/api/v1/ingest`, {
      method: "POST",
      headers: { "content-type": "application/cbor", ...me.headers },
      body: body as BodyInit,
    });
  const get = (path: string) => app.request(`${BASE}${path}`, { headers: user });
  const json = async (path: string) => {
    const res = await get(path);
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${text}`);
    return JSON.parse(text);
  };
  return { app, me, ingest, get, json };
}

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} ≠ ${b}`);

for (const engine of testEngines()) {
  Deno.test(`requests stream (${engine}): ingest, search, RED, paths, topology, DB views`, async (t) => {
    const tdb = await openTestDatabase(engine);
    try {
      const { me, ingest, get, json } = await setup(tdb.database);
      const count = async () =>
        Number(
          (await tdb.database.rows<{ n: string }>(sql`select count(*) as n from request_log`))[0]!
            .n,
        );

      await t.step("a batch is stored once; a bad record is refused naming its field", async () => {
        const body = encodeBatch(requestBatch(REQUEST_SET, { appliance: me.applianceId, seq: 1 }));
        const first = await ingest(body);
        assert.equal(first.status, 200, await first.clone().text());
        assert.equal(await count(), 23);
        const again = await ingest(body);
        assert.equal(again.status, 200);
        assert.equal(await count(), 23);
        const bad = await ingest(
          encodeBatch(
            requestBatch([requestRecord({ ip0: "nope" })], { appliance: me.applianceId, seq: 2 }),
          ),
        );
        assert.equal(bad.status, 422);
        assert.match(await bad.text(), /records\[0\]\.ip0: expected an IP address/);
        assert.equal(await count(), 23);
      });

      await t.step("search: filters, sort, histogram, row with every field", async () => {
        const all = await json(`/api/v1/requests?${RANGE}`);
        assert.equal(all.total, 23);
        assert.equal(
          all.histogram.reduce(
            (s: number, b: { ok: number; error: number }) => s + b.ok + b.error,
            0,
          ),
          23,
        );
        assert.equal(
          all.histogram.reduce((s: number, b: { error: number }) => s + b.error, 0),
          4 + 1 + 1,
        );
        const total = async (q: string) => (await json(`/api/v1/requests?${RANGE}&${q}`)).total;
        assert.equal(await total("protocol=http"), 11);
        assert.equal(await total("protocol=dns&status=error"), 1);
        assert.equal(await total("protocol=http&status=error"), 4);
        assert.equal(await total("status=timeout"), 1);
        assert.equal(await total("protocol=http&min_ms=5&max_ms=8"), 4);
        assert.equal(await total("server=10.0.0.5:5432"), 6);
        assert.equal(await total("server=10.0.0.0/24&client=10.0.0.9"), 1);
        assert.equal(await total("endpoint=api/b"), 4);
        assert.equal(await total("code=404"), 2);
        assert.equal(await total("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"), 1);
        assert.equal(await total("statement=select * from orders where id = ?"), 5);

        const slow = await json(`/api/v1/requests?${RANGE}&sort=duration&dir=desc&page_size=2`);
        assert.equal(slow.rows.length, 2);
        assert.equal(slow.rows[0].response_duration, 20_000);
        assert.equal(slow.rows[0].request_resource, "insert into orders values (7, 'x\tany')");
        assert.equal(slow.rows[0].normalized_statement, "insert into orders values (?)");
        assert.equal(slow.rows[0].l7_protocol_str, "PostgreSQL");
        assert.equal(slow.rows[1].response_duration, 10_000);

        const detail = await json(
          `/api/v1/requests/row?key=${encodeURIComponent(slow.rows[0].key)}`,
        );
        assert.equal(detail.row.ip_0, "10.0.0.9");
        assert.equal(detail.row.server_port, 5432);
        assert.equal(detail.row.sql_affected_rows, 1);
        assert.equal(detail.row.response_code, null);

        const bad = await get(`/api/v1/requests?min_ms=abc&protocol=gopher`);
        assert.equal(bad.status, 400);
        const text = await bad.text();
        assert.match(text, /min_ms: expected milliseconds/);
        assert.match(text, /protocol: unknown protocol/);
      });

      await t.step(
        "app RED per service and endpoint: exact error ratio and percentiles",
        async () => {
          const res = await json(`/api/v1/app/resource?${RANGE}`);
          const web = res.rows.find((r: { service: string }) => r.service === "10.0.0.2:80");
          assert.equal(web.red.requests, 11);
          assert.equal(web.red.errors, 4);
          assert.equal(web.red.clientErrors, 2);
          assert.equal(web.red.serverErrors, 2);
          assert.equal(web.red.timeouts, 1);
          near(web.red.errorRatio, 4 / 11);
          near(web.red.p50, 5500);
          near(web.red.p90, 9100);
          near(web.red.p99, 9910);
          near(web.red.rate, 11 / 3600);
          assert.equal(res.total.requests, 23);
          assert.equal(res.rows[0].service, "10.0.0.2:80", "sorted by requests");

          const byEndpoint = await json(`/api/v1/app/resource?${RANGE}&group=endpoint&order=p99`);
          const a = byEndpoint.rows.find((r: { endpoint: string }) => r.endpoint === "/api/a");
          assert.equal(a.red.requests, 6);
          assert.equal(a.red.errors, 1);
          near(a.red.p99, 5000 + 0.95 * 1000);

          const paths = await json(`/api/v1/app/path?${RANGE}`);
          const pair = (client: string, service: string) =>
            paths.rows.find((r: { client: string; service: string }) =>
              r.client === client && r.service === service
            );
          assert.equal(pair("10.0.0.1", "10.0.0.5:5432").red.requests, 5);
          assert.equal(pair("10.0.0.9", "10.0.0.5:5432").red.requests, 1);
          assert.equal(pair("10.0.0.1", "10.0.0.2:80").red.errors, 4);

          const topo = await json(`/api/v1/app/topology?${RANGE}`);
          assert.equal(topo.nodes.length, 6); // 2 clients + 4 services
          const web2 = topo.edges.find((e: { to: string }) => e.to === "10.0.0.2:80");
          assert.equal(web2.level, "crit");
          const redis = topo.edges.find((e: { to: string }) => e.to === "10.0.0.6:6379");
          assert.equal(redis.level, "ok");
        },
      );

      await t.step("DB analysis: normalized statements, breakdowns, slow list", async () => {
        const res = await json(`/api/v1/db?${RANGE}`);
        assert.equal(res.total.requests, 8);
        const select = res.statements.find((s: { statement: string }) =>
          s.statement === "select * from orders where id = ?"
        );
        assert.equal(select.requests, 5);
        assert.equal(select.errors, 1);
        assert.equal(select.totalUs, 30_000);
        assert.equal(select.affectedRows, 4);
        near(select.p99, 8000 + 0.96 * 2000);
        const get = res.statements.find((s: { statement: string }) => s.statement === "GET");
        assert.equal(get.requests, 2);
        const byTotal = await json(`/api/v1/db?${RANGE}&order=total`);
        assert.equal(byTotal.statements[0].statement, "select * from orders where id = ?");
        assert.deepEqual(
          res.databases.map((d: { key: string; requests: number }) => [d.key, d.requests]),
          [["shop @ 10.0.0.5:5432", 6], ["10.0.0.6:6379", 2]],
        );
        assert.deepEqual(
          res.clients.map((d: { key: string; requests: number }) => [d.key, d.requests]),
          [["10.0.0.1", 7], ["10.0.0.9", 1]],
        );
        assert.equal(res.slow[0].response_duration, 20_000);
        assert.equal(res.slow.length, 8);
      });

      await t.step("pages render the same figures", async () => {
        const page = async (path: string) => {
          const res = await get(path);
          const html = await res.text();
          assert.equal(res.status, 200, `${path}: ${html.slice(0, 300)}`);
          return html;
        };
        const requests = await page(`/requests?${RANGE}&protocol=http`);
        assert.match(requests, /<strong id="request-total">11<\/strong>/);
        assert.match(requests, /\/api\/slow/);
        const keyed = await json(
          `/api/v1/requests?${RANGE}&trace_id=4bf92f3577b34da6a3ce929d0e0e4736`,
        );
        const withDetail = await page(
          `/requests?${RANGE}&row=${encodeURIComponent(keyed.rows[0].key)}`,
        );
        assert.match(withDetail, /detail-panel is-open/);
        assert.match(withDetail, /4bf92f3577b34da6a3ce929d0e0e4736/);
        const resource = await page(`/app/resource?${RANGE}`);
        assert.match(resource, /36\.36%/); // 4 of 11
        assert.match(resource, /9\.91 ms|9\.9 ms/);
        assert.match(await page(`/app/path?${RANGE}`), /10\.0\.0\.9/);
        assert.match(
          await page(`/app/topology?${RANGE}`),
          /data-edge="10\.0\.0\.1&gt;10\.0\.0\.2:80"|data-edge="10\.0\.0\.1>10\.0\.0\.2:80"/,
        );
        const dbPage = await page(`/db?${RANGE}`);
        assert.match(dbPage, /select \* from orders where id = \?/);
        assert.match(dbPage, /shop @ 10\.0\.0\.5:5432/);
      });
    } finally {
      await tdb.dispose();
    }
  });
}

Deno.test("requests (pglite): network monitoring alone shows HTTP and DNS rows only", async () => {
  const tdb = await openTestDatabase("pglite");
  try {
    const { me, ingest, get, json } = await setup(tdb.database, ["network_monitoring"]);
    const res = await ingest(
      encodeBatch(requestBatch(REQUEST_SET, { appliance: me.applianceId, seq: 1 })),
    );
    assert.equal(res.status, 200);
    assert.equal((await json(`/api/v1/netmon/requests?${RANGE}`)).total, 15);
    assert.equal((await json(`/api/v1/netmon/requests?${RANGE}&protocol=postgresql`)).total, 0);
    const page = await get(`/network/requests?${RANGE}`);
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.match(html, /Your license shows HTTP and DNS requests/);
    assert.match(html, /<strong id="request-total">15<\/strong>/);
    const locked = ["/requests", "/api/v1/requests", "/db", "/api/v1/db", "/app/resource"];
    for (const path of [...locked, "/api/v1/app/path"]) {
      const locked = await get(path);
      assert.equal(locked.status, 403, path);
      await locked.body?.cancel();
    }
  } finally {
    await tdb.dispose();
  }
});
