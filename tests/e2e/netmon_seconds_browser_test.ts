/**
 * The per-second chart of resource analysis in Chromium (issue #9): a generated capture of the
 * last half hour, its flow records and its `metrics_1s` batches stored through ingest; a range of
 * an hour charts one point per second from network_metrics_1s and says so, a longer one the
 * minute table.
 */
import assert from "node:assert/strict";
import { readPcap } from "../../appliance/capture/mod.ts";
import { buildFlows } from "../../appliance/pipeline.ts";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { migrate, openDatabase, PartitionManager } from "../../manager/db/mod.ts";
import { storeBatch } from "../../manager/ingest/mod.ts";
import { rollupRange } from "../../manager/netmon/mod.ts";
import { browserCookies, createTestUser, sessionFor } from "../support/auth.ts";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { installTestLicense } from "../support/license.ts";
import { storeFlowRecords } from "../support/netmon.ts";
import { testWithTools } from "../support/tools.ts";
import { generate } from "../tools/gen_pcap.ts";

const MIN = 60_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);

testWithTools(
  "resource analysis in Chromium: a per-second chart for an hour, per-minute beyond",
  [CHROMIUM],
  async (t) => {
    const database = await openDatabase({ dataDir: "memory://" });
    await migrate(database);
    const partitions = new PartitionManager(database);
    const startMs = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;
    const { bytes } = generate({ flows: 80, durationS: 180, seed: 11, start: startMs });
    const summary = buildFlows(readPcap(bytes), { seconds: true, observationPoint: "c" });
    await storeFlowRecords(database, "npb-1", summary.records);
    const seconds = summary.seconds!;
    for (let i = 0; i * 500 < seconds.length; i++) {
      await storeBatch(database, partitions, {
        v: 2,
        appliance: "npb-1",
        stream: "metrics_1s",
        seq: i,
        sentAt: Date.now(),
        records: seconds.slice(i * 500, (i + 1) * 500),
      });
    }
    await rollupRange(database, { fromMs: startMs - HOUR, toMs: startMs + HOUR });
    await installTestLicense(database, { modules: ["network_monitoring"] });
    const auth = createAuth(database);
    const app = createApp({ auth, database, partitions, maxBatchBytes: 1 << 20, pageSize: 50 });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const viewer = await sessionFor(auth, (await createTestUser(auth, "viewer")).id);
    const browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies(browserCookies(base, viewer));
    await Deno.mkdir(OUTPUT, { recursive: true });
    const from = startMs - 10 * MIN;
    try {
      await t.step(
        "an hour: one point per second with traffic, from network_metrics_1s",
        async () => {
          const page = await context.newPage();
          await page.goto(
            `${base}/network/resource?from=${iso(from)}&to=${iso(from + HOUR)}&group=server_ip`,
          );
          assert.equal(
            (await page.locator("#res-resolution").innerText()).trim(),
            "Resolution: 1 second (from network_metrics_1s)",
          );
          const lines = page.locator(".line-chart .line-series polyline");
          const rows = await page.locator("#resource-table tbody tr").count();
          assert.ok(rows > 0);
          assert.equal(await lines.count(), rows);
          // Each server's line has a point per second it had traffic in.
          const busiest = new Map<string, Set<number>>();
          for (const r of seconds) {
            const set = busiest.get(r.ip1) ?? new Set<number>();
            set.add(r.time);
            busiest.set(r.ip1, set);
          }
          const counts = (await lines.evaluateAll((els) =>
            els.map((el) =>
              (el.getAttribute("points") ?? "").trim().split(/\s+/).length
            )
          )).sort((a, b) => b - a);
          const expected = [...busiest.values()].map((s) => s.size).sort((a, b) => b - a);
          assert.deepEqual(counts, expected.slice(0, counts.length));
          // The capture spans 3 minutes: a per-minute line would have at most 4 points.
          assert.ok(counts[0]! > 20, `${counts[0]} points`);
          await page.screenshot({
            path: `${OUTPUT}netmon-resource-per-second.png`,
            fullPage: true,
          });

          // Widening the range (htmx replaces the results) switches to the minute table.
          await page.fill("#nm-from", iso(from - HOUR));
          await page.locator(".filter-actions button[type=submit]").click();
          await page.waitForFunction(() =>
            /min \(from network_metrics_1m\)/.test(
              document.querySelector("#res-resolution")?.textContent ?? "",
            )
          );
          assert.match(page.url(), new RegExp(`from=${encodeURIComponent(iso(from - HOUR))}`));
          await page.close();
        },
      );
    } finally {
      await context.close();
      await browser.close();
      await server.shutdown();
      await database.close();
    }
  },
);
