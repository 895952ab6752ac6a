// Traffic distribution management in process (issue #6): points and policies through the JSON API
// and the forms, every problem a 4xx naming its field (libpcap's own message for a bad filter),
// roles, the audit log, license gating, and the config document each appliance gets.
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import {
  createTestUser,
  formPost,
  inProcess,
  jsonRequest,
  sessionFor,
  tokenFor,
} from "../support/auth.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { installTestLicense } from "../support/license.ts";
import { parseDistribution } from "../../appliance/distribute/mod.ts";
import { encodeBatch, type NpbCounterRecord, WIRE_VERSION } from "../../appliance/wire/mod.ts";

const VXLAN = { name: "ids-1", tunnel: "vxlan", vni: 42, destination: "10.99.0.2" };

for (const engine of testEngines()) {
  Deno.test(`distribution API (${engine}): validation, roles, audit, config delivery`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const auth = createAuth(database);
    const app = createApp({
      database,
      partitions: new PartitionManager(database),
      maxBatchBytes: 1 << 20,
      pageSize: 50,
      auth,
    });
    const request = inProcess(app);
    try {
      await installTestLicense(database, { appliances: 10 });
      const operator = await createTestUser(auth, "operator", { name: "op-1" });
      const viewer = await createTestUser(auth, "viewer");
      const op = (await tokenFor(auth, operator, "write")).headers;
      const view = (await tokenFor(auth, viewer, "read")).headers;
      const send = async (method: string, path: string, body: unknown, headers = op) => {
        const res = await request(path, jsonRequest(method, body, headers));
        return { status: res.status, body: await res.json().catch(() => null) };
      };
      const tapA = await enrollTestAppliance({ app, database }, { name: "tap-a" });
      const tapB = await enrollTestAppliance({ app, database }, { name: "tap-b" });
      await send("PATCH", `/api/v1/appliances/${tapB.applianceId}`, { group: "dc2" }, {
        ...(await tokenFor(auth, await createTestUser(auth, "admin"), "admin")).headers,
      });
      const config = async (a: typeof tapA) => {
        const res = await request("/api/v1/appliances/self/config", { headers: a.headers });
        assert.equal(res.status, 200);
        return await res.json();
      };

      let pointId = 0;
      await t.step("points: bad input is a 422 naming every field", async () => {
        const bad = await send("POST", "/api/v1/distribution/points", {
          name: "",
          tunnel: "vxlan",
          vni: 1 << 24,
          destination: "10.0.0.300",
          source: "2001:db8::1",
          mtu: 100,
          vlan: 5000,
          colour: "red",
        });
        assert.equal(bad.status, 422);
        assert.deepEqual(Object.keys(bad.body.errors).sort(), [
          "colour",
          "destination",
          "mtu",
          "name",
          "vlan",
          "vni",
        ]);
        assert.match(bad.body.error, /vni: must be an integer from 0 to 16777215/);
        const erspan = await send("POST", "/api/v1/distribution/points", {
          name: "e",
          tunnel: "erspan3",
          destination: "10.0.0.1",
          port: 9999,
        });
        assert.equal(erspan.status, 422);
        assert.equal(erspan.body.errors.sessionId, "is required for ERSPAN");
        assert.equal(erspan.body.errors.port, "applies to VXLAN only");
        const family = await send("POST", "/api/v1/distribution/points", {
          ...VXLAN,
          source: "2001:db8::1",
        });
        assert.equal(family.body.errors.source, "must be an IPv4 address like the destination");
      });

      await t.step("points: created by an operator, audited; a viewer reads only", async () => {
        const denied = await send("POST", "/api/v1/distribution/points", VXLAN, view);
        assert.equal(denied.status, 403);
        const made = await send("POST", "/api/v1/distribution/points", VXLAN);
        assert.equal(made.status, 201, JSON.stringify(made.body));
        pointId = made.body.id;
        assert.equal(made.body.port, 4789, "VXLAN port defaults to 4789");
        assert.equal(made.body.mtu, 1500);
        const dup = await send("POST", "/api/v1/distribution/points", VXLAN);
        assert.equal(dup.status, 422);
        assert.match(dup.body.errors.name, /exists/);
        const list = await (await request("/api/v1/distribution/points", { headers: view })).json();
        assert.deepEqual(list.points.map((p: { name: string }) => p.name), ["ids-1"]);
        const v6 = await send("POST", "/api/v1/distribution/points", {
          name: "gre-v6",
          tunnel: "gre",
          destination: "2001:db8::9",
          vlan: 100,
        });
        assert.equal(v6.status, 201);
      });

      let policyId = 0;
      await t.step("policies: libpcap's message for a bad filter, other fields named", async () => {
        const bad = await send("POST", "/api/v1/distribution/policies", {
          name: "web",
          filter: "tcp port eighty",
          points: [pointId, 9999],
          slice: { from: "l4", bytes: -1 },
          dedup: { enabled: true, windowMs: 0 },
          masks: [{ from: "l4", offset: 0, length: 0 }],
          direction: "sideways",
        });
        assert.equal(bad.status, 422);
        assert.equal(bad.body.errors.filter, "unknown port 'eighty'");
        assert.equal(bad.body.errors.points, "no distribution point with id 9999");
        assert.ok(bad.body.errors["slice.bytes"]);
        assert.ok(bad.body.errors["dedup.windowMs"]);
        assert.ok(bad.body.errors["masks[0].length"]);
        assert.ok(bad.body.errors.direction);
        const syntax = await send("POST", "/api/v1/distribution/policies", {
          name: "x",
          filter: "host 10.0.0.1 and (",
          points: [pointId],
        });
        assert.match(syntax.body.errors.filter, /syntax error/);
        const none = await send("POST", "/api/v1/distribution/policies", { name: "y" });
        assert.match(none.body.errors.points, /at least one/);
      });

      await t.step("policies: a change bumps the config of the appliances in scope", async () => {
        const [a0, b0] = [await config(tapA), await config(tapB)];
        assert.deepEqual(a0.policies.distribution, []);
        const made = await send("POST", "/api/v1/distribution/policies", {
          name: "web",
          appliances: [tapA.applianceId],
          capturePoints: ["eth1"],
          filter: "tcp port 80",
          points: [pointId],
          slice: { from: "l4", bytes: 64 },
          dedup: { enabled: true, windowMs: 500 },
          bandwidthBps: 10_000_000,
          fuseBps: 50_000_000,
          strip: { vlan: true },
          masks: [{ from: "l4", offset: 0, length: 4 }],
        });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        policyId = made.body.id;
        const [a1, b1] = [await config(tapA), await config(tapB)];
        assert.equal(a1.version, a0.version + 1, "tap-a is in scope");
        assert.equal(b1.version, b0.version, "tap-b is not");
        assert.deepEqual(b1.policies.distribution, []);
        const [doc] = a1.policies.distribution;
        assert.equal(doc.id, `policy-${policyId}`);
        assert.deepEqual(doc.capturePoints, ["eth1"]);
        assert.deepEqual(doc.points, [{
          id: `point-${pointId}`,
          name: "ids-1",
          tunnel: "vxlan",
          destination: "10.99.0.2",
          source: null,
          mtu: 1500,
          vlan: null,
          vni: 42,
          port: 4789,
        }]);
        assert.deepEqual(doc.slice, { from: "l4", bytes: 64 });
        assert.deepEqual(doc.strip, { vlan: true, vxlan: false, gre: false });
        // Moving the policy to group dc2 concerns both appliances.
        const moved = await send("PUT", `/api/v1/distribution/policies/${policyId}`, {
          ...made.body,
          id: undefined,
          createdAt: undefined,
          updatedAt: undefined,
          appliances: [],
          groups: ["dc2"],
        });
        assert.equal(moved.status, 200, JSON.stringify(moved.body));
        const [a2, b2] = [await config(tapA), await config(tapB)];
        assert.equal(a2.version, a1.version + 1);
        assert.equal(b2.version, b1.version + 1);
        assert.deepEqual(a2.policies.distribution, []);
        assert.equal(b2.policies.distribution.length, 1);
        // Editing the point reaches the appliances of the policies that use it.
        const edit = await send("PUT", `/api/v1/distribution/points/${pointId}`, {
          ...VXLAN,
          vni: 43,
        });
        assert.equal(edit.status, 200);
        const b3 = await config(tapB);
        assert.equal(b3.version, b2.version + 1);
        assert.equal(b3.policies.distribution[0].points[0].vni, 43);
        const inUse = await send("DELETE", `/api/v1/distribution/points/${pointId}`, null);
        assert.equal(inUse.status, 409);
        // A drop policy goes first in the document; the appliance's own parser takes it all.
        const drop = await send("POST", "/api/v1/distribution/policies", {
          name: "no-ssh",
          action: "drop",
          filter: "tcp port 22",
          groups: ["dc2"],
        });
        assert.equal(drop.status, 201, JSON.stringify(drop.body));
        const b4 = await config(tapB);
        assert.deepEqual(b4.policies.distribution.map((p: { name: string }) => p.name), [
          "no-ssh",
          "web",
        ]);
        const parsed = parseDistribution(b4.policies.distribution);
        assert.ok(parsed.ok, parsed.ok ? "" : parsed.problems.join("; "));
        assert.equal(parsed.policies[1]!.points[0]!.vni, 43);
        assert.equal(parsed.policies[1]!.bandwidthBps, 10_000_000);
        const gone = await send("DELETE", `/api/v1/distribution/policies/${drop.body.id}`, null);
        assert.equal(gone.status, 204);
        assert.equal((await config(tapB)).version, b4.version + 1);
      });

      await t.step("every change is in the audit log with before and after", async () => {
        const rows = await database.rows<{ action: string; actor: string; before: unknown }>(sql`
          select action, actor_name as actor, before from audit_log
          where action like 'distribution_%' order by id`);
        assert.deepEqual(rows.map((r) => r.action), [
          "distribution_point.create",
          "distribution_point.create",
          "distribution_policy.create",
          "distribution_policy.update",
          "distribution_point.update",
          "distribution_policy.create",
          "distribution_policy.delete",
        ]);
        assert.ok(rows.every((r) => r.actor === "op-1"));
        assert.equal((rows[3]!.before as { groups: string[] }).groups.length, 0);
      });

      await t.step("forms: errors next to the field, without JS", async () => {
        const s = await sessionFor(auth, operator.id);
        const res = await request(
          "/distribution/policies",
          formPost({
            _csrf: s.csrf,
            name: "form-policy",
            filter: "udp port eighty",
            points: String(pointId),
            sliceFrom: "l4",
            sliceBytes: "abc",
          }, { cookie: s.cookie, accept: "text/html" }),
        );
        assert.equal(res.status, 422);
        const html = await res.text();
        assert.match(html, /id="policy-filter-error"[^>]*>unknown port 'eighty'</);
        assert.match(html, /id="policy-sliceBytes-error"[^>]*>must be an integer from 0 to 65535/);
        assert.match(html, /value="udp port eighty"/, "the typed value is shown back");
        const ok = await request(
          "/distribution/policies",
          formPost({
            _csrf: s.csrf,
            name: "form-policy",
            enabled: "on",
            filter: "udp",
            points: String(pointId),
            masks: "l4 0 8\nstart 6 6",
          }, { cookie: s.cookie }),
        );
        assert.equal(ok.status, 303);
        const page = await request(ok.headers.get("location")!, { headers: { cookie: s.cookie } });
        const text = await page.text();
        assert.match(text, /l4 0 8\nstart 6 6/);
        assert.match(text, /id="npb-counters"[^>]*hx-trigger="every 15s"/);
        assert.match(
          text,
          /<form method="post" action="\/distribution\/policies\/\d+\/delete"[^>]*hx-confirm="Delete the policy &quot;form-policy&quot;\?"><input type="hidden" name="_csrf"[^>]*><button type="submit" class="btn btn-danger">Delete policy<\/button><\/form>/,
          "the delete form, asking first",
        );
        // The same URL answers htmx's refresh with the counters panel alone.
        const fragment = await request(ok.headers.get("location")!.split("?")[0]!, {
          headers: { cookie: s.cookie, "hx-request": "true", "hx-target": "npb-counters" },
        });
        const part = await fragment.text();
        assert.match(part, /^<section[^>]*id="npb-counters"/);
        assert.doesNotMatch(part, /<html|policy-form/);
        const viewerPage = await request("/distribution/policies", {
          headers: { cookie: (await sessionFor(auth, viewer.id)).cookie },
        });
        assert.equal(viewerPage.status, 200);
        assert.doesNotMatch(await viewerPage.text(), /New policy/);
      });

      await t.step(
        "npb_counters: ingested, summed per minute, reachability per point",
        async () => {
          const now = Date.now();
          const zero = {
            packets: 0,
            bytes: 0,
            matched: 0,
            filter: 0,
            direction: 0,
            dedup: 0,
            rateLimit: 0,
            fuse: 0,
            sendError: 0,
            truncated: 0,
            lastError: "",
            lastSendAt: 0,
          };
          const records: NpbCounterRecord[] = [
            { ...zero, time: now - 30_000, kind: "policy", id: `policy-${policyId}`, packets: 5 },
            { ...zero, time: now - 20_000, kind: "policy", id: `policy-${policyId}`, packets: 7 },
            { ...zero, time: now - 20_000, kind: "policy", id: `policy-${policyId}`, dedup: 3 },
            {
              ...zero,
              time: now - 20_000,
              kind: "point",
              id: `point-${pointId}`,
              sendError: 4,
              lastError: "sendmmsg: Network is unreachable",
            },
          ];
          const res = await request("/api/v1/ingest", {
            method: "POST",
            headers: { ...tapB.headers, "content-type": "application/cbor" },
            body: encodeBatch({
              v: WIRE_VERSION,
              appliance: tapB.applianceId,
              stream: "npb_counters",
              seq: 1,
              sentAt: now,
              records,
            }) as Uint8Array<ArrayBuffer>,
          });
          assert.equal(res.status, 200, await res.clone().text());
          await res.body?.cancel();
          const policy = await (await request(
            `/api/v1/distribution/policies/${policyId}/counters`,
            { headers: view },
          )).json();
          assert.equal(policy.totals.packets, 12);
          assert.equal(policy.totals.dropDedup, 3);
          assert.equal(
            policy.minutes.reduce((n: number, m: { packets: number }) => n + m.packets, 0),
            12,
          );
          const point = await (await request(
            `/api/v1/distribution/points/${pointId}/counters`,
            { headers: view },
          )).json();
          assert.equal(point.reach.status, "unreachable");
          assert.equal(point.reach.lastError, "sendmmsg: Network is unreachable");
          assert.equal(point.totals.dropSendError, 4);
          const html = await (await request(`/distribution/points/${pointId}`, {
            headers: { cookie: (await sessionFor(auth, viewer.id)).cookie },
          })).text();
          assert.match(html, /data-reach="unreachable"/);
          assert.match(html, /sendmmsg: Network is unreachable/);
          assert.doesNotMatch(html, /Delete point/, "a viewer deletes nothing");
        },
      );

      await t.step("gating: without traffic_distribution every route is 403", async () => {
        await database.rows(sql`delete from license`);
        await installTestLicense(database, { modules: ["network_monitoring"] });
        const fresh = createApp({
          database,
          partitions: new PartitionManager(database),
          maxBatchBytes: 1 << 20,
          pageSize: 50,
          auth,
        });
        const res = await inProcess(fresh)("/api/v1/distribution/policies", { headers: view });
        assert.equal(res.status, 403);
        assert.match((await res.json()).error, /module traffic_distribution is not licensed/);
        const pageRes = await inProcess(fresh)("/distribution/points", {
          headers: { cookie: (await sessionFor(auth, viewer.id)).cookie },
        });
        assert.equal(pageRes.status, 403);
      });
    } finally {
      await tdb.dispose();
    }
  });
}
