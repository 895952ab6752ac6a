import assert from "node:assert/strict";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { browserCookies, managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { runDeno, startManager } from "../support/procs.ts";
import { seedFlows, seedRecords } from "../support/flow_seed.ts";
import { compileTagger, EMPTY_SNAPSHOT } from "../../manager/inventory/mod.ts";
import { enrollmentTokenWithCli, enrollWithToken } from "../support/appliance.ts";
import { testWithTools } from "../support/tools.ts";

testWithTools(
  "flow-log page in Chromium: rows, htmx filtering, paging, no-JS form",
  [CHROMIUM],
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-e2e-" });
    const env = { TAPLINE_DATA_DIR: `${tmp}/manager`, DATABASE_URL: "" };
    await installLicenseWithCli(env, { modules: ["network_monitoring"] });
    // Before the manager starts: a running manager locks its PGlite folder.
    const token = await enrollmentTokenWithCli(env);
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
      const stateDir = await enrollWithToken(manager.url, `${tmp}/appliance`, token, "e2e-box");
      const replay = await runDeno("appliance/main.ts", ["replay", pcap, "--state-dir", stateDir]);
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

testWithTools(
  "flow-log page in Chromium: search by tag, column chooser, detail panel, export",
  [CHROMIUM],
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-e2e-search-" });
    const env = { TAPLINE_DATA_DIR: `${tmp}/manager`, DATABASE_URL: "" };
    await installLicenseWithCli(env, { modules: ["network_monitoring"] });
    // Rows stored tagged, the way ingest tags them (manager/inventory Tagger.tagRow).
    const tagger = compileTagger({
      ...EMPTY_SNAPSHOT,
      subnets: [{ id: 1, name: "office", cidr: "192.168.0.0/16", vpc: "", region: "", labels: {} }],
      hosts: [{ name: "web-1", ips: ["10.2.0.80"], region: "eu-west", vpc: "", labels: {} }],
      services: [{
        name: "checkout",
        protocol: 6,
        endpoints: ["10.2.0.80:443"],
        labels: { env: "prod" },
      }],
    });
    await seedFlows(env.TAPLINE_DATA_DIR, seedRecords(90), { tagRow: (r) => tagger.tagRow(r) });
    const manager = await startManager({ ...env, ...managerAuthEnv() });
    const browser = await launchChromium();
    try {
      const session = await signInOverHttp(manager.url);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.context().addCookies(browserCookies(manager.url, session));
      await Deno.mkdir(OUTPUT, { recursive: true });
      const rows = "#flow-results tr[data-flow-id]";

      await t.step("the search bar filters by a server-side tag", async () => {
        await page.goto(`${manager.url}/flows`);
        await page.fill("#flow-filter-q", "service_1 = checkout");
        await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 30, rows);
        const servers = await page.locator(`${rows} td.endpoint:nth-of-type(5)`).allInnerTexts();
        assert.ok(servers.length === 30 && servers.every((s) => s === "10.2.0.80:443"), servers[0]);
        await page.fill("#flow-filter-q", "service_1 = nope and bogus = 1");
        await page.locator("#flow-filter-q-error:not([hidden])").waitFor();
        assert.match(
          await page.locator("#flow-filter-q-error").innerText(),
          /unknown field "bogus"/,
        );
        await page.fill("#flow-filter-q", "service_1 = checkout");
        await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 30, rows);
      });

      await t.step("the column chooser adds tag columns and keeps them in the URL", async () => {
        await page.click(".column-chooser summary");
        await page.check(".column-chooser input[value=service_1]");
        await page.check(".column-chooser input[value=host_1]");
        await page.locator("#flow-results th[data-col=host_1]").waitFor();
        assert.match(page.url(), /cols=.*service_1/);
        const headers = await page.locator("#flow-results thead th").allInnerTexts();
        assert.ok(
          headers.includes("Service (server)") && headers.includes("Host (server)"),
          headers.join("|"),
        );
        const first = await page.locator(`${rows}`).first().innerText();
        assert.match(first, /checkout\s+web-1/);
        await page.click(".column-chooser summary");
        await page.screenshot({ path: `${OUTPUT}flows-columns.png`, fullPage: false });
        // A reload (or a shared link) shows the same columns.
        await page.reload();
        assert.equal(await page.locator("#flow-results th[data-col=service_1]").count(), 1);
      });

      await t.step("clicking a row slides in the detail panel with every field", async () => {
        await page.locator(rows).nth(2).locator("td.num").first().click();
        await page.locator("#flow-detail.is-open").waitFor();
        const text = await page.locator("#flow-detail").innerText();
        assert.match(text, /Service\s+—\s+checkout/);
        assert.match(text, /Host\s+—\s+web-1/);
        assert.match(text, /syn_seq/);
        // Links only to views that exist (N1's path / NAT pages once their nav entries are live).
        const links = await page.locator("#flow-detail .detail-links a").allInnerTexts();
        for (const l of links) {
          assert.match(l, /^(Path analysis|NAT tracing|Packets|Sequence diagram)$/);
        }
        await page.waitForTimeout(250); // the slide-in transition, for the screenshot
        await page.screenshot({ path: `${OUTPUT}flows-detail.png`, fullPage: false });
        await page.click("#flow-detail .detail-close");
        await page.waitForFunction(() =>
          !document.querySelector("#flow-detail")?.classList.contains("is-open")
        );
        assert.match(page.url(), /cols=/, "closed in place, without leaving the search");
      });

      await t.step("without JavaScript the detail link opens the page with the panel", async () => {
        const context = await browser.newContext({ javaScriptEnabled: false });
        await context.addCookies(browserCookies(manager.url, session));
        const plain = await context.newPage();
        await plain.goto(`${manager.url}/flows?q=service_1+%3D+checkout`);
        await plain.locator(`${rows} a.detail-link`).first().click();
        await plain.waitForURL(/flow=/);
        assert.match(await plain.locator("#flow-detail.is-open").innerText(), /checkout/);
        await context.close();
      });

      await t.step("the export links download the current search", async () => {
        const href = await page.locator("#flow-results a[href*='format=ndjson']").getAttribute(
          "href",
        );
        assert.ok(href && /q=service_1/.test(href), href ?? "");
        const res = await fetch(`${manager.url}${href}`, { headers: session.headers() });
        assert.equal(res.headers.get("x-tapline-export-capped"), "false");
        const lines = (await res.text()).trimEnd().split("\n").map((l) => JSON.parse(l));
        assert.equal(lines.length, 30);
        assert.ok(lines.every((l) => l.service_1 === "checkout" && l.labels_1.env === "prod"));
      });
    } finally {
      await browser.close();
      await manager.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
