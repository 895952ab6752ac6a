import assert from "node:assert/strict";
import { FLOW_FIELDS } from "../../appliance/wire/mod.ts";
import { createScratchDatabase, testEngines } from "../support/db.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { runDeno, startManager } from "../support/procs.ts";
import { applianceIdOf, enrollWithCli } from "../support/appliance.ts";

/** A record's every field, in DESIGN §7's snake_case (as `flows --json` prints it). */
const key = (columns: Record<string, unknown>) =>
  FLOW_FIELDS.map((f) => `${f.column}=${columns[f.column]}`).join(" ");

/** An API row (wire names) as `flows --json` would print it. */
const asColumns = (row: Record<string, unknown>) =>
  Object.fromEntries(FLOW_FIELDS.map((f) => [f.column, row[f.key]]));

for (const engine of testEngines()) {
  Deno.test(`appliance replay → manager (${engine}): every flow of the capture is a row`, async () => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-replay-" });
    const scratch = engine === "postgres" ? await createScratchDatabase() : undefined;
    const env: Record<string, string> = scratch
      ? { DATABASE_URL: scratch.url }
      : { TAPLINE_DATA_DIR: `${tmp}/manager`, DATABASE_URL: "" };
    // /flows and /api/v1/flows need network_monitoring: installed before the manager starts.
    await installLicenseWithCli(env, { modules: ["network_monitoring"] });
    const manager = await startManager({ ...env, ...managerAuthEnv() });
    try {
      const ready = await fetch(`${manager.url}/readyz`);
      // Reading flows needs a signed-in user (the admin from TAPLINE_ADMIN_PASSWORD).
      const session = await signInOverHttp(manager.url);
      const { headers } = session;
      assert.equal(ready.status, 200);
      assert.equal((await ready.json()).database, engine);

      const pcap = `${tmp}/capture.pcap`;
      const gen = await runDeno("tests/tools/gen_pcap.ts", [
        "--out",
        pcap,
        "--flows",
        "150",
        "--seed",
        "7",
      ]);
      assert.equal(gen.code, 0, gen.stderr);

      const listed = await runDeno("appliance/main.ts", ["flows", pcap, "--json"]);
      assert.equal(listed.code, 0, listed.stderr);
      const expected: Record<string, unknown>[] = listed.stdout.trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.ok(expected.length >= 150, `the generator made ${expected.length} flow-log records`);
      assert.equal(expected.filter((r) => r.is_new_flow === 1).length, 150);

      // The appliance enrolls with a one-time token, then reports as itself.
      const stateDir = await enrollWithCli(manager.url, `${tmp}/appliance`, {
        name: "replay-test",
        session,
      });
      const applianceId = applianceIdOf(stateDir);
      const replay = await runDeno("appliance/main.ts", [
        "replay",
        pcap,
        "--state-dir",
        stateDir,
        "--batch-size",
        "64",
      ]);
      assert.equal(replay.code, 0, replay.stderr + replay.stdout);

      const api =
        await (await fetch(`${manager.url}/api/v1/flows?pageSize=10000`, { headers: headers() }))
          .json();
      assert.equal(api.total, expected.length);
      assert.deepEqual(api.rows.map(asColumns).map(key).sort(), expected.map(key).sort());
      assert.ok(api.rows.every((r: { appliance: string }) => r.appliance === applianceId));

      // Run again: the spool's checkpoint skips every record, nothing is stored twice.
      const again = await runDeno("appliance/main.ts", ["replay", pcap, "--state-dir", stateDir]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /batches +0 spooled, [\d,]+ records skipped/);

      // Bad input: a text file is not a capture. One line, exit 1, nothing stored.
      const text = `${tmp}/notes.txt`;
      await Deno.writeTextFile(text, "hello, this is not a capture file\n");
      const bad = await runDeno("appliance/main.ts", ["replay", text, "--state-dir", stateDir]);
      assert.equal(bad.code, 1);
      const lines = bad.stderr.trim().split("\n");
      assert.equal(lines.length, 1, bad.stderr);
      assert.match(lines[0]!, /not a pcap file/);
      const after =
        await (await fetch(`${manager.url}/api/v1/flows?pageSize=1`, { headers: headers() }))
          .json();
      assert.equal(after.total, expected.length);

      // The page shows them too (server-rendered, no JavaScript needed).
      const html = await (await fetch(`${manager.url}/flows`, { headers: headers() })).text();
      assert.match(html, /<tr data-flow-id=/);
      assert.ok(html.includes(applianceId) || html.includes("replay-test"));
    } finally {
      await manager.stop();
      await scratch?.drop();
      await Deno.remove(tmp, { recursive: true });
    }
  });
}

Deno.test("manager serve refuses a second process on the same PGlite data folder", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tapline-lock-" });
  const first = await startManager({ TAPLINE_DATA_DIR: `${tmp}/m`, DATABASE_URL: "" });
  try {
    const second = await runDeno("manager/main.ts", ["serve", "--port", "0"], {
      TAPLINE_DATA_DIR: `${tmp}/m`,
      DATABASE_URL: "",
    });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /in use by another manager process/);
    assert.equal((await fetch(`${first.url}/readyz`)).status, 200);
  } finally {
    await first.stop();
    await Deno.remove(tmp, { recursive: true });
  }
});
