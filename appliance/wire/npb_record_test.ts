import assert from "node:assert/strict";
import { decodeBatch, encodeBatch, type NpbCounterRecord, validateBatch } from "./mod.ts";

const record: NpbCounterRecord = {
  time: Date.UTC(2026, 11, 5, 10),
  kind: "point",
  id: "point-7",
  packets: 20,
  bytes: 1160,
  matched: 0,
  filter: 0,
  direction: 0,
  dedup: 0,
  rateLimit: 0,
  fuse: 0,
  sendError: 2,
  truncated: 0,
  lastError: "sendmmsg: Network is unreachable",
  lastSendAt: Date.UTC(2026, 11, 5, 9, 59),
};
const batch = (records: unknown[]) => ({
  v: 2,
  appliance: "tap-1",
  stream: "npb_counters",
  seq: 1,
  sentAt: 0,
  records,
});

Deno.test("npb_counters batches round-trip through CBOR", () => {
  const decoded = decodeBatch(encodeBatch(batch([record]) as never));
  assert.ok(decoded.ok, decoded.ok ? "" : decoded.error);
  assert.deepEqual(decoded.batch.records, [record]);
});

Deno.test("validateBatch() names the bad field of an npb_counters record", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ kind: "tunnel" }, /records\[0\]\.kind: expected policy or point/],
    [{ id: "" }, /records\[0\]\.id/],
    [{ packets: -1 }, /records\[0\]\.packets: expected a non-negative integer/],
    [{ sendError: 1.5 }, /records\[0\]\.sendError/],
    [{ lastError: 7 }, /records\[0\]\.lastError/],
    [{ time: 0 }, /records\[0\]\.time/],
  ];
  for (const [change, message] of cases) {
    const result = validateBatch(batch([{ ...record, ...change }]));
    assert.ok(!result.ok);
    assert.match(result.error, message);
  }
});
