// PCAP analysis in Chromium, through real processes: a manager (embedded PGlite), an enrolled
// `appliance run --replay` that reports the capture's flows and answers PCAP tasks from a store
// that `appliance pcap-store` filled with the same capture. From a flow-log row to its packets,
// the Wireshark decode tree with the hex view, and the sequence diagram; screenshots saved.
import assert from "node:assert/strict";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { browserCookies, managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { spawnDeno, startManager } from "../support/procs.ts";
import { applianceIdOf, enrollWithCli, storeGeneratedCapture } from "../support/appliance.ts";
import { testWithTools } from "../support/tools.ts";

testWithTools(
  "PCAP analysis in Chromium: flow-log row → packets → decode tree with hex highlight → sequence diagram",
  [CHROMIUM, "tshark"],
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-e2e-pcap-" });
    const env = {
      TAPLINE_DATA_DIR: `${tmp}/manager`,
      DATABASE_URL: "",
      TAPLINE_LICENSE_KEYS: "",
      ...managerAuthEnv(),
    };
    await installLicenseWithCli(env, { appliances: 5, modules: ["network_monitoring"] });
    const manager = await startManager(env);
    let agent: ReturnType<typeof spawnDeno> | undefined;
    const browser = await launchChromium();
    try {
      const session = await signInOverHttp(manager.url);
      const stateDir = await enrollWithCli(manager.url, `${tmp}/appliance`, {
        name: "tap-pcap",
        session,
      });
      const id = applianceIdOf(stateDir);
      const pcap = await storeGeneratedCapture(tmp, stateDir);
      agent = spawnDeno("appliance/main.ts", ["run", "--replay", pcap, "--state-dir", stateDir]);

      const context = await browser.newContext({ viewport: { width: 1400, height: 950 } });
      await context.addCookies(browserCookies(manager.url, session));
      const page = await context.newPage();
      await Deno.mkdir(OUTPUT, { recursive: true });
      const flows =
        `${manager.url}/flows?ip=10.1.0.17&port=54033&from=2026-01-01T00:00&to=2026-01-01T01:00`;

      await t.step("the flow-log row's panel links to its packets", async () => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          await page.goto(flows);
          if (await page.locator("#flow-results tr[data-flow-id]").count() > 0) break;
          if (Date.now() > deadline) {
            throw new Error("the replayed flows never reached the flow log");
          }
          await page.waitForTimeout(500);
        }
        await page.locator("#flow-results tr[data-flow-id]").first().locator("td.num").first()
          .click();
        await page.locator("#flow-detail.is-open").waitFor();
        const links = await page.locator("#flow-detail .detail-links a").allInnerTexts();
        assert.ok(links.includes("Packets") && links.includes("Sequence diagram"), links.join());
        await page.click("#flow-detail .detail-links >> text=Packets");
        await page.waitForURL(/\/pcap\/analysis\?/);
        assert.ok(page.url().includes(`appliance=${id}`));
      });

      await t.step("the page lists the session and its packets as tshark reads them", async () => {
        // The agent may still be connecting: reload until its answer is there.
        const deadline = Date.now() + 20_000;
        while ((await page.locator("#pcap-packets-table").count()) === 0) {
          if (Date.now() > deadline) {
            throw new Error(await page.locator("#pcap-results").innerText());
          }
          await page.waitForTimeout(500);
          await page.reload();
        }
        const sessions = await page.locator("#pcap-sessions-table tbody tr").allInnerTexts();
        assert.equal(sessions.length, 1);
        assert.match(sessions[0]!, /10\.1\.0\.17:54033\s+↔\s+10\.0\.0\.80:80/);
        const rows = await page.locator("#pcap-packets-table tbody tr").count();
        assert.equal(rows, 19);
        assert.match(await page.locator("#pcap-packets-table tbody tr").nth(3).innerText(), /HTTP/);
        assert.equal(await page.locator("#pcap-decoder-notice").count(), 0, "tshark is installed");
        await page.screenshot({ path: `${OUTPUT}pcap-packets.png`, fullPage: false });
        await page.evaluate(() => globalThis.scrollTo(0, 0));
        await page.screenshot({ path: `${OUTPUT}pcap-page.png`, fullPage: false });
      });

      await t.step("a packet opens its decode tree; a field highlights its bytes", async () => {
        await page.locator("#pcap-packets-table tbody tr").nth(3).locator("a.pcap-packet-link")
          .click();
        await page.locator("#pcap-detail.is-open").waitFor();
        const tree = page.locator("#pcap-detail .pcap-tree");
        await tree.locator("summary", { hasText: "Internet Protocol Version 4" }).first().waitFor();
        await tree.locator("summary", { hasText: "Internet Protocol Version 4" }).first().click(); // close it
        await tree.locator("summary", { hasText: "Internet Protocol Version 4" }).first().click(); // open again
        const src = tree.locator("li.pcap-field", { hasText: /^Source Address: 10\.1\.0\.17$/ });
        await src.click();
        const lit = await page.locator("#pcap-detail .hex-bytes .is-hl").allInnerTexts();
        assert.deepEqual(lit, ["0a", "01", "00", "11"], "10.1.0.17 in hex");
        await page.waitForTimeout(250);
        await page.screenshot({ path: `${OUTPUT}pcap-decode.png`, fullPage: false });
        await page.locator("#pcap-detail .hex-view").scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${OUTPUT}pcap-decode-hex.png`, fullPage: false });
        await page.click("#pcap-detail .pcap-close");
        await page.waitForFunction(() =>
          !document.querySelector("#pcap-detail")?.classList.contains("is-open")
        );
      });

      await t.step("the sequence diagram shows the handshake and the retransmission", async () => {
        const svg = page.locator("svg.seq-diagram");
        await svg.scrollIntoViewIfNeeded();
        const labels = await svg.locator(".seq-label").allTextContents();
        assert.equal(labels[0], "[SYN] Seq=0 Len=0");
        assert.equal(labels[1], "[SYN, ACK] Seq=0 Ack=1 Len=0");
        assert.ok(
          labels.some((l) => l.startsWith("Retransmission [PSH, ACK] Seq=1 Ack=1 Len=185")),
          labels.join("\n"),
        );
        assert.equal(await svg.locator(".seq-retrans").count(), 1);
        await page.locator("section:has(#pcap-sequence)").screenshot({
          path: `${OUTPUT}pcap-sequence.png`,
        });
        const stream = await page.locator("#pcap-stream-body").innerText();
        assert.match(stream, /HTTP\/1\.1/);
      });
    } finally {
      await browser.close();
      if (agent) {
        agent.child.kill("SIGTERM");
        await agent.child.status;
        await agent.done;
      }
      await manager.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
