import assert from "node:assert/strict";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import {
  DAY_MS,
  gatedRoutes,
  generateKeyPair,
  importPrivateKey,
  MODULE_KEYS,
  type ModuleKey,
} from "../../manager/license/mod.ts";
import { createTestUser, sessionFor, tokenFor } from "../support/auth.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { cborRequest, flowBatch, flowRecord } from "../support/flows.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { devLicenseService, issueTestLicense } from "../support/license.ts";
import { ROOT, runDeno } from "../support/procs.ts";

const BASE = "http://manager";

/** Every gated route, as pages and API calls a client makes, with the module it needs. */
function gatedRequests(): { path: string; module: ModuleKey }[] {
  return gatedRoutes().flatMap(({ prefix, module }) => [
    { path: prefix, module },
    { path: `${prefix}?page=1`, module },
  ]);
}

const MODULE_SETS: ModuleKey[][] = [
  ...MODULE_KEYS.map((k) => [k]),
  ["network_monitoring", "call_monitoring"],
  ["db_monitoring", "app_monitoring", "log_monitoring"],
  [...MODULE_KEYS],
];

for (const engine of testEngines()) {
  Deno.test(`licenses (${engine}): gating, administration, tamper, expiry`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    let now = Date.now();
    const licenses = devLicenseService(database, () => now);
    const auth = createAuth(database);
    const app = createApp({
      database,
      partitions: new PartitionManager(database),
      maxBatchBytes: 1 << 20,
      pageSize: 50,
      licenses,
      auth,
    });
    const admin = await createTestUser(auth, "admin");
    const api = (await tokenFor(auth, admin, "admin")).headers;
    const browser = await sessionFor(auth, admin.id);
    const page = (path: string) =>
      app.request(`${BASE}${path}`, { headers: browser.headers({ accept: "text/html" }) });
    const call = (path: string, init: RequestInit = {}) =>
      app.request(`${BASE}${path}`, { ...init, headers: { ...api, ...init.headers } });
    const install = (text: string) => call("/api/v1/licenses", { method: "POST", body: text });
    const removeAll = async () => {
      for (const entry of await licenses.list()) {
        await licenses.remove(entry.license.id, { kind: "system", name: "test" });
      }
    };

    // An appliance enrolled while a license allowed it, which keeps reporting after it is gone.
    assert.equal((await install((await issueTestLicense({ now })).text)).status, 201);
    const appliance = await enrollTestAppliance({ app, database }, { license: false });
    await removeAll();

    try {
      await t.step("with no license every gated route answers 403 naming its module", async () => {
        for (const { path, module } of gatedRequests()) {
          const res = path.startsWith("/api/") ? await call(path) : await page(path);
          const body = await res.text();
          assert.equal(res.status, 403, path);
          assert.ok(
            body.includes(`module ${module} is not licensed`),
            `${path}: ${body.slice(0, 200)}`,
          );
        }
        const html = await (await page("/flows")).text();
        assert.match(html, /data-notice="no_license"/);
        assert.match(html, /class="nav-section is-locked" data-module="network_monitoring"/);
        assert.match(html, /Needs a Network monitoring license \(network_monitoring\)/);
        // Administration stays reachable, and so do probes.
        assert.equal((await page("/admin/licenses")).status, 200);
        assert.equal((await app.request(`${BASE}/healthz`)).status, 200);
      });

      await t.step("gating cannot be bypassed by spelling the path differently", async () => {
        for (
          const path of [
            "/flows/",
            "/%66lows",
            "/api/v1/flows/",
            "/api/v1/%66lows",
            "/api/v1/flows?x=1#y",
          ]
        ) {
          const res = path.startsWith("/api/") ? await call(path) : await page(path);
          await res.body?.cancel();
          assert.notEqual(res.status, 200, path);
        }
        const head = await call("/api/v1/flows", { method: "HEAD" });
        assert.notEqual(head.status, 200);
      });

      await t.step("ingest is not gated: data arrives while no license is installed", async () => {
        const init = cborRequest(flowBatch([flowRecord()], { appliance: appliance.applianceId }));
        const res = await app.request(`${BASE}/api/v1/ingest`, {
          ...init,
          headers: { ...init.headers, ...appliance.headers },
        });
        assert.equal(res.status, 200, await res.clone().text());
      });

      await t.step("module matrix: each route answers 200 or 403 as the table says", async () => {
        for (const set of MODULE_SETS) {
          await removeAll();
          const { text } = await issueTestLicense({ modules: set, now });
          assert.equal((await install(text)).status, 201);
          for (const { path, module } of gatedRequests()) {
            const res = path.startsWith("/api/") ? await call(path) : await page(path);
            const body = await res.text();
            const what = `${set.join("+")}: ${path}`;
            if (!set.includes(module)) {
              assert.equal(res.status, 403, what);
            } else if (path.startsWith("/network") && !path.startsWith("/network/")) {
              // The section's landing URL: past the gate, it opens resource analysis.
              assert.equal(res.status, 302, what);
              assert.equal(
                res.headers.get("location"),
                path.replace("/network", "/network/resource"),
                what,
              );
            } else if (res.status === 404) {
              // A prefix that only groups pages: past the gate, it has no page of its own.
              assert.match(body, /no route for GET/, what);
            } else {
              assert.equal(res.status, 200, what);
            }
          }
          // The navigation locks exactly the modules not in the set.
          const html = await (await page("/admin/licenses")).text();
          for (const key of MODULE_KEYS) {
            const locked = html.includes(`class="nav-section is-locked" data-module="${key}"`);
            assert.equal(locked, !set.includes(key), `${set.join("+")}: nav ${key}`);
          }
        }
      });

      await t.step("licenses combine: union of modules, sum of appliance limits", async () => {
        await removeAll();
        await install(
          (await issueTestLicense({ modules: ["network_monitoring"], appliances: 2, now })).text,
        );
        await install(
          (await issueTestLicense({ modules: ["db_monitoring"], appliances: 3, now })).text,
        );
        const state = await (await call("/api/v1/licenses")).json();
        assert.equal(state.modules.network_monitoring.enabled, true);
        assert.equal(state.modules.db_monitoring.enabled, true);
        assert.equal(state.modules.app_monitoring.enabled, false);
        assert.equal(state.limits.appliances, 5);
        assert.equal(state.usage.appliances, 1, "test-1 reported flows");
        assert.equal(state.licenses.length, 2);
        const html = await (await page("/admin/licenses")).text();
        assert.match(html, /<span class="usage-figure">1 of 5<\/span>/);
        assert.match(html, /data-module="db_monitoring" data-status="active"/);
      });

      await t.step(
        "tampered, foreign, future, past and duplicate licenses are refused by the API",
        async () => {
          const good = await issueTestLicense({ id: "GOOD-1", modules: ["log_monitoring"], now });
          assert.equal((await install(good.text)).status, 201);
          const other = await importPrivateKey((await generateKeyPair()).privatePem, "other");
          const cases: [string, string, number, RegExp][] = [
            ["duplicate", good.text, 409, /license GOOD-1 is already installed \(duplicate id\)/],
            [
              "a changed byte",
              (await issueTestLicense({ id: "T-1", now })).text.replace(
                '"appliances": 10',
                '"appliances": 90',
              ),
              422,
              /license T-1: the signature does not match its content/,
            ],
            [
              "a wrong key",
              (await issueTestLicense({ id: "K-1", now, key: other })).text,
              422,
              /license K-1 is signed with key [0-9a-f]{16}, which this manager does not trust/,
            ],
            [
              "the future",
              (await issueTestLicense({ id: "F-1", now, notBefore: now + 3 * DAY_MS })).text,
              422,
              /license F-1 is not valid yet/,
            ],
            [
              "the past",
              (await issueTestLicense({ id: "P-1", now, notBefore: now - 40 * DAY_MS, days: 30 }))
                .text,
              422,
              /license P-1 has expired/,
            ],
            ["not a license", "hello", 400, /not a license file/],
            ["too large", `{"x":"${"a".repeat(70_000)}"}`, 413, /larger than 65536 bytes/],
          ];
          for (const [what, body, status, message] of cases) {
            const res = await install(body);
            const json = await res.json();
            assert.equal(res.status, status, `${what}: ${JSON.stringify(json)}`);
            assert.match(json.error, message, what);
          }
          const ids = (await (await call("/api/v1/licenses")).json()).licenses.map((
            l: { id: string },
          ) => l.id);
          assert.ok(!ids.some((id: string) => /^(T|K|F|P)-1$/.test(id)), ids.join());
        },
      );

      await t.step(
        "the upload form installs a license and refuses a tampered one next to the field",
        async () => {
          const upload = async (text: string) => {
            const form = new FormData();
            form.set("license", new File([text], "license.json", { type: "application/json" }));
            return await app.request(`${BASE}/admin/licenses`, {
              method: "POST",
              body: form,
              headers: browser.headers({ accept: "text/html" }),
              redirect: "manual",
            });
          };
          const good = await issueTestLicense({ id: "UI-1", modules: ["metrics_monitoring"], now });
          const ok = await upload(good.text);
          assert.equal(ok.status, 303);
          assert.equal(ok.headers.get("location"), "/admin/licenses?installed=UI-1");
          assert.match(
            await (await page("/admin/licenses?installed=UI-1")).text(),
            /License UI-1 installed\./,
          );
          const bad = await upload(good.text.replace("UI-1", "UI-2"));
          assert.equal(bad.status, 422);
          const html = await bad.text();
          assert.match(
            html,
            /<p id="license-error" class="field-error license-error" role="alert">license UI-2: the signature does not match/,
          );
          // Without the CSRF token the form is refused (access control's layer).
          const form = new FormData();
          form.set("license", new File([good.text], "l.json"));
          const forged = await app.request(`${BASE}/admin/licenses`, {
            method: "POST",
            body: form,
            headers: { cookie: browser.cookie, accept: "text/html" },
          });
          await forged.body?.cancel();
          assert.equal(forged.status, 403);
        },
      );

      await t.step(
        "inspect shows the terms and the file; remove turns the module off",
        async () => {
          const html = await (await page("/admin/licenses/UI-1")).text();
          assert.match(html, /<dt>Modules<\/dt><dd>metrics_monitoring<\/dd>/);
          assert.match(html, /&quot;signature&quot;: &quot;/);
          const res = await app.request(`${BASE}/admin/licenses/UI-1/remove`, {
            method: "POST",
            headers: browser.headers({ accept: "text/html" }),
            redirect: "manual",
          });
          assert.equal(res.status, 303);
          const state = await (await call("/api/v1/licenses")).json();
          assert.equal(state.modules.metrics_monitoring.enabled, false);
          assert.equal((await call("/api/v1/licenses/UI-1")).status, 404);
          assert.equal((await call("/api/v1/licenses/UI-1", { method: "DELETE" })).status, 404);
        },
      );

      await t.step(
        "warnings, grace, expiry: data is kept and comes back with a valid license",
        async () => {
          await removeAll();
          const { text } = await issueTestLicense({
            id: "EXP-1",
            modules: ["network_monitoring"],
            days: 10,
            graceDays: 2,
            now,
          });
          assert.equal((await install(text)).status, 201);
          const flows = async () => (await call("/api/v1/flows")).status;
          assert.equal(await flows(), 200);
          assert.match(await (await page("/flows")).text(), /data-notice="expires_in_30d"/);
          now += 9.5 * DAY_MS;
          assert.match(await (await page("/admin/licenses")).text(), /data-notice="expires_in_1d"/);
          now += DAY_MS; // expired, in grace
          assert.equal(await flows(), 200);
          assert.match(
            await (await page("/flows")).text(),
            /data-notice="grace"[^>]*><span class="license-banner-text">License expired on/,
          );
          now += 2 * DAY_MS; // grace over
          const res = await call("/api/v1/flows");
          assert.equal(res.status, 403);
          assert.match(
            (await res.json()).error,
            /^module network_monitoring is not licensed \(license expired; the module turned off on \d{4}-\d\d-\d\d\)$/,
          );
          assert.match(
            await (await page("/admin/licenses")).text(),
            /data-module="network_monitoring" data-status="expired"/,
          );
          const renewal = await issueTestLicense({
            id: "EXP-2",
            modules: ["network_monitoring"],
            now,
          });
          assert.equal((await install(renewal.text)).status, 201);
          const back = await (await call("/api/v1/flows")).json();
          assert.equal(back.total, 1, "the flow ingested while unlicensed is still there");
        },
      );
    } finally {
      await tdb.dispose();
    }
  });
}

Deno.test("manager license install / list / verify / remove from the command line", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tapline-license-cli-" });
  const env = { TAPLINE_DATA_DIR: `${tmp}/manager`, DATABASE_URL: "", TAPLINE_LICENSE_KEYS: "" };
  try {
    const good = await issueTestLicense({
      id: "CLI-1",
      modules: ["network_monitoring", "db_monitoring"],
    });
    await Deno.writeTextFile(`${tmp}/good.json`, good.text);
    await Deno.writeTextFile(`${tmp}/bad.json`, good.text.replace("CLI-1", "CLI-2"));
    const run = (...args: string[]) => runDeno("manager/main.ts", ["license", ...args], env);

    const verifyBad = await run("verify", `${tmp}/bad.json`);
    assert.equal(verifyBad.code, 1);
    assert.match(
      verifyBad.stderr,
      /manager: license CLI-2: the signature does not match its content/,
    );
    assert.match(verifyBad.stderr, /warning: trusting the DEVELOPMENT license key/);

    const installed = await run("install", `${tmp}/good.json`);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(
      installed.stdout,
      /installed license CLI-1 for Test customer: network_monitoring, db_monitoring/,
    );

    const again = await run("install", `${tmp}/good.json`);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /license CLI-1 is already installed \(duplicate id\)/);

    const list = await run("list");
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^CLI-1\tactive\t/m);
    assert.match(
      list.stdout,
      /enabled modules: network_monitoring, db_monitoring; appliances allowed: 10/,
    );

    const removed = await run("remove", "CLI-1");
    assert.equal(removed.code, 0, removed.stderr);
    const gone = await run("remove", "CLI-1");
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no installed license with id "CLI-1"/);

    // A key that is not there is a configuration error, reported before anything runs.
    const badKeys = await runDeno("manager/main.ts", ["license", "list"], {
      ...env,
      TAPLINE_LICENSE_KEYS: `${ROOT}nonexistent.pem`,
    });
    assert.equal(badKeys.code, 1);
    assert.match(badKeys.stderr, /cannot load license keys: .*nonexistent\.pem: no such file/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
