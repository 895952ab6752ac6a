// PCAP policies on the manager (issue #7), in process: the API's 4xx name the field (the filter
// with libpcap's own message), roles, license gating, the audit log, config delivery with a
// version bump, the global quota, the page's no-JS form, and has_pcap on flow rows from the
// `pcap_index` stream (with eviction).
import assert from "node:assert/strict";
import { encodeBatch, type PcapIndexRecord, WIRE_VERSION } from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import { libpcapAvailable } from "../../manager/pcap/mod.ts";
import { createTestUser, formPost, jsonRequest, sessionFor, tokenFor } from "../support/auth.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { cborRequest, flowBatch, flowRecord } from "../support/flows.ts";
import { devLicenseService } from "../support/license.ts";
import { IN_CI } from "../support/tools.ts";

const M = "http://manager";

function indexRecord(over: Partial<PcapIndexRecord> = {}): PcapIndexRecord {
  const r = flowRecord();
  return {
    policy: "1",
    fileId: 7,
    protocol: 6,
    // Endpoint A sorts first: 10.1.0.5 < 10.2.0.80.
    ipA: r.ip0,
    portA: r.clientPort,
    ipB: r.ip1,
    portB: r.serverPort,
    startTime: r.startTime + 10,
    endTime: r.endTime - 10,
    packets: 11,
    bytes: 4900,
    evicted: 0,
    ...over,
  };
}

for (const engine of testEngines()) {
  Deno.test(`PCAP policies (${engine}): API, roles, audit, config, has_pcap`, async (t) => {
    if (!libpcapAvailable()) {
      if (IN_CI) throw new Error("libpcap is not installed (apt-get install libpcap0.8)");
      console.log("skipped: libpcap is not installed");
      return;
    }
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const auth = createAuth(database);
    const app = createApp({
      database,
      auth,
      licenses: devLicenseService(database),
      partitions: new PartitionManager(database),
      maxBatchBytes: 1024 * 1024,
      pageSize: 50,
    });
    const req = (path: string, init?: RequestInit) => app.request(`${M}${path}`, init);
    try {
      const operator = await tokenFor(auth, await createTestUser(auth, "operator"), "write");
      const viewer = await tokenFor(auth, await createTestUser(auth, "viewer"), "read");
      const post = (body: unknown, headers = operator.headers) =>
        req("/api/v1/pcap/policies", jsonRequest("POST", body, headers));

      await t.step("without network_monitoring licensed the API is 403 naming it", async () => {
        const res = await req("/api/v1/pcap/policies", { headers: viewer.headers });
        assert.equal(res.status, 403);
        assert.match((await res.json()).error, /module network_monitoring is not licensed/);
      });

      // Enrolling installs a license with every module.
      const tap = await enrollTestAppliance({ app, database }, { name: "tap-a" });
      const other = await enrollTestAppliance({ app, database }, { name: "tap-b" });
      const config = async (a = tap) =>
        await (await req("/api/v1/appliances/self/config", { headers: a.headers })).json();
      const before = await config();
      assert.deepEqual(before.policies.pcap, []);
      assert.deepEqual(before.pcapStorage, { quotaBytes: null, quotaPercent: null });

      await t.step("bad input is a 4xx that names the field", async () => {
        const cases: [Record<string, unknown>, number, string, RegExp][] = [
          [
            { name: "x", filter: "tcp port" },
            422,
            "filter",
            /filter: libpcap cannot compile.*syntax error/,
          ],
          [
            { name: "x", filter: "host 999.1.1.1" },
            422,
            "filter",
            /filter: libpcap cannot compile/,
          ],
          [{ name: "x", match: { ip: "10.0.0.300" } }, 422, "match", /match\.ip: expected an IPv4/],
          [{ name: "x", match: { port: 70000 } }, 422, "match", /match\.port: expected a port/],
          [
            { name: "x", match: { protocol: "gre" } },
            422,
            "match",
            /match\.protocol: expected one of/,
          ],
          [
            { name: "x", truncateBytes: -1 },
            422,
            "truncateBytes",
            /truncateBytes: expected an integer of at least 0/,
          ],
          [
            { name: "x", maxPackets: 0 },
            422,
            "maxPackets",
            /maxPackets: expected an integer of at least 1/,
          ],
          [{ name: "x", quotaBytes: "lots" }, 422, "quotaBytes", /quotaBytes: expected an integer/],
          [{ name: "x", start: "yesterday" }, 422, "start", /start: expected a time/],
          [{ name: "x", start: 2000, stop: 1000 }, 422, "stop", /stop: must be after start/],
          [
            { name: "x", capturePoints: [""] },
            422,
            "capturePoints",
            /capturePoints: expected a list/,
          ],
          [{ name: "x", appliances: "all" }, 422, "appliances", /appliances: expected a list/],
          [{ name: "" }, 422, "name", /name: expected a text/],
          [{ name: "x", colour: "red" }, 422, "colour", /colour: unknown field/],
        ];
        for (const [body, status, field, message] of cases) {
          const res = await post(body);
          const answer = await res.json();
          assert.equal(res.status, status, JSON.stringify(body));
          assert.equal(answer.field, field, JSON.stringify(body));
          assert.match(answer.error, message);
        }
        const notJson = await req("/api/v1/pcap/policies", {
          method: "POST",
          headers: { ...operator.headers, "content-type": "application/json" },
          body: "{",
        });
        assert.equal(notJson.status, 400);
        const badId = await req("/api/v1/pcap/policies/abc", { headers: viewer.headers });
        assert.equal(badId.status, 404);
      });

      let id = 0;
      await t.step("an operator creates a policy; it is audited", async () => {
        const res = await post({
          name: "web",
          filter: "tcp port 80",
          match: { ip: "10.1.0.0/16" },
          truncateBytes: 96,
          maxPackets: 1000,
          quotaBytes: 50_000_000,
          appliances: [tap.applianceId],
          start: "2026-01-01T00:00:00Z",
        });
        assert.equal(res.status, 201);
        const p = await res.json();
        id = p.id;
        assert.equal(p.expression, "(tcp port 80) and net 10.1.0.0/16");
        assert.equal(p.start, "2026-01-01T00:00:00.000Z");
        assert.equal(p.analysis, `/pcap/analysis?policy=${id}`);
        const dup = await post({ name: "web" });
        assert.equal(dup.status, 409);
        assert.equal((await dup.json()).field, "name");
        const audit = await (await req("/api/v1/audit?action=pcap_policy.create", {
          headers: (await tokenFor(auth, await createTestUser(auth, "admin"), "admin")).headers,
        })).json();
        assert.equal(JSON.stringify(audit).includes(`"pcap_policy.create"`), true);
      });

      await t.step("viewers read but do not change", async () => {
        const list = await (await req("/api/v1/pcap/policies", { headers: viewer.headers })).json();
        assert.deepEqual(list.policies.map((p: { name: string }) => p.name), ["web"]);
        assert.deepEqual(list.policies[0].stored, { packets: 0, bytes: 0, flows: 0 });
        assert.equal((await post({ name: "v" }, viewer.headers)).status, 403);
        const del = await req(`/api/v1/pcap/policies/${id}`, {
          method: "DELETE",
          headers: viewer.headers,
        });
        assert.equal(del.status, 403);
      });

      await t.step("the targeted appliance's config carries it, with a new version", async () => {
        const doc = await config();
        assert.ok(doc.version > before.version, `${doc.version} > ${before.version}`);
        assert.equal(doc.policies.pcap.length, 1);
        assert.deepEqual(doc.policies.pcap[0], {
          id: String(id),
          name: "web",
          enabled: true,
          capturePoints: [],
          filter: "tcp port 80",
          match: { ip: "10.1.0.0/16" },
          truncateBytes: 96,
          start: Date.UTC(2026, 0, 1),
          stop: null,
          durationSeconds: null,
          maxPackets: 1000,
          maxBytes: null,
          quotaBytes: 50_000_000,
        });
        const untargeted = await config(other);
        assert.deepEqual(untargeted.policies.pcap, [], "not targeted");
        const edit = await req(
          `/api/v1/pcap/policies/${id}`,
          jsonRequest(
            "PUT",
            { name: "web", filter: "tcp port 80", enabled: false },
            operator.headers,
          ),
        );
        assert.equal(edit.status, 200);
        const after = await config(other);
        assert.equal(after.policies.pcap[0].enabled, false, "no targets: every appliance");
        assert.ok(after.version > untargeted.version, "its version went up too");
      });

      await t.step("the global quota goes into the appliance's config", async () => {
        const v = (await config()).version;
        const bad = await req(
          `/api/v1/pcap/storage/${tap.applianceId}`,
          jsonRequest("PUT", { quotaPercent: 150 }, operator.headers),
        );
        assert.equal(bad.status, 422);
        assert.equal((await bad.json()).field, "quotaPercent");
        const none = await req(
          "/api/v1/pcap/storage/nope",
          jsonRequest("PUT", { quotaGB: 1 }, operator.headers),
        );
        assert.equal(none.status, 404);
        const ok = await req(
          `/api/v1/pcap/storage/${tap.applianceId}`,
          jsonRequest("PUT", { quotaGB: 2.5, quotaPercent: 20 }, operator.headers),
        );
        assert.equal(ok.status, 200);
        const doc = await config();
        assert.deepEqual(doc.pcapStorage, { quotaBytes: 2_500_000_000, quotaPercent: 20 });
        assert.ok(doc.version > v);
      });

      await t.step("the appliance's settings page shows and sets the quota", async () => {
        const user = await createTestUser(auth, "operator");
        const s = await sessionFor(auth, user.id);
        const page = `/admin/appliances/${tap.applianceId}`;
        const before = await (await req(page, { headers: { cookie: s.cookie } })).text();
        assert.match(before, /PCAP storage/);
        assert.match(before, /2\.5 GB and at most 20% of the disk/);
        const saved = await req(
          `/pcap/storage/${tap.applianceId}`,
          formPost({ _csrf: s.csrf, quotaGB: "", quotaPercent: "10", next: page }, {
            cookie: s.cookie,
          }),
        );
        assert.equal(saved.status, 303);
        assert.equal(saved.headers.get("location"), `${page}?notice=saved`);
        assert.deepEqual((await config()).pcapStorage, { quotaBytes: null, quotaPercent: 10 });
        const evil = await req(
          `/pcap/storage/${tap.applianceId}`,
          formPost({ _csrf: s.csrf, quotaPercent: "10", next: "https://evil.example/" }, {
            cookie: s.cookie,
          }),
        );
        assert.equal(
          evil.headers.get("location"),
          "/pcap/policies?notice=quota",
          "no open redirect",
        );
      });

      await t.step(
        "the page's form works without JavaScript; errors sit by the field",
        async () => {
          const user = await createTestUser(auth, "operator");
          const s = await sessionFor(auth, user.id);
          const bad = await req(
            "/pcap/policies",
            formPost({ _csrf: s.csrf, name: "dns", filter: "udp port", enabled: "on" }, {
              cookie: s.cookie,
            }),
          );
          assert.equal(bad.status, 422);
          const html = await bad.text();
          assert.match(
            html,
            /id="pcap-filter-error" class="field-error" role="alert">filter: libpcap cannot compile/,
          );
          assert.match(html, /value="udp port"/, "what was typed is shown back");
          const good = await req(
            "/pcap/policies",
            formPost({
              _csrf: s.csrf,
              name: "dns",
              "match.protocol": "udp",
              "match.port": "53",
              truncateBytes: "0",
              enabled: "on",
            }, { cookie: s.cookie }),
          );
          assert.equal(good.status, 303);
          const list = await (await req("/pcap/policies", { headers: { cookie: s.cookie } }))
            .text();
          assert.match(list, /udp and port 53/);
          assert.match(list, /href="\/pcap\/analysis\?policy=\d+">View captured traffic/);
          assert.match(
            list,
            /href="\/pcap\/policies"[^>]*>\s*<span class="nav-label">PCAP policies/,
            "nav entry",
          );
        },
      );

      await t.step(
        "pcap_index rows give flow-log rows has_pcap; eviction takes it away",
        async () => {
          const send = async (seq: number, stream: "flows" | "pcap_index", records: unknown[]) => {
            const bytes = stream === "flows"
              ? encodeBatch(flowBatch(records as never, { appliance: tap.applianceId, seq }))
              : encodeBatch({
                v: WIRE_VERSION,
                appliance: tap.applianceId,
                stream,
                seq,
                sentAt: Date.now(),
                records: records as PcapIndexRecord[],
              });
            const res = await req("/api/v1/ingest", {
              ...cborRequest(bytes),
              headers: { "content-type": "application/cbor", ...tap.headers },
            });
            return { status: res.status, body: await res.json() };
          };
          assert.equal((await send(1, "flows", [flowRecord()])).status, 200);
          const bad = await send(1, "pcap_index", [indexRecord({ ipA: "nope" })]);
          assert.equal(bad.status, 422);
          assert.match(bad.body.error, /records\[0\]\.ipA: expected an IP address/);
          assert.equal((await send(1, "pcap_index", [indexRecord()])).status, 200);
          const rows = async () =>
            (await (await req(
              "/api/v1/flows?from=2026-11-25T11:00&to=2026-11-25T13:00",
              { headers: viewer.headers },
            )).json()).rows;
          const [row] = await rows();
          assert.equal(row.hasPcap, true);
          assert.deepEqual(row.pcapPolicies, ["1"]);
          const list = await (await req("/api/v1/pcap/policies", { headers: viewer.headers }))
            .json();
          const stored = list.policies.find((p: { id: number }) => p.id === 1).stored;
          assert.deepEqual(stored, { packets: 11, bytes: 4900, flows: 1 });
          assert.equal(
            (await send(2, "pcap_index", [
              indexRecord({
                fileId: 7,
                evicted: 1,
                packets: 0,
                bytes: 0,
                ipA: "0.0.0.0",
                ipB: "0.0.0.0",
                portA: 0,
                portB: 0,
                protocol: 0,
              }),
            ])).status,
            200,
          );
          const [after] = await rows();
          assert.equal(after.hasPcap, false);
          assert.deepEqual(after.pcapPolicies, []);
          const evicted = await (await req("/api/v1/pcap/policies/1", {
            headers: viewer.headers,
          })).json();
          assert.deepEqual(evicted.stored, { packets: 0, bytes: 0, flows: 0 }, "evicted");
        },
      );

      await t.step("an operator deletes a policy", async () => {
        const res = await req(`/api/v1/pcap/policies/${id}`, {
          method: "DELETE",
          headers: operator.headers,
        });
        assert.equal(res.status, 204);
        const again = await req(`/api/v1/pcap/policies/${id}`, {
          method: "DELETE",
          headers: operator.headers,
        });
        assert.equal(again.status, 404);
      });
    } finally {
      await tdb.dispose();
    }
  });
}
