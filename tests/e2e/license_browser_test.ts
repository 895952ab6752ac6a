import assert from "node:assert/strict";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { issueTestLicense } from "../support/license.ts";
import { startManager } from "../support/procs.ts";
import { testWithTools } from "../support/tools.ts";

testWithTools(
  "license page in Chromium: upload a license and see Flow logs unlock",
  [CHROMIUM],
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-e2e-license-" });
    const manager = await startManager({
      TAPLINE_DATA_DIR: `${tmp}/manager`,
      DATABASE_URL: "",
      TAPLINE_LICENSE_KEYS: "",
      ...managerAuthEnv(),
    });
    const browser = await launchChromium();
    try {
      const session = await signInOverHttp(manager.url);
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const [name, value] = session.cookie.split("=") as [string, string];
      await context.addCookies([{
        name,
        value,
        url: manager.url,
        httpOnly: true,
        sameSite: "Strict",
      }]);
      const page = await context.newPage();
      await Deno.mkdir(OUTPUT, { recursive: true });
      const flowLogs = page.locator('.sidenav [data-module="network_monitoring"] .nav-item', {
        hasText: "Flow logs",
      });

      await t.step("without a license, Flow logs is locked and /flows answers 403", async () => {
        await page.goto(`${manager.url}/admin/licenses`);
        assert.equal(await page.locator('[data-notice="no_license"]').count(), 1);
        assert.equal(await flowLogs.evaluate((el) => el.tagName), "SPAN");
        assert.equal(await flowLogs.getAttribute("aria-disabled"), "true");
        assert.match(
          await page.locator('[data-module="network_monitoring"] .nav-locked-note').innerText(),
          /Needs a Network monitoring license \(network_monitoring\)/,
        );
        const res = await page.goto(`${manager.url}/flows`);
        assert.equal(res?.status(), 403);
        assert.match(
          await page.locator("main").innerText(),
          /module network_monitoring is not licensed/,
        );
        await page.screenshot({ path: `${OUTPUT}module-locked.png`, fullPage: true });
      });

      await t.step("a tampered file is refused next to the upload field", async () => {
        const { text } = await issueTestLicense({ id: "E2E-BAD", modules: ["network_monitoring"] });
        await page.goto(`${manager.url}/admin/licenses`);
        const file = `${tmp}/bad.license.json`;
        await Deno.writeTextFile(file, text.replace('"appliances": 10', '"appliances": 99'));
        await page.setInputFiles("#license-file", file);
        await page.click("text=Install license");
        await page.waitForSelector("#license-error");
        assert.match(await page.locator("#license-error").innerText(), /signature does not match/);
        assert.equal(await flowLogs.evaluate((el) => el.tagName), "SPAN");
      });

      await t.step("uploading a valid license unlocks Flow logs in the navigation", async () => {
        const { text } = await issueTestLicense({
          id: "E2E-NET",
          customer: "E2E Networks",
          modules: ["network_monitoring", "db_monitoring"],
          days: 20,
        });
        await page.goto(`${manager.url}/admin/licenses`);
        const file = `${tmp}/e2e.license.json`;
        await Deno.writeTextFile(file, text);
        await page.setInputFiles("#license-file", file);
        await Promise.all([
          page.waitForURL(/installed=E2E-NET/),
          page.click("text=Install license"),
        ]);
        assert.match(
          await page.locator(".alert-success").innerText(),
          /License E2E-NET installed\./,
        );
        assert.equal(
          await page.locator('tr[data-module="network_monitoring"]').getAttribute("data-status"),
          "active",
        );
        assert.match(
          await page.locator('tr[data-module="network_monitoring"]').innerText(),
          /E2E-NET/,
        );
        // 20 days left: the 30-day warning shows on every page.
        assert.match(
          await page.locator('[data-notice="expires_in_30d"]').innerText(),
          /License expires in 20 days .* for Network monitoring, DB monitoring/,
        );
        await page.screenshot({ path: `${OUTPUT}licenses.png`, fullPage: true });
        assert.equal(await flowLogs.evaluate((el) => el.tagName), "A");
        await Promise.all([page.waitForURL(/\/flows$/), flowLogs.click()]);
        assert.equal(await page.locator("h1").innerText(), "Flow logs");
        assert.equal(
          await page.locator('.sidenav [data-module="call_monitoring"]').getAttribute("class"),
          "nav-section is-locked",
        );
      });
    } finally {
      await browser.close();
      await manager.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
