import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { migrate, openDatabase, PartitionManager } from "../../manager/db/mod.ts";
import { rollupRange } from "../../manager/netmon/mod.ts";
import { formatMetric } from "../../ui/components/netmon_form.tsx";
import { formatEndpoint } from "../../ui/format.ts";
import { browserCookies, createTestUser, sessionFor } from "../support/auth.ts";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { installTestLicense } from "../support/license.ts";
import { natRecords, storeFlowRecords } from "../support/netmon.ts";
import { testWithTools } from "../support/tools.ts";
import { generateNatScenario, NAT_SNAT_IP as NAT_SNAT, type NatTuple } from "../tools/_nat.ts";

const START = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const FIRST_HOUR = "from=2026-01-01T00:00&to=2026-01-01T01:00";
const SECOND_HOUR = "from=2026-01-01T01:00&to=2026-01-01T02:00";

const tupleQuery = (t: NatTuple) =>
  `ip0=${t.ip0}&port0=${t.clientPort}&ip1=${t.ip1}&port1=${t.serverPort}`;
const addresses = (t: NatTuple) =>
  `${formatEndpoint(t.ip0, t.clientPort)} → ${formatEndpoint(t.ip1, t.serverPort)}`;
const text = (s: string) => s.replace(/\s+/g, " ").trim();

/** Clicks the middle of an SVG path's stroke, where a user would (its box centre may be empty). */
async function clickPathMiddle(page: Page, selector: string): Promise<void> {
  const point = await page.locator(selector).evaluate((el) => {
    const path = el as SVGPathElement;
    const p = path.getPointAtLength(path.getTotalLength() / 2);
    const m = path.getScreenCTM()!;
    return { x: p.x * m.a + p.y * m.c + m.e, y: p.x * m.b + p.y * m.d + m.f };
  });
  await page.mouse.click(point.x, point.y);
}

testWithTools(
  "network monitoring pages in Chromium: resource, topology, path and NAT tracing on SNAT/LB data",
  [CHROMIUM],
  async (t) => {
    // The manager in this process over an in-memory PGlite: a replayed pcap cannot say which
    // capture point it was taken at, so the scenario's tagged records are written directly.
    const database = await openDatabase({ dataDir: "memory://" });
    await migrate(database);
    const plain = generateNatScenario({ start: START });
    const randomized = generateNatScenario({ start: START + HOUR, randomizeSeq: true, seed: 9 });
    const plainRecords = natRecords(plain);
    await storeFlowRecords(database, "npb-1", plainRecords);
    await storeFlowRecords(database, "npb-2", natRecords(randomized));
    await rollupRange(database, { fromMs: START, toMs: START + 2 * HOUR });
    await installTestLicense(database, { modules: ["network_monitoring"] });
    const auth = createAuth(database);
    const app = createApp({
      auth,
      database,
      partitions: new PartitionManager(database),
      maxBatchBytes: 1 << 20,
      pageSize: 50,
    });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const viewer = await sessionFor(auth, (await createTestUser(auth, "viewer")).id);
    const browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies(browserCookies(base, viewer));
    await Deno.mkdir(OUTPUT, { recursive: true });
    try {
      await t.step("resource analysis: totals per capture point, sort, drill-down", async () => {
        const page = await context.newPage();
        await page.goto(`${base}/network/resource?${FIRST_HOUR}&group=capture_point`);
        const expected = new Map<string, number>();
        for (const r of plainRecords) {
          const key = `npb-1#${r.captureNic}`;
          expected.set(key, (expected.get(key) ?? 0) + r.byteTx + r.byteRx);
        }
        const rows = page.locator("#resource-table tbody tr");
        assert.equal(await rows.count(), expected.size);
        for (const [key, bytes] of expected) {
          const row = rows.filter({ has: page.locator("th", { hasText: key }) });
          // The first metric column is Bytes.
          assert.equal(
            text(await row.locator("td").first().innerText()),
            formatMetric("bytes", bytes),
          );
        }
        assert.equal(
          await page.locator(".line-chart .line-series polyline").count(),
          expected.size,
        );
        await page.screenshot({ path: `${OUTPUT}netmon-resource.png`, fullPage: true });

        // htmx: changing the charted metric replaces only the results, from the same URL.
        await page.evaluate(() => ((globalThis as { __marker?: number }).__marker = 7));
        await page.selectOption("#nm-metric", "packets");
        await page.waitForFunction(() =>
          /^Packets by/.test(document.querySelector("#res-chart")?.textContent ?? "")
        );
        assert.match(page.url(), /[?&]metric=packets\b/);
        assert.equal(await page.evaluate(() => (globalThis as { __marker?: number }).__marker), 7);
        assert.equal(await page.locator("#netmon-results").count(), 1);

        await Promise.all([
          page.waitForURL(/[?&]sort=packets\b/),
          page.locator("#resource-table thead th a", { hasText: /^Packets$/ }).click(),
        ]);
        assert.equal(
          await page.locator("#resource-table thead th[aria-sort=descending]").innerText(),
          "Packets",
        );
        // Drill-down: the inside capture point by server IP shows the real servers behind the LB.
        await Promise.all([
          page.waitForURL(/group=server_ip/),
          page.locator("#resource-table tbody th a", { hasText: "npb-1#2" }).click(),
        ]);
        assert.match(decodeURIComponent(page.url()), /appliance=npb-1#2/);
        const servers = (await page.locator("#resource-table tbody th").allInnerTexts())
          .map(text).sort();
        assert.deepEqual(servers, ["10.9.1.11", "10.9.1.12"]);
        await page.close();
      });

      await t.step(
        "topology: an SVG edge per generated pair, totals, node and edge drill-down",
        async () => {
          const page = await context.newPage();
          await page.goto(`${base}/network/topology?${FIRST_HOUR}&metric=bytes`);
          const expected = new Map<string, number>();
          for (const r of plainRecords) {
            const key = `${r.ip0}>${r.ip1}`;
            expected.set(key, (expected.get(key) ?? 0) + r.byteTx + r.byteRx);
          }
          const edges = await page.locator("svg.topology a.topo-edge").evaluateAll((els) =>
            els.map((el) => el.getAttribute("data-edge")!)
          );
          assert.deepEqual(edges.sort(), [...expected.keys()].sort());
          const nodes = new Set([...expected.keys()].flatMap((k) => k.split(">")));
          assert.equal(await page.locator("svg.topology a.topo-node").count(), nodes.size);
          for (const tr of await page.locator("#topology-table tbody tr").all()) {
            const [client, server, value] = (await tr.locator("td").allInnerTexts()).map(text);
            assert.equal(value, formatMetric("bytes", expected.get(`${client}>${server}`)!));
          }
          const total = [...expected.values()].reduce((a, b) => a + b, 0);
          assert.equal(
            text(await page.locator("#topology-total").innerText()),
            formatMetric("bytes", total),
          );
          // The busiest edge is at least 90 % of the peak (itself): red.
          assert.equal(
            await page.locator("svg.topology a.topo-edge.level-crit").count() >= 1,
            true,
          );
          await page.screenshot({ path: `${OUTPUT}netmon-topology.png`, fullPage: true });

          // Node → resource analysis of that IP.
          await Promise.all([
            page.waitForURL(/\/network\/resource\?/),
            page.locator(`svg.topology a.topo-node[data-node="${NAT_SNAT}"] rect`).click(),
          ]);
          assert.match(page.url(), new RegExp(`ip=${NAT_SNAT.replaceAll(".", "\\.")}`));
          assert.ok(await page.locator("#resource-table tbody tr").count() > 0);

          // Edge → path analysis of that client → server pair.
          await page.goto(`${base}/network/topology?${FIRST_HOUR}&metric=bytes`);
          const edge = `${NAT_SNAT}>10.9.1.11`;
          await Promise.all([
            page.waitForURL(/\/network\/path\?/),
            clickPathMiddle(page, `svg.topology a.topo-edge[data-edge="${edge}"] path`),
          ]);
          assert.match(page.url(), /client=10\.9\.0\.1&server=10\.9\.1\.11/);
          assert.equal(await page.locator(".path-diagram .path-step").count(), 1);
          assert.equal(text(await page.locator(".path-diagram .path-op").textContent() ?? ""), "s");
          await page.close();
        },
      );

      await t.step("path analysis: both capture points in path order with the deltas", async () => {
        const conn = plain.connections[0]!;
        const page = await context.newPage();
        await page.goto(`${base}/network/path?${FIRST_HOUR}&${tupleQuery(conn.outside)}`);
        assert.deepEqual(
          (await page.locator(".path-diagram .path-op").allTextContents()).map(text),
          ["c", "s"],
        );
        assert.deepEqual(
          (await page.locator(".path-diagram .path-addr").allTextContents()).map(text),
          [addresses(conn.outside), addresses(conn.inside)],
        );
        const row = (label: string) =>
          page.locator("#path-table-data tbody tr", {
            has: page.locator("th", { hasText: label }),
          });
        // The first request was lost before the middlebox: resent outside, seen once inside.
        const retrans = row("Retrans c→s").locator("td");
        assert.equal(text(await retrans.nth(0).innerText()), "1");
        assert.equal(text(await retrans.nth(1).locator(".delta").innerText()), "−1");
        assert.match(
          (await retrans.nth(1).locator(".delta").getAttribute("class"))!,
          /delta-better/,
        );
        const packets = row("Packets c→s").locator("td").nth(1).locator(".delta");
        assert.equal(text(await packets.innerText()), "−1");
        assert.match((await packets.getAttribute("class"))!, /delta-worse/);
        const rttServer = row("Server RTT").locator("td").nth(1).locator(".delta");
        assert.equal(text(await rttServer.innerText()), `−${2 * plain.middleboxDelayUs} µs`);
        assert.equal(
          text(await row("Bytes s→c").locator("td").nth(1).locator(".delta").innerText()),
          "±0",
        );
        await page.screenshot({ path: `${OUTPUT}netmon-path.png`, fullPage: true });

        // htmx: a new client → server pair replaces only the results, from the same URL.
        await page.evaluate(() => ((globalThis as { __marker?: number }).__marker = 11));
        await page.fill("#nm-client", NAT_SNAT);
        await page.fill("#nm-server", "10.9.1.11");
        await page.click(".filter-bar button[type=submit]");
        await page.waitForFunction(
          (want) => document.querySelector("#path-title")?.textContent === want,
          `${NAT_SNAT} → 10.9.1.11`,
        );
        assert.match(page.url(), /client=10\.9\.0\.1&server=10\.9\.1\.11/);
        assert.equal(await page.evaluate(() => (globalThis as { __marker?: number }).__marker), 11);
        assert.equal(await page.locator("#netmon-results").count(), 1);
        assert.deepEqual(
          (await page.locator(".path-diagram .path-op").allTextContents()).map(text),
          ["s"],
        );
        await page.close();
      });

      await t.step(
        "NAT tracing: the chain across SNAT + LB, and no match when randomized",
        async () => {
          const conn = plain.connections[1]!;
          const page = await context.newPage();
          await page.goto(`${base}/network/nat?${FIRST_HOUR}&${tupleQuery(conn.outside)}`);
          assert.equal(text(await page.locator("#nat-verdict").innerText()), "Matched (normal)");
          assert.deepEqual(
            (await page.locator("#nat-chain-table tbody td.mono").allInnerTexts()).map(text),
            [addresses(conn.outside), addresses(conn.inside)],
          );
          assert.deepEqual(
            (await page.locator(".nat-chain .nat-hop-addr").allInnerTexts()).map(text),
            [addresses(conn.outside), addresses(conn.inside)],
          );
          const best = page.locator("#nat-candidates-table tbody tr").first();
          assert.match((await best.getAttribute("class"))!, /\bmatch\b/);
          assert.match(text(await best.innerText()), /syn_seq, syn_ack_seq/);
          assert.equal(await page.locator("#nat-candidates-table tbody tr.match").count(), 1);
          await page.screenshot({ path: `${OUTPUT}netmon-nat.png`, fullPage: true });

          // htmx: tracing again (another strictness, then another tuple) swaps only the results.
          await page.evaluate(() => ((globalThis as { __marker?: number }).__marker = 13));
          await page.selectOption("#nm-strictness", "strict");
          await page.click(".filter-bar button[type=submit]");
          await page.waitForFunction(() =>
            document.querySelector("#nat-verdict")?.textContent === "Matched (strict)"
          );
          assert.match(page.url(), /[?&]strictness=strict\b/);
          const other = randomized.connections[0]!.outside;
          await page.fill("#nm-from", "2026-01-01T01:00");
          await page.fill("#nm-to", "2026-01-01T02:00");
          await page.fill("#nm-ip0", other.ip0);
          await page.fill("#nm-port0", String(other.clientPort));
          await page.fill("#nm-ip1", other.ip1);
          await page.fill("#nm-port1", String(other.serverPort));
          await page.selectOption("#nm-strictness", "normal");
          await page.click(".filter-bar button[type=submit]");
          await page.waitForFunction(() =>
            document.querySelector("#nat-verdict")?.textContent === "No confident match (normal)"
          );
          assert.match(page.url(), new RegExp(`port0=${other.clientPort}\\b`));
          assert.equal(
            await page.evaluate(() => (globalThis as { __marker?: number }).__marker),
            13,
          );
          assert.equal(await page.locator("#netmon-results").count(), 1);
          await page.goto(`${base}/network/nat?${FIRST_HOUR}&${tupleQuery(conn.outside)}`);

          // The chain's Path link opens path analysis of the traced flow.
          await Promise.all([
            page.waitForURL(/\/network\/path\?flow=/),
            page.locator("#nat-chain-table tbody tr").first().locator("a", { hasText: "Path" })
              .click(),
          ]);
          assert.equal(await page.locator(".path-diagram .path-step").count(), 2);

          const hidden = randomized.connections[1]!;
          await page.goto(`${base}/network/nat?${SECOND_HOUR}&${tupleQuery(hidden.outside)}`);
          assert.equal(
            text(await page.locator("#nat-verdict").innerText()),
            "No confident match (normal)",
          );
          assert.equal(await page.locator("#nat-chain-table tbody tr").count(), 1);
          await page.screenshot({ path: `${OUTPUT}netmon-nat-no-match.png`, fullPage: true });
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
