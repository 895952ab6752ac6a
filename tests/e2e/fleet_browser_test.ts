import assert from "node:assert/strict";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { browserCookies, managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { startManager } from "../support/procs.ts";
import { testWithTools } from "../support/tools.ts";

function heartbeat(sentAt: number, packets: number, configVersion: number) {
  return {
    v: 1,
    version: "0.1.0-e2e",
    startedAt: 1_000,
    sentAt,
    capturePoints: [
      { interface: "eth1", observationPoint: "rest", link: "up", packets, bytes: packets * 800 },
    ],
    stages: [
      { stage: "capture", packets, drops: [] },
      {
        stage: "decode",
        packets,
        drops: [{ reason: "truncated", count: 0, setting: "capture.snaplen" }],
      },
    ],
    cpu: { percent: 4 },
    memory: { rssBytes: 60_000_000, totalBytes: 8_000_000_000 },
    disk: { freeBytes: 10_000_000_000, totalBytes: 20_000_000_000 },
    spool: { batches: 0, bytes: 0, droppedBatches: 0, droppedRecords: 0, oldestAt: null },
    lastReportAt: sentAt,
    configVersion,
    entitlement: { ok: true, modules: ["network_monitoring"] },
  };
}

testWithTools(
  "appliances in Chromium: enroll with a token, see it online, edit a capture point",
  [CHROMIUM],
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-e2e-fleet-" });
    const env = {
      TAPLINE_DATA_DIR: `${tmp}/manager`,
      DATABASE_URL: "",
      TAPLINE_LICENSE_KEYS: "",
      ...managerAuthEnv(),
    };
    await installLicenseWithCli(env, { appliances: 5, modules: ["network_monitoring"] });
    const manager = await startManager(env);
    const browser = await launchChromium();
    try {
      const session = await signInOverHttp(manager.url);
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.addCookies(browserCookies(manager.url, session));
      const page = await context.newPage();
      await Deno.mkdir(OUTPUT, { recursive: true });
      let token = "";
      let credential = "";
      let applianceId = "";

      await t.step(
        "an admin creates an enrollment token, shown once with the command",
        async () => {
          await page.goto(`${manager.url}/admin/appliances`);
          await page.fill("#token-note", "rack 4");
          await page.click("text=Create enrollment token");
          const command = await page.locator("#enroll-command").innerText();
          const m = /appliance enroll --manager (\S+) --token (tple_\S+)/.exec(command);
          assert.ok(m, command);
          assert.equal(m[1], manager.url);
          token = m[2]!;
        },
      );

      await t.step("the appliance enrolls over HTTP and sends heartbeats", async () => {
        const res = await fetch(`${manager.url}/api/v1/appliances/enroll`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token, name: "edge-e2e", hostname: "tap-e2e", version: "0.1.0" }),
        });
        assert.equal(res.status, 201);
        ({ applianceId, credential } = await res.json());
        const now = Date.now();
        for (let i = 0; i < 6; i++) {
          const hb = await fetch(`${manager.url}/api/v1/appliances/self/heartbeat`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
            body: JSON.stringify(heartbeat(now - (5 - i) * 5000, 1000 * (i + 1) ** 2, 1)),
          });
          assert.equal(hb.status, 200, await hb.clone().text());
          await hb.body?.cancel();
        }
      });

      await t.step("the list shows it online with its throughput", async () => {
        await page.goto(`${manager.url}/admin/appliances`);
        const row = page.locator(`tr[data-appliance-id="${applianceId}"]`);
        assert.equal(await row.locator(".status").innerText(), "online");
        assert.match(await row.innerText(), /edge-e2e/);
        assert.match(await row.innerText(), /0\.1\.0-e2e/);
        assert.match(await row.innerText(), /bit\/s/);
        await page.screenshot({ path: `${OUTPUT}appliances.png`, fullPage: true });
      });

      await t.step("the detail page has the counters chart and the drop reasons", async () => {
        await page.click(`tr[data-appliance-id="${applianceId}"] a`);
        await page.waitForURL(new RegExp(`/admin/appliances/${applianceId}$`));
        assert.equal(await page.locator("#appliance-chart svg.chart").count(), 1);
        assert.equal(await page.locator("#appliance-chart circle").count() >= 5, true);
        assert.match(await page.locator("#drops-table").innerText(), /capture\.snaplen/);
        assert.equal(
          await page.locator("#config-version [data-current]").getAttribute("data-current"),
          "1",
        );
      });

      await t.step("editing a capture point bumps the config version", async () => {
        await page.fill("#cp-if-0", "eth1");
        await page.selectOption("#cp-op-0", "c");
        await Promise.all([
          page.waitForURL(/notice=saved/),
          page.click("text=Save capture points"),
        ]);
        assert.equal(
          await page.locator("#config-version [data-current]").getAttribute("data-current"),
          "2",
        );
        assert.equal(await page.locator("#cp-if-0").inputValue(), "eth1");
        assert.equal(await page.locator("#cp-op-0").inputValue(), "c");
        const config = await fetch(`${manager.url}/api/v1/appliances/self/config`, {
          headers: { authorization: `Bearer ${credential}`, "if-none-match": '"1"' },
        });
        assert.equal(config.status, 200);
        assert.equal(config.headers.get("etag"), '"2"');
        assert.deepEqual((await config.json()).capturePoints, [
          { interface: "eth1", observationPoint: "c", enabled: true },
        ]);
        await page.screenshot({ path: `${OUTPUT}appliance-detail.png`, fullPage: true });
      });
    } finally {
      await browser.close();
      await manager.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
