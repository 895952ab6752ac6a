import assert from "node:assert/strict";
import { requestRecord } from "../../tests/support/requests.ts";
import { Spool } from "../spool/mod.ts";
import {
  decodeBatch,
  MAX_REQUEST_TEXT_CHARS,
  type RequestBatch,
  type RequestRecord,
} from "../wire/mod.ts";
import { spoolRequests } from "./spooling.ts";

const APPLIANCE_ID = "6f1c2a0e-4b7d-4c1e-9a57-3d2b8e0f1a11";

async function withSpool(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tapline-spooling-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function spooledBatches(spool: Spool): Promise<RequestBatch[]> {
  const batches: RequestBatch[] = [];
  for (
    let entry = spool.oldest("requests");
    entry !== undefined;
    entry = spool.oldest("requests")
  ) {
    const decoded = decodeBatch((await spool.read(entry))!);
    assert.ok(decoded.ok, decoded.ok ? "" : decoded.error);
    batches.push(decoded.batch as RequestBatch);
    await spool.acked(entry);
  }
  return batches;
}

Deno.test("spoolRequests() cuts over-long texts and leaves out records the manager would refuse", async () => {
  await withSpool(async (dir) => {
    const spool = await Spool.open(dir, { durable: false });
    const long = "/a".repeat(MAX_REQUEST_TEXT_CHARS);
    // A text cut right after a high surrogate would end in half a character.
    const emoji = `${"x".repeat(MAX_REQUEST_TEXT_CHARS - 1)}\u{1F600}`;
    const records: RequestRecord[] = [
      requestRecord({ flowId: 1 }),
      requestRecord({ flowId: 2, requestResource: long, endpoint: emoji }),
      requestRecord({ flowId: 3, endTime: 1 }),
      requestRecord({ flowId: 4, ip0: "not an address" }),
      requestRecord({ flowId: 5 }),
    ];
    const result = await spoolRequests(spool, records, { applianceId: APPLIANCE_ID, batchSize: 2 });
    assert.deepEqual(
      { ...result, firstSeq: undefined, lastSeq: undefined },
      {
        skipped: 0,
        spooled: 3,
        batches: 2,
        firstSeq: undefined,
        lastSeq: undefined,
        truncated: 1,
        invalid: 2,
        invalidSample: "records[0].endTime: before startTime",
      },
    );
    const batches = await spooledBatches(spool);
    // The second batch held only refused records: none spooled, the next one carries on.
    assert.deepEqual(batches.map((b) => b.records.map((r) => r.flowId)), [[1, 2], [5]]);
    const cut = batches[0]!.records[1]!;
    assert.equal(cut.requestResource, long.slice(0, MAX_REQUEST_TEXT_CHARS));
    assert.equal(cut.endpoint, "x".repeat(MAX_REQUEST_TEXT_CHARS - 1));
    assert.equal(records[1]!.requestResource, long, "the caller's record is left as it was");
  });
});

Deno.test("spoolRequests() with a source id skips what an earlier run spooled, also after reopening", async () => {
  await withSpool(async (dir) => {
    const records = Array.from({ length: 7 }, (_, i) => requestRecord({ flowId: i + 1 }));
    const options = { applianceId: APPLIANCE_ID, batchSize: 3, sourceId: "file|requests" };
    const first = await Spool.open(dir, { durable: false });
    const head = await spoolRequests(first, records.slice(0, 4), options);
    assert.deepEqual([head.skipped, head.spooled, head.batches], [0, 4, 2]);
    await first.flush();

    const second = await Spool.open(dir, { durable: false });
    assert.equal(second.recordsSpooled("file|requests"), 4);
    assert.equal(second.recordsSpooled("file"), 0, "the flows' checkpoint is another source");
    const rest = await spoolRequests(second, records, options);
    assert.deepEqual([rest.skipped, rest.spooled, rest.batches], [4, 3, 1]);
    const ids = (await spooledBatches(second)).flatMap((b) => b.records.map((r) => r.flowId));
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7]);
    for (const batch of [head, rest]) assert.equal(batch.invalid, 0);
  });
});
