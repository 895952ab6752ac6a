import assert from "node:assert/strict";
import { Encoder } from "cbor-x";
import { sql } from "drizzle-orm";
import { importPublicKey, verifyEntitlement } from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { adminApiHeaders, createTestUser, jsonRequest, tokenFor } from "../support/auth.ts";
import { createEnrollmentToken, enrollTestAppliance } from "../support/fleet.ts";
import { cborRequest, flowBatch, flowRecord } from "../support/flows.ts";
import { devLicenseService, installTestLicense } from "../support/license.ts";
import { createAuth } from "../../manager/auth/mod.ts";

const M = "http://manager";

/** A heartbeat as the contract describes it; `over` replaces top-level fields. */
function heartbeat(over: Record<string, unknown> = {}) {
  return {
    v: 1,
    version: "0.1.0",
    startedAt: 1_000,
    sentAt: Date.now(),
    capturePoints: [
      { interface: "eth1", observationPoint: "rest", link: "up", packets: 100, bytes: 64_000 },
    ],
    stages: [
      { stage: "capture", packets: 100, drops: [] },
      {
        stage: "decode",
        packets: 100,
        drops: [{ reason: "truncated", count: 0, setting: "capture.snaplen" }],
      },
    ],
    cpu: { percent: 3.5 },
    memory: { rssBytes: 50_000_000, totalBytes: 8_000_000_000 },
    disk: { freeBytes: 10_000_000_000, totalBytes: 20_000_000_000 },
    spool: { batches: 0, bytes: 0, droppedBatches: 0, droppedRecords: 0, oldestAt: null },
    lastReportAt: null,
    configVersion: 1,
    entitlement: { ok: true, modules: ["network_monitoring"] },
    ...over,
  };
}

for (const engine of testEngines()) {
  Deno.test(`fleet (${engine}): enrollment, credentials, heartbeat, config`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const licenses = devLicenseService(database);
    const auth = createAuth(database);
    const app = createApp({
      database,
      auth,
      licenses,
      partitions: new PartitionManager(database),
      maxBatchBytes: 64 * 1024,
      pageSize: 50,
    });
    const admin = await adminApiHeaders(database);
    const enrollBody = (token: string, extra: Record<string, unknown> = {}) =>
      jsonRequest("POST", { token, hostname: "tap-1", version: "0.1.0", ...extra });
    const enroll = (init: RequestInit) => app.request(`${M}/api/v1/appliances/enroll`, init);

    try {
      await t.step("without a license the appliance limit (0) refuses enrollment", async () => {
        const token = await createEnrollmentToken({ app, database });
        const res = await enroll(enrollBody(token));
        assert.equal(res.status, 403);
        assert.match((await res.json()).error, /allows 0 appliance/);
      });

      await installTestLicense(database, { appliances: 2, modules: ["network_monitoring"] });

      let first: { applianceId: string; credential: string; managerKey: { publicKey: string } };
      await t.step("an admin token enrolls once; the token is then used up", async () => {
        const res = await app.request(
          `${M}/api/v1/appliances/enrollment-tokens`,
          jsonRequest("POST", { ttlHours: 1, note: "rack 4" }, admin),
        );
        assert.equal(res.status, 201);
        const created = await res.json();
        assert.match(created.token, /^tple_[A-Za-z0-9_-]{43}$/);
        assert.equal(
          created.command,
          `appliance enroll --manager http://manager --token ${created.token}`,
        );
        const ok = await enroll(enrollBody(created.token, { name: "edge-1" }));
        assert.equal(ok.status, 201);
        first = await ok.json();
        assert.match(first.applianceId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
        assert.match(first.credential, /^tpla_[A-Za-z0-9_-]{43}$/);
        const [stored] = await database.rows<{ n: number | string }>(
          sql`select count(*) as n from appliance where credential_hash = ${first.credential}`,
        );
        assert.equal(Number(stored!.n), 0, "the credential is stored only as a hash");
        const again = await enroll(enrollBody(created.token));
        assert.equal(again.status, 401);
        assert.equal(
          (await again.json()).error,
          "enrollment token unknown, already used or expired",
        );
      });

      await t.step("an expired token is refused", async () => {
        const token = await createEnrollmentToken({ app, database }, { ttlHours: 1 });
        await database.rows(
          sql`update enrollment_token set expires_at = now() - interval '1 minute'`,
        );
        assert.equal((await enroll(enrollBody(token))).status, 401);
      });

      await t.step("bad bodies are 422 with the problem named", async () => {
        const token = await createEnrollmentToken({ app, database });
        const cases: [RequestInit, RegExp][] = [
          [enrollBody(token, { hostname: "" }), /hostname/],
          [jsonRequest("POST", { token, hostname: "h" }), /version/],
          [enrollBody(token, { extra: 1 }), /extra: unknown field/],
          [{ method: "POST", headers: { "content-type": "application/json" }, body: "{" }, /JSON/],
        ];
        for (const [init, message] of cases) {
          const res = await enroll(init);
          assert.equal(res.status, 422);
          assert.match((await res.json()).error, message);
        }
        // The token was not consumed by the refused attempts.
        assert.equal((await enroll(enrollBody(token))).status, 201);
      });

      await t.step("the license's appliance limit (2) refuses a third", async () => {
        const token = await createEnrollmentToken({ app, database });
        const res = await enroll(enrollBody(token));
        assert.equal(res.status, 403);
        assert.match((await res.json()).error, /allows 2 appliance\(s\) and 2 are enrolled/);
        const list = await (await app.request(`${M}/api/v1/licenses`, { headers: admin })).json();
        assert.ok(JSON.stringify(list).includes('"appliances":2'), "usage counts enrolled ones");
      });

      const auth1 = () => ({ authorization: `Bearer ${first.credential}` });
      await t.step("the credential reaches ingest; a user token or nothing does not", async () => {
        const batch = flowBatch([flowRecord()], { appliance: first.applianceId, seq: 1 });
        const ok = await app.request(`${M}/api/v1/ingest`, {
          ...cborRequest(batch),
          headers: { "content-type": "application/cbor", ...auth1() },
        });
        assert.equal(ok.status, 200);
        const anonymous = await app.request(`${M}/api/v1/ingest`, cborRequest(batch));
        assert.equal(anonymous.status, 401);
        const user = await tokenFor(auth, await createTestUser(auth, "admin"), "admin");
        const asUser = await app.request(`${M}/api/v1/ingest`, {
          ...cborRequest(batch),
          headers: { "content-type": "application/cbor", ...user.headers },
        });
        assert.equal(asUser.status, 403);
        const forged = await app.request(`${M}/api/v1/ingest`, {
          ...cborRequest(batch),
          headers: {
            "content-type": "application/cbor",
            authorization: `Bearer tpla_${"A".repeat(43)}`,
          },
        });
        assert.equal(forged.status, 401);
        assert.equal((await forged.json()).error, "appliance credential unknown or revoked");
      });

      let etag = "";
      await t.step("config: 200 with an ETag, 304 while unchanged", async () => {
        const res = await app.request(`${M}/api/v1/appliances/self/config`, { headers: auth1() });
        assert.equal(res.status, 200);
        etag = res.headers.get("etag")!;
        const doc = await res.json();
        assert.equal(etag, `"${doc.version}"`);
        assert.equal(doc.applianceId, first.applianceId);
        assert.equal(doc.name, "edge-1");
        assert.deepEqual(doc.capturePoints, []);
        assert.equal(doc.reporting.heartbeatSeconds, 5);
        assert.deepEqual(doc.entitlement.modules, ["network_monitoring"]);
        const same = await app.request(`${M}/api/v1/appliances/self/config`, {
          headers: { ...auth1(), "if-none-match": etag },
        });
        assert.equal(same.status, 304);
      });

      await t.step(
        "the entitlement verifies with the returned key, for this appliance only",
        async () => {
          const doc = await (await app.request(`${M}/api/v1/appliances/self/config`, {
            headers: auth1(),
          })).json();
          const key = await importPublicKey(first.managerKey.publicKey, "manager");
          const ok = await verifyEntitlement(doc.entitlement, {
            keys: [key],
            applianceId: first.applianceId,
            now: Date.now(),
          });
          assert.ok(ok.ok);
          const other = await verifyEntitlement(doc.entitlement, {
            keys: [key],
            applianceId: crypto.randomUUID(),
            now: Date.now(),
          });
          assert.equal(other.ok, false);
          assert.match((other as { reason: string }).reason, /issued for appliance/);
        },
      );

      await t.step("a change bumps the version: the old ETag gets 200 again", async () => {
        const patch = await app.request(
          `${M}/api/v1/appliances/${first.applianceId}`,
          jsonRequest("PATCH", {
            capturePoints: [{ interface: "eth1", observationPoint: "c", enabled: true }],
          }, admin),
        );
        assert.equal(patch.status, 200);
        const res = await app.request(`${M}/api/v1/appliances/self/config`, {
          headers: { ...auth1(), "if-none-match": etag },
        });
        assert.equal(res.status, 200);
        const doc = await res.json();
        assert.equal(res.headers.get("etag"), `"${Number(etag.slice(1, -1)) + 1}"`);
        assert.deepEqual(doc.capturePoints, [
          { interface: "eth1", observationPoint: "c", enabled: true },
        ]);
        const bad = await app.request(
          `${M}/api/v1/appliances/${first.applianceId}`,
          jsonRequest("PATCH", {
            capturePoints: [{ interface: "eth1", observationPoint: "nowhere", enabled: true }],
          }, admin),
        );
        assert.equal(bad.status, 422);
        assert.match((await bad.json()).error, /capturePoints\[0\]\.observationPoint/);
        const audit = await database.rows<{ action: string }>(
          sql`select action from audit_log where action like 'appliance.%' order by id`,
        );
        assert.deepEqual(
          [...new Set(audit.map((a) => a.action))].sort(),
          ["appliance.enroll", "appliance.token.create", "appliance.update"],
        );
      });

      await t.step("heartbeats (JSON and CBOR) set the status and the rates", async () => {
        const now = Date.now();
        const one = await app.request(
          `${M}/api/v1/appliances/self/heartbeat`,
          jsonRequest("POST", heartbeat({ sentAt: now - 5000 }), auth1()),
        );
        assert.equal(one.status, 200);
        const { configVersion } = await one.json();
        assert.equal(
          `"${configVersion}"`,
          (await app.request(
            `${M}/api/v1/appliances/self/config`,
            { headers: auth1() },
          )).headers.get("etag"),
        );
        const second = heartbeat({
          sentAt: now,
          capturePoints: [
            { interface: "eth1", observationPoint: "c", link: "up", packets: 600, bytes: 689_000 },
          ],
        });
        const two = await app.request(`${M}/api/v1/appliances/self/heartbeat`, {
          method: "POST",
          headers: { "content-type": "application/cbor", ...auth1() },
          body: new Encoder({ useRecords: true }).encode(second) as BodyInit,
        });
        assert.equal(two.status, 200);
        const view = await (await app.request(
          `${M}/api/v1/appliances/${first.applianceId}`,
          { headers: admin },
        )).json();
        assert.equal(view.status, "online");
        assert.equal(view.packetsPerSecond, 100);
        assert.equal(view.bitsPerSecond, 1_000_000);
        const series = await (await app.request(
          `${M}/api/v1/appliances/${first.applianceId}/heartbeats`,
          { headers: admin },
        )).json();
        assert.equal(series.heartbeats.length, 2);
        assert.equal(series.rates.length, 1);
      });

      await t.step("drops that grow and a link down make it degraded", async () => {
        const res = await app.request(
          `${M}/api/v1/appliances/self/heartbeat`,
          jsonRequest(
            "POST",
            heartbeat({
              sentAt: Date.now() + 1000,
              capturePoints: [
                {
                  interface: "eth1",
                  observationPoint: "c",
                  link: "down",
                  packets: 600,
                  bytes: 689_000,
                },
              ],
              stages: [{
                stage: "decode",
                packets: 600,
                drops: [{ reason: "truncated", count: 7, setting: "capture.snaplen" }],
              }],
            }),
            auth1(),
          ),
        );
        assert.equal(res.status, 200);
        const view = await (await app.request(
          `${M}/api/v1/appliances/${first.applianceId}`,
          { headers: admin },
        )).json();
        assert.equal(view.status, "degraded");
        assert.ok(view.problems.some((p: string) => p.startsWith("decode/truncated: 7 dropped")));
        assert.ok(view.problems.includes("capture point eth1: link down"));
      });

      await t.step("bad heartbeats are 4xx naming the problem", async () => {
        const cases: [RequestInit, number, RegExp][] = [
          [jsonRequest("POST", heartbeat({ v: 9 }), auth1()), 422, /v: unsupported/],
          [jsonRequest("POST", heartbeat({ cpu: {} }), auth1()), 422, /cpu.percent/],
          [
            jsonRequest(
              "POST",
              heartbeat({ stages: [{ stage: "x", packets: 1, drops: [] }] }),
              auth1(),
            ),
            422,
            /stages\[0\].stage/,
          ],
          [
            { method: "POST", headers: { ...auth1(), "content-type": "text/plain" }, body: "x" },
            415,
            /content-type/,
          ],
          [
            {
              method: "POST",
              headers: { ...auth1(), "content-type": "application/cbor" },
              body: new Uint8Array([0xbf]),
            },
            400,
            /CBOR/,
          ],
        ];
        for (const [init, status, message] of cases) {
          const res = await app.request(`${M}/api/v1/appliances/self/heartbeat`, init);
          assert.equal(res.status, status);
          assert.match((await res.json()).error, message);
        }
      });

      await t.step("revocation: 401 on the next ingest, heartbeat and config", async () => {
        const res = await app.request(
          `${M}/api/v1/appliances/${first.applianceId}/revoke`,
          { method: "POST", headers: admin },
        );
        assert.equal(res.status, 200);
        assert.equal((await res.json()).status, "revoked");
        const batch = flowBatch([flowRecord()], { appliance: first.applianceId, seq: 2 });
        const ingest = await app.request(`${M}/api/v1/ingest`, {
          ...cborRequest(batch),
          headers: { "content-type": "application/cbor", ...auth1() },
        });
        assert.equal(ingest.status, 401);
        const config = await app.request(`${M}/api/v1/appliances/self/config`, {
          headers: auth1(),
        });
        assert.equal(config.status, 401);
        const hb = await app.request(
          `${M}/api/v1/appliances/self/heartbeat`,
          jsonRequest("POST", heartbeat(), auth1()),
        );
        assert.equal(hb.status, 401);
        // A revoked appliance no longer counts against the limit.
        assert.ok(await enrollTestAppliance({ app, database }, { license: false }));
      });

      await t.step("the pages list the appliances and show one", async () => {
        const user = await createTestUser(auth, "viewer");
        const session = await auth.sessions.create(user.id);
        const cookie = { cookie: `tapline_session=${session.id}`, accept: "text/html" };
        const list = await app.request(`${M}/admin/appliances`, { headers: cookie });
        assert.equal(list.status, 200);
        const html = await list.text();
        assert.ok(html.includes("edge-1"));
        assert.ok(!html.includes("Create enrollment token"), "viewers get no forms");
        const detail = await app.request(`${M}/admin/appliances/${first.applianceId}`, {
          headers: cookie,
        });
        assert.equal(detail.status, 200);
        assert.ok((await detail.text()).includes("Counters over the last hour"));
      });
    } finally {
      await tdb.dispose();
    }
  });
}
