/**
 * Per-second network metrics on their real path (issue #9): a generated capture of the last half
 * hour goes through `appliance replay` and through `appliance run --replay` into the manager
 * (stream `metrics_1s` → network_metrics_1s, tagged at ingest); the seconds add up to the flow
 * log per (client, server, protocol, port), resource analysis charts them per second for a range
 * of at most an hour (the minute tables otherwise), and the rollup job's prune keeps one hour.
 * PGlite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { createApp } from "../../manager/app.ts";
import { AuditLog, createAuth } from "../../manager/auth/mod.ts";
import { type Database, PartitionManager } from "../../manager/db/mod.ts";
import { InventoryService } from "../../manager/inventory/mod.ts";
import {
  parseNetmonParams,
  pruneSeconds,
  queryResources,
  RollupJob,
  rollupRange,
} from "../../manager/netmon/mod.ts";
import { enrollWithToken } from "../support/appliance.ts";
import { adminApiHeaders, createTestUser, sessionFor } from "../support/auth.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { createEnrollmentToken } from "../support/fleet.ts";
import { devLicenseService, installTestLicense } from "../support/license.ts";
import { runDeno, spawnDeno } from "../support/procs.ts";
import { generate } from "../tools/gen_pcap.ts";

const MIN = 60_000;
const HOUR = 3_600_000;

/** Per (client, server, protocol, port): packets, bytes, new and closed flows. */
async function byKey(database: Database, applianceId: string, table: "flow_log" | "1s") {
  const rows = await database.rows<Record<string, string | number>>(
    table === "flow_log"
      ? sql`select host(ip_0) || '|' || host(ip_1) || '|' || protocol || '|' || server_port as k,
            sum(packet_tx) as ptx, sum(packet_rx) as prx, sum(byte_tx) as btx,
            sum(byte_rx) as brx, sum(is_new_flow) as nf,
            count(*) filter (where close_type <> 0) as cf
          from flow_log where appliance_id = ${applianceId} group by 1 order by 1`
      : sql`select host(ip_0) || '|' || host(ip_1) || '|' || protocol || '|' || server_port as k,
            sum(packet_tx) as ptx, sum(packet_rx) as prx, sum(byte_tx) as btx,
            sum(byte_rx) as brx, sum(new_flow) as nf, sum(closed_flow) as cf
          from network_metrics_1s where appliance_id = ${applianceId} group by 1 order by 1`,
  );
  return rows.map((r) => Object.values(r).map((v, i) => (i === 0 ? v : Number(v))));
}

async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

for (const engine of testEngines()) {
  Deno.test(`netmon (${engine}): appliance metrics_1s → network_metrics_1s → per-second chart`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const tmp = await Deno.makeTempDir({ prefix: "tapline-seconds-" });
    // The last half hour, so the seconds are within the hour kept.
    const startMs = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;
    const { bytes } = generate({ flows: 120, durationS: 240, seed: 5, start: startMs });
    const pcap = `${tmp}/c.pcap`;
    await Deno.writeFile(pcap, bytes);
    await installTestLicense(database, { appliances: 10 });
    const auth = createAuth(database);
    const inventory = new InventoryService(database, { audit: new AuditLog(database).record });
    await inventory.create({ kind: "system", name: "test" }, "host", {
      name: "web-80",
      ips: ["10.0.0.80"],
    });
    const app = createApp({
      auth,
      database,
      partitions: new PartitionManager(database),
      maxBatchBytes: 8 << 20,
      pageSize: 50,
      licenses: devLicenseService(database),
      inventory,
    });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
    const url = `http://127.0.0.1:${server.addr.port}`;
    const enroll = async (stateDir: string) => {
      await enrollWithToken(url, stateDir, await createEnrollmentToken({ app, database }));
      return JSON.parse(await Deno.readTextFile(`${stateDir}/identity.json`)).applianceId as string;
    };
    try {
      const first = await enroll(`${tmp}/a`);
      await t.step("appliance replay: the seconds add up to the flow log per key", async () => {
        const run = await runDeno("appliance/main.ts", ["replay", pcap, "--state-dir", `${tmp}/a`]);
        assert.equal(run.code, 0, run.stderr + run.stdout);
        const flows = await byKey(database, first, "flow_log");
        assert.ok(flows.length > 20, `${flows.length} keys`);
        assert.deepEqual(await byKey(database, first, "1s"), flows);
        const [span] = await database.rows<{ n: string | number; lo: Date; hi: Date }>(sql`
          select count(distinct time) as n, min(time) as lo, max(time) as hi
          from network_metrics_1s where appliance_id = ${first}`);
        assert.ok(Number(span!.n) > 100, `${span!.n} seconds`);
        assert.ok(new Date(span!.lo).getTime() >= startMs);
        // AutoTagging at ingest, as flow rows.
        const [tagged] = await database.rows<{ n: string | number; bad: string | number }>(sql`
          select count(*) filter (where host_1 = 'web-80') as n,
            count(*) filter (where (host(ip_1) = '10.0.0.80') <> (host_1 = 'web-80')) as bad
          from network_metrics_1s where appliance_id = ${first}`);
        assert.ok(Number(tagged!.n) > 0);
        assert.equal(Number(tagged!.bad), 0);
      });

      await t.step("appliance run --replay sends the same seconds", async () => {
        const second = await enroll(`${tmp}/b`);
        const agent = spawnDeno("appliance/main.ts", [
          "run",
          "--replay",
          pcap,
          "--state-dir",
          `${tmp}/b`,
        ]);
        try {
          const want = await byKey(database, first, "1s");
          await eventually("the agent's seconds stored", 30_000, async () => {
            const got = await byKey(database, second, "1s");
            return JSON.stringify(got) === JSON.stringify(want) ? got : undefined;
          });
        } finally {
          try {
            agent.child.kill("SIGTERM");
          } catch { /* already gone */ }
          await agent.child.status;
          await agent.done;
        }
      });

      const headers = await adminApiHeaders(database);
      const hour = { fromMs: Math.floor(startMs / HOUR) * HOUR, toMs: 0 };
      hour.toMs = hour.fromMs + HOUR;
      // The capture may straddle an hour boundary: an hour from its first minute instead.
      const range = startMs + 5 * MIN > hour.toMs
        ? { fromMs: startMs, toMs: startMs + HOUR }
        : hour;
      const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
      await rollupRange(database, { fromMs: startMs - HOUR, toMs: startMs + 2 * HOUR });

      await t.step(
        "resource analysis charts per second for an hour, per minute beyond",
        async () => {
          const { filters, errors } = parseNetmonParams(
            new URLSearchParams(`from=${iso(range.fromMs)}&to=${iso(range.toMs)}&group=server_ip`),
          );
          assert.deepEqual(errors, {});
          const r = await queryResources(database, filters, range);
          assert.equal(r.seriesSource, "network_metrics_1s");
          assert.equal(r.bucketSeconds, 1);
          assert.ok(r.rows.length > 0);
          for (const row of r.rows) {
            const series = r.series.find((s) => s.key === row.key)!;
            const total = series.points.reduce((n, p) => n + p.v, 0);
            assert.equal(total, row.values.bytes, row.key);
            assert.ok(series.points.every((p) => p.t % 1000 === 0));
          }
          const seconds = new Set(r.series.flatMap((s) => s.points.map((p) => p.t)));
          assert.ok(seconds.size > 60, `${seconds.size} seconds charted`);

          const longer = { fromMs: range.fromMs - HOUR, toMs: range.toMs };
          const wide = await queryResources(database, filters, longer);
          assert.equal(wide.seriesSource, "network_metrics_1m");
          assert.ok(wide.bucketSeconds >= 60);
          // A metric the appliance does not count per second reads the minute table.
          const rtt = await queryResources(database, { ...filters, metric: "rtt" }, range);
          assert.equal(rtt.seriesSource, "network_metrics_1m");

          const q = `from=${iso(range.fromMs)}&to=${iso(range.toMs)}&group=server_ip`;
          const api = await app.request(`/api/v1/netmon/resource?${q}`, { headers });
          assert.equal(api.status, 200);
          const body = await api.json();
          assert.equal(body.seriesSource, "network_metrics_1s");
          const viewer = await sessionFor(auth, (await createTestUser(auth, "viewer")).id);
          const page = await app.request(`/network/resource?${q}`, { headers: viewer.headers() });
          const html = await page.text();
          assert.equal(page.status, 200, html.slice(0, 300));
          assert.match(
            html,
            /id="res-resolution"[^>]*>Resolution: 1 second \(from network_metrics_1s\)/,
          );
          const minutes = await app.request(
            `/network/resource?from=${iso(longer.fromMs)}&to=${iso(longer.toMs)}&group=server_ip`,
            { headers: { ...viewer.headers(), "HX-Request": "true" } },
          );
          assert.match(await minutes.text(), /Resolution: \d+ min \(from network_metrics_1m\)/);
        },
      );

      await t.step("pruneSeconds() and the rollup job keep the last hour only", async () => {
        const count = async () =>
          Number(
            (await database.rows<{ n: string | number }>(
              sql`select count(*) as n from network_metrics_1s`,
            ))[0]!.n,
          );
        const all = await count();
        const cut = startMs + 120_000;
        const removed = await pruneSeconds(database, cut + HOUR);
        assert.ok(removed > 0 && removed < all, `${removed} of ${all}`);
        assert.equal(await count(), all - removed);
        const [oldest] = await database.rows<{ t: Date }>(
          sql`select min(time) as t from network_metrics_1s`,
        );
        assert.ok(new Date(oldest!.t).getTime() >= cut);
        const job = new RollupJob(database, { now: () => startMs + 2 * HOUR });
        await job.tick();
        assert.equal(await count(), 0);
        // Flow logs and minute metrics are not touched.
        const [left] = await database.rows<{ n: string | number }>(
          sql`select count(*) as n from network_metrics_1m`,
        );
        assert.ok(Number(left!.n) > 0);
      });
    } finally {
      await server.shutdown();
      await tdb.dispose();
      await Deno.remove(tmp, { recursive: true });
    }
  });
}
