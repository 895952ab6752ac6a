import assert from "node:assert/strict";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { browserCookies, managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { runDeno, startManager } from "../support/procs.ts";
import { testWithTools } from "../support/tools.ts";

testWithTools(
  "flow-log page in Chromium: rows, htmx filtering, paging, no-JS form",
  [CHROMIUM],
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-e2e-" });
    const env = { TAPLINE_DATA_DIR: `${tmp}/manager`, DATABASE_URL: "" };
    await installLicenseWithCli(env, { modules: ["network_monitoring"] });
    const manager = await startManager({ ...env, ...managerAuthEnv() });
    const browser = await launchChromium();
    try {
      const pcap = `${tmp}/capture.pcap`;
      const gen = await runDeno("tests/tools/gen_pcap.ts", [
        "--out",
        pcap,
        "--flows",
        "120",
        "--seed",
        "3",
      ]);
      assert.equal(gen.code, 0, gen.stderr);
      const replay = await runDeno("appliance/main.ts", [
        "replay",
        pcap,
        "--manager",
        manager.url,
        "--appliance",
        "e2e-box",
      ]);
      assert.equal(replay.code, 0, replay.stderr);
      // Signed in as the admin (login_browser_test.ts goes through the sign-in page itself).
      const session = await signInOverHttp(manager.url);
      const cookies = browserCookies(manager.url, session);
      const all = await (await fetch(`${manager.url}/api/v1/flows?pageSize=10000`, {
        headers: session.headers(),
      })).json();
      const dns = all.rows.filter((r: { serverPort: number; clientPort: number }) =>
        r.serverPort === 53 || r.clientPort === 53
      );
      assert.ok(all.total > 50 && dns.length > 0, `need >50 flows and some DNS, got ${all.total}`);
      await Deno.mkdir(OUTPUT, { recursive: true });

      await t.step(
        "the page lists the newest 50 flows with a chart and the page summary",
        async () => {
          const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
          await page.context().addCookies(cookies);
          await page.goto(`${manager.url}/flows`);
          assert.equal(await page.locator("#flow-results tr[data-flow-id]").count(), 50);
          const summary = await page.locator(".pagination-summary").innerText();
          assert.match(summary.replace(/\s+/g, " "), new RegExp(`Showing 1–50 of ${all.total}`));
          assert.ok(await page.locator("#flow-results svg rect").count() > 0, "chart bars drawn");
          assert.equal(
            await page.evaluate(() => typeof (globalThis as { htmx?: unknown }).htmx),
            "object",
          );
          await page.screenshot({ path: `${OUTPUT}flows.png`, fullPage: true });

          // htmx swaps only the results: a marker set on the page survives the filter.
          await page.evaluate(() => ((globalThis as { __marker?: number }).__marker = 42));
          await page.fill("#flow-filters input[name=port]", "53");
          // Wait for the swap itself: the row count alone may not change (both pages are full).
          await page.waitForFunction(
            (n) => {
              const rows = [
                ...document.querySelectorAll<HTMLElement>("#flow-results tr[data-flow-id]"),
              ];
              return rows.length === n && rows.every((row) => /:53\b/.test(row.innerText));
            },
            Math.min(dns.length, 50),
          );
          const servers = await page.locator("#flow-results tr[data-flow-id]").allInnerTexts();
          assert.ok(servers.every((row) => /:53\b/.test(row)), "every row has port 53");
          assert.equal(
            await page.evaluate(() => (globalThis as { __marker?: number }).__marker),
            42,
          );
          assert.match(page.url(), /[?&]port=53\b/);
          await page.screenshot({ path: `${OUTPUT}flows-port-53.png`, fullPage: true });

          // A bad value is named next to its field, and the rows are not replaced by a wrong answer.
          await page.fill("#flow-filters input[name=ip]", "10.0.0.999");
          await page.locator("#flow-results .alert-error").waitFor();
          assert.match(
            await page.locator("#flow-results .alert-error").innerText(),
            /not an IPv4 or IPv6/,
          );
          await page.close();
        },
      );

      await t.step("Next goes to page 2 and keeps the filters", async () => {
        const page = await browser.newPage();
        await page.context().addCookies(cookies);
        await page.goto(`${manager.url}/flows?protocol=6`);
        const tcp = all.rows.filter((r: { protocol: number }) => r.protocol === 6).length;
        await page.click(".pagination a.page-next");
        await page.waitForFunction(() => /[?&]page=2/.test(location.search));
        await page.waitForFunction(() =>
          /Showing\s+51/.test(document.querySelector(".pagination-summary")?.textContent ?? "")
        );
        assert.match(page.url(), /protocol=6/);
        const rows = await page.locator("#flow-results tr[data-flow-id]").count();
        assert.equal(rows, Math.min(tcp - 50, 50));
        await page.close();
      });

      await t.step("without JavaScript the form still filters by a full page load", async () => {
        const context = await browser.newContext({ javaScriptEnabled: false });
        await context.addCookies(cookies);
        const page = await context.newPage();
        await page.goto(`${manager.url}/flows`);
        await page.fill("#flow-filters input[name=port]", "53");
        await Promise.all([
          page.waitForURL(/port=53/),
          page.click("#flow-filters button[type=submit]"),
        ]);
        assert.equal(
          await page.locator("#flow-results tr[data-flow-id]").count(),
          Math.min(dns.length, 50),
        );
        await context.close();
      });
    } finally {
      await browser.close();
      await manager.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
