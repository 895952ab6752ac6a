import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { browserCookies, managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { seedFlows, seedRecords } from "../support/flow_seed.ts";
import { startManager } from "../support/procs.ts";
import { testWithTools } from "../support/tools.ts";

const GOOD_CSV = [
  "kind,name,cidr,vpc,region,ips,endpoints,protocol,labels",
  "region,eu-west,,,,,,,",
  "vpc,prod,,,eu-west,,,,",
  "subnet,office,192.168.0.0/16,prod,,,,,zone=office",
  "subnet,app,10.2.0.0/16,prod,,,,,",
  "host,web-1,,,,10.2.0.80,,,role=web",
  "service,checkout,,,,,10.2.0.80:443,tcp,env=prod",
].join("\n");

// Line 3 has host bits set, line 4 names a VPC that does not exist.
const BAD_CSV = [
  "kind,name,cidr,vpc",
  "subnet,fine,10.9.0.0/16,",
  "subnet,typo,10.9.1.1/16,",
  "subnet,orphan,10.8.0.0/16,nowhere",
].join("\n");

testWithTools(
  "inventory in Chromium: import (errors by line, then good), re-tag with progress, flows by tag",
  [CHROMIUM],
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-e2e-inv-" });
    const env = { TAPLINE_DATA_DIR: `${tmp}/manager`, DATABASE_URL: "" };
    await installLicenseWithCli(env, { modules: ["network_monitoring"] });
    await seedFlows(env.TAPLINE_DATA_DIR, seedRecords(60));
    const manager = await startManager({ ...env, ...managerAuthEnv() });
    const browser = await launchChromium();
    try {
      const session = await signInOverHttp(manager.url);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.context().addCookies(browserCookies(manager.url, session));
      await Deno.mkdir(OUTPUT, { recursive: true });

      await t.step("a bad file is refused with its line numbers and imports nothing", async () => {
        await page.goto(`${manager.url}/admin/inventory`);
        await page.setInputFiles("#import-file", {
          name: "bad.csv",
          mimeType: "text/csv",
          buffer: Buffer.from(BAD_CSV),
        });
        await Promise.all([
          page.waitForLoadState("load"),
          page.click("#import-form button[type=submit]"),
        ]);
        await page.locator("#import-problems").waitFor();
        const problems = await page.locator("#import-problems li").allInnerTexts();
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0]!, /^line 3, cidr: .*did you mean 10\.9\.0\.0\/16/);
        assert.equal(await page.locator("#inventory-table").count(), 0, "no subnet was stored");
        await page.screenshot({ path: `${OUTPUT}inventory-import-error.png`, fullPage: true });
      });

      await t.step("a good file is imported and listed per kind", async () => {
        await page.fill("#import-text", GOOD_CSV);
        await Promise.all([
          page.waitForLoadState("load"),
          page.click("#import-form button[type=submit]"),
        ]);
        assert.match(await page.locator(".alert-info").innerText(), /6 added, 0 updated/);
        const names = await page.locator("#inventory-table tbody tr td:first-child")
          .allInnerTexts();
        assert.deepEqual(names, ["app", "office"]);
        await page.click("a.tab[href$='/services']");
        assert.match(
          await page.locator("#inventory-table").innerText(),
          /checkout\s+10\.2\.0\.80:443\s+tcp/,
        );
        await page.screenshot({ path: `${OUTPUT}inventory.png`, fullPage: true });
      });

      await t.step("re-tagging the last 24 h shows progress until done", async () => {
        await page.goto(`${manager.url}/admin/inventory`);
        await Promise.all([
          page.waitForURL(/notice=retag/),
          page.click("#retag-form button[type=submit]"),
        ]);
        // The status polls itself (htmx, every second) until the job is done.
        await page.waitForFunction(
          () => document.querySelector("#retag-status")?.classList.contains("retag-done") ?? false,
          undefined,
          { timeout: 30_000 },
        );
        assert.match(
          await page.locator("#retag-status").innerText(),
          /Re-tagged the last 24 h: 144 of 144 slices, 60 rows updated/,
        );
        await page.screenshot({ path: `${OUTPUT}inventory-retag.png`, fullPage: true });
      });

      await t.step("the flow-log page finds the re-tagged flows by tag", async () => {
        await page.goto(`${manager.url}/flows`);
        await page.fill("#flow-filter-q", "service_1 = checkout and labels_0.zone = office");
        await page.waitForFunction(() =>
          /20 records/.test(
            document.querySelector("#flow-table-title + .panel-meta")?.textContent ?? "",
          )
        );
        assert.match(decodeURIComponent(page.url()).replaceAll("+", " "), /q=service_1 = checkout/);
        assert.equal(await page.locator("#flow-results tr[data-flow-id]").count(), 20);
      });
    } finally {
      await browser.close();
      await manager.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
