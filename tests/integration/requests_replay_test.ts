/**
 * The `requests` stream on its real path (issue #8): an enrolled appliance runs `appliance replay`
 * on a generated capture of HTTP, MySQL and DNS traffic; request_log then holds as many rows per
 * protocol as the generator made, with its error counts, exactly once after a rerun and after a
 * replay killed with SIGKILL and run again.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { L7Protocol } from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import { enrollWithToken } from "../support/appliance.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";
import { createEnrollmentToken } from "../support/fleet.ts";
import { devLicenseService, installTestLicense } from "../support/license.ts";
import { runDeno, spawnDeno } from "../support/procs.ts";
import { generateL7Traffic, type L7TrafficSummary } from "../tools/_l7_traffic.ts";

/** The manager in this process (PGlite), served over HTTP for the appliance processes. */
async function startManager(tdb: TestDatabase) {
  const { database } = tdb;
  await installTestLicense(database, { appliances: 10 });
  const app = createApp({
    database,
    partitions: new PartitionManager(database),
    maxBatchBytes: 8 << 20,
    pageSize: 50,
    licenses: devLicenseService(database),
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    /** A new appliance enrolled with its own command line into `stateDir`. */
    enroll: async (stateDir: string) => {
      const token = await createEnrollmentToken({ app, database });
      await enrollWithToken(url, stateDir, token);
      return JSON.parse(await Deno.readTextFile(`${stateDir}/identity.json`)).applianceId as string;
    },
    close: () => server.shutdown(),
  };
}

/** request_log of one appliance: [rows, errors] per l7_protocol, and rows not unique. */
async function stored(tdb: TestDatabase, applianceId: string) {
  const rows = await tdb.database.rows<{ p: number; n: string | number; e: string | number }>(
    sql`select l7_protocol as p, count(*) as n,
          count(*) filter (where response_status in (3, 4)) as e
        from request_log where appliance_id = ${applianceId} group by 1 order by 1`,
  );
  const [dup] = await tdb.database.rows<{ n: string | number }>(
    sql`select count(*) as n from (
          select 1 from request_log where appliance_id = ${applianceId}
          group by flow_id, start_time, end_time, type, request_id, request_type, request_resource
          having count(*) > 1) d`,
  );
  return {
    byProtocol: Object.fromEntries(rows.map((r) => [Number(r.p), [Number(r.n), Number(r.e)]])),
    total: rows.reduce((n, r) => n + Number(r.n), 0),
    repeated: Number(dup!.n),
  };
}

function expectedRows(summary: L7TrafficSummary) {
  return {
    [L7Protocol.Http1]: [summary.requests.http, summary.errors.http],
    [L7Protocol.MySql]: [summary.requests.mysql, summary.errors.mysql],
    [L7Protocol.Dns]: [summary.requests.dns, summary.errors.dns],
  };
}

Deno.test("appliance replay → request_log: every request once per protocol, also after a rerun", async () => {
  const { bytes, summary } = generateL7Traffic({ connections: 45, seed: 8 });
  const tmp = await Deno.makeTempDir({ prefix: "tapline-requests-replay-" });
  const tdb = await openTestDatabase("pglite");
  const manager = await startManager(tdb);
  try {
    const pcap = `${tmp}/l7.pcap`;
    await Deno.writeFile(pcap, bytes);
    const stateDir = `${tmp}/appliance`;
    const applianceId = await manager.enroll(stateDir);
    const args = ["replay", pcap, "--state-dir", stateDir, "--batch-size", "40"];
    const made = summary.requests.http + summary.requests.mysql + summary.requests.dns;

    const first = await runDeno("appliance/main.ts", args);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.match(
      first.stdout,
      new RegExp(`request logs +${made} records in ${Math.ceil(made / 40)} batches spooled`),
    );
    const expected = expectedRows(summary);
    assert.deepEqual(await stored(tdb, applianceId), {
      byProtocol: expected,
      total: made,
      repeated: 0,
    });

    const again = await runDeno("appliance/main.ts", args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      new RegExp(`request logs +0 records in 0 batches spooled, ${made} records skipped`),
    );
    assert.deepEqual((await stored(tdb, applianceId)).total, made);
  } finally {
    await manager.close();
    await tdb.dispose();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("appliance replay killed with SIGKILL while request logs go out, run again: each request once", async () => {
  const { bytes, summary } = generateL7Traffic({ connections: 60, seed: 3 });
  const made = summary.requests.http + summary.requests.mysql + summary.requests.dns;
  const tmp = await Deno.makeTempDir({ prefix: "tapline-requests-kill-" });
  const tdb = await openTestDatabase("pglite");
  const manager = await startManager(tdb);
  let child: Deno.ChildProcess | undefined;
  try {
    const pcap = `${tmp}/l7.pcap`;
    await Deno.writeFile(pcap, bytes);
    const stateDir = `${tmp}/appliance`;
    const applianceId = await manager.enroll(stateDir);
    // Small batches: many of them, so the kill lands with some stored and most not.
    const args = ["replay", pcap, "--state-dir", stateDir, "--batch-size", "2"];
    const replay = spawnDeno("appliance/main.ts", args);
    child = replay.child;
    let seen = 0;
    for (let i = 0; i < 600 && seen === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = (await stored(tdb, applianceId)).total;
    }
    child.kill("SIGKILL");
    await child.status;
    await replay.done;
    child = undefined;
    const before = await stored(tdb, applianceId);
    assert.ok(before.total > 0 && before.total < made, `killed at ${before.total} of ${made}`);

    const again = await runDeno("appliance/main.ts", args);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(await stored(tdb, applianceId), {
      byProtocol: expectedRows(summary),
      total: made,
      repeated: 0,
    });
  } finally {
    if (child !== undefined) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    }
    await manager.close();
    await tdb.dispose();
    await Deno.remove(tmp, { recursive: true });
  }
});
