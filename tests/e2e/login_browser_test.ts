import assert from "node:assert/strict";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { runDeno, startManager } from "../support/procs.ts";
import { applianceIdOf, enrollmentTokenWithCli, enrollWithToken } from "../support/appliance.ts";
import { testWithTools } from "../support/tools.ts";

const PASSWORD = "browser test password 1";

/** The one-time sign-in link the manager prints once at its first start. */
async function firstStartLink(output: () => string): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const m = /(http:\/\/\S+\/login\/once\?token=[A-Za-z0-9_-]{43})/.exec(output());
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the manager printed no one-time sign-in link:\n${output()}`);
}

testWithTools(
  "sign-in in Chromium: first-start link, set a password, sign out, sign in, see flows",
  [CHROMIUM],
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-login-e2e-" });
    const env = { TAPLINE_DATA_DIR: `${tmp}/manager`, DATABASE_URL: "" };
    await installLicenseWithCli(env, { modules: ["network_monitoring"] });
    // Before the manager starts: a running manager locks its PGlite folder.
    const token = await enrollmentTokenWithCli(env);
    // No TAPLINE_ADMIN_PASSWORD: the first start prints a one-time link instead of a password.
    const manager = await startManager(env);
    const browser = await launchChromium();
    try {
      const link = await firstStartLink(manager.output);
      assert.ok(link.startsWith(manager.url), link);
      const pcap = `${tmp}/capture.pcap`;
      const gen = await runDeno("tests/tools/gen_pcap.ts", ["--out", pcap, "--flows", "40"]);
      assert.equal(gen.code, 0, gen.stderr);
      const stateDir = await enrollWithToken(manager.url, `${tmp}/appliance`, token, "login-e2e");
      const replay = await runDeno("appliance/main.ts", ["replay", pcap, "--state-dir", stateDir]);
      assert.equal(replay.code, 0, replay.stderr);
      await Deno.mkdir(OUTPUT, { recursive: true });

      await t.step("the link signs in once; the admin sets a password and signs out", async () => {
        const page = await browser.newPage();
        await page.goto(link);
        await Promise.all([
          page.waitForURL(/\/account\?welcome=1$/),
          page.click("#once-form button[type=submit]"),
        ]);
        assert.match(await page.locator(".alert-info").innerText(), /one-time link/);
        await page.fill("#password-new", PASSWORD);
        await page.fill("#password-confirm", PASSWORD);
        await Promise.all([
          page.waitForURL(/\/account\?notice=password$/),
          page.click("form[action='/account/password'] button[type=submit]"),
        ]);
        assert.match(await page.locator(".alert-info").innerText(), /password was saved/);
        assert.equal(await page.locator(".user-menu .user-name").innerText(), "admin");
        await Promise.all([
          page.waitForURL(/\/login\?signed_out=1$/),
          page.click(".user-menu button[type=submit]"),
        ]);
        assert.match(await page.locator(".alert-info").innerText(), /You have signed out/);
        // The link was used up.
        await page.goto(link);
        assert.match(await page.locator(".alert-error").innerText(), /not valid/);
        await page.close();
      });

      await t.step(
        "signing in through the page leads back to the flows; sign-out ends it",
        async () => {
          const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
          await page.goto(`${manager.url}/flows?protocol=6`);
          assert.match(page.url(), /\/login\?next=%2Fflows%3Fprotocol%3D6$/);
          await page.screenshot({ path: `${OUTPUT}login.png` });
          await page.fill("#login-name", "admin");
          await page.fill("#login-password", "not the password");
          await page.click("#login-form button[type=submit]");
          assert.match(
            await page.locator(".alert-error").innerText(),
            /Wrong user name or password/,
          );
          await page.fill("#login-password", PASSWORD);
          await Promise.all([
            page.waitForURL(/\/flows\?protocol=6$/),
            page.click("#login-form button[type=submit]"),
          ]);
          assert.ok(await page.locator("#flow-results tr[data-flow-id]").count() > 0);
          // Rows name the enrolled appliance by its id.
          const results = await page.locator("#flow-results").innerText();
          assert.ok(results.includes(applianceIdOf(stateDir)), results.slice(0, 300));
          const cookies = await page.context().cookies();
          const session = cookies.find((c) => c.name === "tapline_session")!;
          assert.equal(session.httpOnly, true);
          assert.equal(session.sameSite, "Strict");
          assert.equal(
            await page.evaluate(() => document.cookie.includes("tapline_session")),
            false,
            "scripts cannot read the session cookie",
          );
          // htmx takes the CSRF token from <body hx-headers>: its POSTs pass the CSRF check.
          await page.goto(`${manager.url}/account`);
          const status = await page.evaluate(async () => {
            const htmx = (globalThis as unknown as {
              htmx: { ajax(verb: string, path: string, options: object): Promise<void> };
            }).htmx;
            let code = 0;
            document.body.addEventListener("htmx:afterRequest", (e) => {
              code = (e as CustomEvent<{ xhr: XMLHttpRequest }>).detail.xhr.status;
            });
            await htmx.ajax("POST", "/account/tokens", {
              source: document.body,
              values: { name: "made-by-htmx", scope: "read" },
              target: "#main",
              swap: "innerHTML",
            });
            return code;
          });
          assert.equal(status, 200);
          assert.match(await page.locator("#new-token").innerText(), /^tplu_/);
          await Promise.all([
            page.waitForURL(/\/login\?signed_out=1$/),
            page.click(".user-menu button[type=submit]"),
          ]);
          await page.goto(`${manager.url}/flows`);
          assert.match(page.url(), /\/login\?next=%2Fflows$/, "signed out for real");
          await page.close();
        },
      );

      await t.step("without JavaScript the sign-in form still works", async () => {
        const context = await browser.newContext({ javaScriptEnabled: false });
        const page = await context.newPage();
        await page.goto(`${manager.url}/login`);
        await page.fill("#login-name", "admin");
        await page.fill("#login-password", PASSWORD);
        await Promise.all([
          page.waitForURL(/\/flows$/),
          page.click("#login-form button[type=submit]"),
        ]);
        assert.ok(await page.locator("#flow-results tr[data-flow-id]").count() > 0);
        await context.close();
      });
    } finally {
      await browser.close();
      await manager.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
