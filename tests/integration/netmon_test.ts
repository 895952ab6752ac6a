import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { type Database, PartitionManager } from "../../manager/db/mod.ts";
import {
  hopOfTuple,
  parseNetmonParams,
  pathOfFlow,
  queryResources,
  queryTopology,
  rollupRange,
  traceNat,
} from "../../manager/netmon/mod.ts";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { adminApiHeaders, createTestUser, sessionFor } from "../support/auth.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { installTestLicense } from "../support/license.ts";
import { natRecords, storeFlowRecords } from "../support/netmon.ts";
import { generateNatScenario } from "../tools/_nat.ts";

const START = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

const metricsSnapshot = (database: Database) =>
  database.rows(sql`select * from network_metrics_1m order by 1, 2, 3, 4, 5, 6, 7, 8`);

for (const engine of testEngines()) {
  Deno.test(`netmon (${engine}): SNAT/LB capture → NAT trace, path deltas, topology, rollup`, async (t) => {
    const test = await openTestDatabase(engine);
    try {
      const { database } = test;
      const plain = generateNatScenario({ start: START });
      const randomized = generateNatScenario({ start: START + HOUR, randomizeSeq: true, seed: 9 });
      const plainRecords = natRecords(plain);
      const randomRecords = natRecords(randomized);
      await storeFlowRecords(database, "npb-1", plainRecords);
      await storeFlowRecords(database, "npb-2", randomRecords);
      const day = { fromMs: START, toMs: START + 24 * HOUR };
      // The two scenarios reuse the client tuples, an hour apart.
      const firstHour = { fromMs: START, toMs: START + HOUR };
      const secondHour = { fromMs: START + HOUR, toMs: START + 2 * HOUR };

      await t.step("rollupRange() is idempotent and keeps every byte", async () => {
        await rollupRange(database, day);
        const first = await metricsSnapshot(database);
        await rollupRange(database, day);
        await rollupRange(database, { fromMs: START, toMs: START + 5 * 60_000 });
        assert.deepEqual(await metricsSnapshot(database), first);
        const [sums] = await database.rows<{ m: string; h: string; f: string }>(sql`
          select (select sum(byte_tx + byte_rx) from network_metrics_1m) as m,
            (select sum(byte_tx + byte_rx) from network_metrics_1h) as h,
            (select sum(byte_tx + byte_rx) from flow_log) as f`);
        assert.equal(Number(sums!.m), Number(sums!.f));
        assert.equal(Number(sums!.h), Number(sums!.f));
      });

      await t.step("traceNat() finds exactly the counterpart across SNAT + LB", async () => {
        for (const conn of plain.connections) {
          for (const [from, to] of [["outside", "inside"], ["inside", "outside"]] as const) {
            const origin = await hopOfTuple(database, { ...conn[from], protocol: 6 }, firstHour);
            assert.ok(origin, `${from} flow of ${conn.outside.clientPort}`);
            const trace = await traceNat(database, origin, { strictness: "normal" });
            const matches = trace.candidates.filter((c) => c.match);
            assert.equal(matches.length, 1, JSON.stringify(trace.candidates.map((c) => c.score)));
            const hop = matches[0]!.hop;
            assert.deepEqual(
              {
                ip0: hop.ip0,
                clientPort: hop.clientPort,
                ip1: hop.ip1,
                serverPort: hop.serverPort,
              },
              conn[to],
            );
            assert.ok(trace.confident);
            assert.deepEqual(trace.chain.map((h) => h.observationPoint), ["c", "s"]);
            const strict = await traceNat(database, origin, { strictness: "strict" });
            assert.equal(strict.candidates.filter((c) => c.match).length, 1);
          }
        }
      });

      await t.step("traceNat() with sequence randomization: no confident match", async () => {
        for (const conn of randomized.connections) {
          const origin = await hopOfTuple(database, { ...conn.outside, protocol: 6 }, secondHour);
          assert.ok(origin);
          const normal = await traceNat(database, origin, { strictness: "normal" });
          assert.equal(normal.confident, false);
          assert.deepEqual(normal.chain.map((h) => h.observationPoint), ["c"]);
          // Loose looks at timing and bytes: the counterpart may show up, but scores low.
          const loose = await traceNat(database, origin, { strictness: "loose" });
          const counterpart = loose.candidates.find((c) =>
            c.hop.clientPort === conn.inside.clientPort && c.hop.ip1 === conn.inside.ip1
          );
          assert.ok(counterpart, "the counterpart is a timing candidate");
          assert.ok(counterpart.score < 60, `score ${counterpart.score}`);
          assert.ok(!counterpart.evidence.includes("syn_seq"));
          assert.equal(loose.candidates[0]?.hop.clientPort, conn.inside.clientPort);
        }
      });

      await t.step("pathOfFlow() shows both points in order with their deltas", async () => {
        const conn = plain.connections[0]!;
        const origin = await hopOfTuple(database, { ...conn.outside, protocol: 6 }, firstHour);
        const path = await pathOfFlow(database, origin!);
        assert.equal(path.confident, true);
        const [outside, inside] = path.steps;
        assert.equal(path.steps.length, 2);
        assert.equal(outside!.observationPoint, "c");
        assert.equal(inside!.observationPoint, "s");
        assert.equal(inside!.ip0, conn.inside.ip0);
        // The first request was lost before the middlebox: resent outside, seen once inside.
        assert.equal(outside!.metrics.retransTx, 1);
        assert.equal(inside!.delta!.retransTx, -1);
        assert.equal(inside!.delta!.packetTx, -1);
        assert.ok(inside!.delta!.byteTx < 0);
        assert.equal(inside!.delta!.byteRx, 0);
        // Inside is nearer the server: the middlebox's 2 × 250 µs move from the server's side of
        // the handshake to the client's.
        assert.equal(inside!.delta!.rttServer, -2 * plain.middleboxDelayUs);
        assert.equal(inside!.delta!.rttClient, 2 * plain.middleboxDelayUs);
      });

      await t.step("queryTopology() edges and totals equal the generated traffic", async () => {
        const { filters } = parseNetmonParams(new URLSearchParams("metric=bytes"));
        const range = { fromMs: START, toMs: START + HOUR };
        const topo = await queryTopology(database, filters, range);
        const expected = new Map<string, number>();
        for (const r of plainRecords) {
          const key = `${r.ip0}>${r.ip1}`;
          expected.set(key, (expected.get(key) ?? 0) + r.byteTx + r.byteRx);
        }
        assert.equal(topo.edges.length, expected.size);
        assert.equal(topo.totalEdges, expected.size);
        for (const e of topo.edges) assert.equal(e.value, expected.get(`${e.from}>${e.to}`));
        const total = plainRecords.reduce((s, r) => s + r.byteTx + r.byteRx, 0);
        assert.equal(topo.totalBytes, total);
        assert.equal(
          topo.layout.nodes.length,
          new Set([...expected.keys()].flatMap((k) => k.split(">"))).size,
        );
      });

      await t.step("queryResources() groups by capture point", async () => {
        const { filters } = parseNetmonParams(
          new URLSearchParams("group=capture_point&metric=bytes"),
        );
        const result = await queryResources(database, filters, {
          fromMs: START,
          toMs: START + HOUR,
        });
        const byPoint = new Map<string, number>();
        for (const r of plainRecords) {
          const key = `npb-1#${r.captureNic}`;
          byPoint.set(key, (byPoint.get(key) ?? 0) + r.byteTx + r.byteRx);
        }
        assert.deepEqual(
          new Map(result.rows.map((r) => [r.key, r.values.bytes])),
          byPoint,
        );
        const charted = result.series.flatMap((s) => s.points).reduce((s, p) => s + p.v, 0);
        assert.equal(charted, [...byPoint.values()].reduce((a, b) => a + b, 0));
      });

      await t.step(
        "queryResources() over 24 h: the per-dimension table equals the 1h table",
        async () => {
          const day = { fromMs: START, toMs: START + 24 * HOUR };
          for (const group of ["ip", "client_ip", "server_ip", "capture_point", "server_port"]) {
            const all = parseNetmonParams(new URLSearchParams({ group, metric: "bytes" })).filters;
            const fast = await queryResources(database, all, day);
            assert.equal(fast.source, "network_metrics_dim_1h");
            assert.ok(fast.rows.length > 0 && fast.series.length > 0, group);
            // A filter that keeps every (IPv4) row forces the 1h table: same groups, same values.
            const slow = await queryResources(database, { ...all, ip: "0.0.0.0/0" }, day);
            assert.equal(slow.source, "network_metrics_1h");
            assert.deepEqual(fast.rows, slow.rows, group);
            assert.deepEqual(fast.series, slow.series, group);
          }
        },
      );

      await t.step(
        "the /network pages and /api/v1/netmon answer, gated by network_monitoring",
        async () => {
          const auth = createAuth(database);
          const makeApp = () =>
            createApp({
              auth,
              database,
              partitions: new PartitionManager(database),
              maxBatchBytes: 1024,
              pageSize: 50,
            });
          const headers = await adminApiHeaders(database);
          const viewer = await sessionFor(auth, (await createTestUser(auth, "viewer")).id);
          const locked = await makeApp().request("/api/v1/netmon/topology", { headers });
          assert.equal(locked.status, 403);
          await locked.body?.cancel();
          await installTestLicense(database, { modules: ["network_monitoring"] });
          const app = makeApp();
          const conn = plain.connections[0]!;
          const tuple = `ip0=${conn.outside.ip0}&port0=${conn.outside.clientPort}` +
            `&ip1=${conn.outside.ip1}&port1=${conn.outside.serverPort}&from=2026-01-01T00:00&to=2026-01-01T01:00`;
          for (
            const path of [
              "/network/resource?from=2026-01-01T00:00&to=2026-01-01T01:00&group=client_ip",
              "/network/topology?from=2026-01-01T00:00&to=2026-01-01T01:00",
              `/network/path?${tuple}`,
              `/network/nat?${tuple}`,
            ]
          ) {
            const res = await app.request(path, { headers: viewer.headers() });
            const body = await res.text();
            assert.equal(res.status, 200, `${path}: ${body.slice(0, 300)}`);
            assert.match(body, /<svg|<table/);
            // One URL serves the page or, for htmx, only the results region.
            const frag = await app.request(path, {
              headers: { ...viewer.headers(), "HX-Request": "true" },
            });
            const fragment = await frag.text();
            assert.equal(frag.status, 200);
            assert.match(fragment, /^<div id="netmon-results"/, path);
            assert.doesNotMatch(fragment, /<html|<form/, path);
            assert.match(fragment, /<svg|<table/, path);
          }
          // The section's own URL lands on resource analysis (it used to answer 404).
          const landing = await app.request("/network?from=2026-01-01T00:00", {
            headers: viewer.headers(),
          });
          assert.equal(landing.status, 302);
          assert.equal(landing.headers.get("location"), "/network/resource?from=2026-01-01T00:00");
          const nat = await app.request(`/api/v1/netmon/nat?${tuple}`, { headers });
          const trace = await nat.json();
          assert.equal(trace.confident, true);
          assert.equal(trace.chain[1].ip0, conn.inside.ip0);
          const bad = await app.request("/api/v1/netmon/resource?metric=nope", { headers });
          assert.equal(bad.status, 400);
          await bad.body?.cancel();
        },
      );
    } finally {
      await test.dispose();
    }
  });
}
