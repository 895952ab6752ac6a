/**
 * The request-log views in Chromium (issue #8): the request log (histogram, sort, detail panel
 * with the row's fields), app resource analysis, app topology and DB analysis over the known
 * data set of tests/support/requests.ts. Screenshots in tests/output/.
 */
import assert from "node:assert/strict";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { migrate, openDatabase, PartitionManager } from "../../manager/db/mod.ts";
import { storeBatch } from "../../manager/ingest/mod.ts";
import { browserCookies, createTestUser, sessionFor } from "../support/auth.ts";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { installTestLicense } from "../support/license.ts";
import { REQUEST_SET, requestBatch } from "../support/requests.ts";
import { testWithTools } from "../support/tools.ts";

const RANGE = "from=2026-01-05T10:00&to=2026-01-05T11:00";
const text = (s: string | null) => (s ?? "").replace(/\s+/g, " ").trim();

testWithTools("request-log views in Chromium: search, sort, detail, RED, topology, DB", [
  CHROMIUM,
], async (t) => {
  const database = await openDatabase({ dataDir: "memory://" });
  await migrate(database);
  const partitions = new PartitionManager(database);
  await storeBatch(database, partitions, requestBatch(REQUEST_SET, { appliance: "npb-1" }));
  await installTestLicense(database);
  const auth = createAuth(database);
  const app = createApp({ auth, database, partitions, maxBatchBytes: 1 << 20, pageSize: 50 });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const viewer = await sessionFor(auth, (await createTestUser(auth, "viewer")).id);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies(browserCookies(base, viewer));
  await Deno.mkdir(OUTPUT, { recursive: true });
  try {
    await t.step("request log: filter, sort by duration, open the detail panel", async () => {
      const page = await context.newPage();
      await page.goto(`${base}/requests?${RANGE}`);
      assert.equal(await page.locator("#request-total").textContent(), "23");
      assert.equal(await page.locator(".histogram-bar").count() > 0, true);
      await page.selectOption("#nm-protocol", "http");
      await page.click("form.filter-bar button[type=submit]");
      await page.waitForURL(/protocol=http/);
      assert.equal(await page.locator("#request-total").textContent(), "11");
      await page.goto(`${base}/requests?${RANGE}`);
      await page.click("#request-table thead a:has-text('Duration')");
      await page.waitForURL(/sort=duration/);
      const first = page.locator("#request-table tbody tr").first();
      assert.equal(text(await first.locator("td.num").last().textContent()), "20 ms");
      await first.locator("td a").first().click();
      await page.waitForURL(/row=/);
      const panel = page.locator("#request-detail.is-open");
      assert.match(text(await panel.textContent()), /insert into orders values/);
      assert.equal(
        text(
          await panel.locator(".detail-field", { hasText: "normalized_statement" }).locator("dd")
            .textContent(),
        ),
        "insert into orders values (?)",
      );
      await page.screenshot({ path: `${OUTPUT}requests_detail.png`, fullPage: false });
      await page.close();
    });

    await t.step("app resource analysis: RED per service", async () => {
      const page = await context.newPage();
      await page.goto(`${base}/app/resource?${RANGE}&metric=p99`);
      const row = page.locator("#red-table tbody tr", { hasText: "10.0.0.2:80" });
      assert.equal(text(await row.locator("td[data-metric=errorRatio]").textContent()), "36.36%");
      assert.equal(text(await row.locator("td[data-metric=requests]").textContent()), "11");
      assert.equal(await page.locator("svg.line-chart .line-series").count() > 0, true);
      await page.screenshot({ path: `${OUTPUT}app_resource.png`, fullPage: true });
      await page.close();
    });

    await t.step("app topology: edges coloured by error ratio", async () => {
      const page = await context.newPage();
      await page.goto(`${base}/app/topology?${RANGE}`);
      assert.equal(
        await page.locator(`[data-edge="10.0.0.1>10.0.0.2:80"]`).getAttribute("class"),
        "topo-edge level-crit",
      );
      await page.screenshot({ path: `${OUTPUT}app_topology.png`, fullPage: true });
      await page.close();
    });

    await t.step("DB analysis: statements by total time, breakdowns, slow list", async () => {
      const page = await context.newPage();
      await page.goto(`${base}/db?${RANGE}`);
      await page.click("#db-statements thead a:has-text('Total time')");
      await page.waitForURL(/order=total/);
      const top = page.locator("#db-statements tbody tr").first();
      assert.equal(
        text(await top.locator("td").first().textContent()),
        "select * from orders where id = ?",
      );
      assert.equal(text(await top.locator("td[data-metric=requests]").textContent()), "5");
      assert.equal(await page.locator("#db-slow tbody tr").count(), 8);
      await page.screenshot({ path: `${OUTPUT}db_analysis.png`, fullPage: true });
      await top.locator("a").click();
      await page.waitForURL(/\/requests\?/);
      assert.equal(await page.locator("#request-total").textContent(), "5");
      await page.close();
    });
  } finally {
    await browser.close();
    await server.shutdown();
    await database.close();
  }
});
