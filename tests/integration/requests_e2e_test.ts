/**
 * End to end (issue #8): a generated capture of HTTP, MySQL and DNS traffic → `appliance
 * requests FILE --json` (the real command) → a `requests` batch posted with an enrolled
 * appliance's credential → request_log rows, as many per protocol as the generator made, with
 * its error counts, and the MySQL statements normalized in the DB view.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import {
  encodeBatch,
  L7Protocol,
  REQUEST_FIELDS,
  type RequestRecord,
} from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import { openTestDatabase } from "../support/db.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { devLicenseService, installTestLicense } from "../support/license.ts";
import { runDeno } from "../support/procs.ts";
import { requestBatch } from "../support/requests.ts";
import { generateL7Traffic } from "../tools/_l7_traffic.ts";

Deno.test("appliance requests → requests batch → request_log: counts and errors per protocol", async () => {
  const { bytes, summary } = generateL7Traffic({ connections: 45, seed: 8 });
  const file = await Deno.makeTempFile({ prefix: "tapline-l7-", suffix: ".pcap" });
  const tdb = await openTestDatabase("pglite");
  try {
    await Deno.writeFile(file, bytes);
    const out = await runDeno("appliance/main.ts", ["requests", file, "--json"]);
    assert.equal(out.code, 0, out.stderr);
    const records = out.stdout.trim().split("\n").map((line) => {
      const json = JSON.parse(line) as Record<string, unknown>;
      return Object.fromEntries(
        REQUEST_FIELDS.map((f) => [f.key, json[f.column]]),
      ) as unknown as RequestRecord;
    });
    const made = summary.requests.http + summary.requests.mysql + summary.requests.dns;
    assert.equal(records.length, made);

    const { database } = tdb;
    await installTestLicense(database, { appliances: 10 });
    const app = createApp({
      database,
      partitions: new PartitionManager(database),
      maxBatchBytes: 8 << 20,
      pageSize: 50,
      licenses: devLicenseService(database),
    });
    const me = await enrollTestAppliance({ app, database }, { license: false });
    const res = await app.request("http://manager/api/v1/ingest", {
      method: "POST",
      headers: { "content-type": "application/cbor", ...me.headers },
      body: encodeBatch(requestBatch(records, { appliance: me.applianceId })) as BodyInit,
    });
    assert.equal(res.status, 200, await res.clone().text());

    const rows = await database.rows<{ p: number; n: string | number; errors: string | number }>(
      sql`select l7_protocol as p, count(*) as n,
            count(*) filter (where response_status in (3, 4)) as errors
          from request_log group by 1 order by 1`,
    );
    const by = new Map(rows.map((r) => [Number(r.p), [Number(r.n), Number(r.errors)]]));
    assert.deepEqual(by.get(L7Protocol.Http1), [summary.requests.http, summary.errors.http]);
    assert.deepEqual(by.get(L7Protocol.MySql), [summary.requests.mysql, summary.errors.mysql]);
    assert.deepEqual(by.get(L7Protocol.Dns), [summary.requests.dns, summary.errors.dns]);

    const statements = await database.rows<{ s: string }>(
      sql`select distinct normalized_statement as s from request_log where l7_protocol = 60`,
    );
    assert.ok(statements.length > 0);
    for (const { s } of statements) {
      assert.doesNotMatch(s, /'[^']*'|\b\d+\b/, `literals left in ${s}`);
    }
  } finally {
    await tdb.dispose();
    await Deno.remove(file);
  }
});
