import assert from "node:assert/strict";
import { decodeBatch, encodeBatch, type SecondRecord, validateBatch } from "./mod.ts";

const second: SecondRecord = {
  time: Date.UTC(2026, 11, 5, 10, 0, 1) * 1000,
  ipVersion: 4,
  ip0: "10.0.0.7",
  ip1: "10.0.1.2",
  protocol: 6,
  serverPort: 443,
  captureNic: 0,
  observationPoint: "c",
  packetTx: 12,
  packetRx: 10,
  byteTx: 1400,
  byteRx: 52_000,
  newFlow: 1,
  closedFlow: 0,
  rstCount: 0,
};

const batch = (records: unknown[]) => ({
  v: 2,
  appliance: "tap-1",
  stream: "metrics_1s",
  seq: 1,
  sentAt: 0,
  records,
});

Deno.test("validateBatch() takes a metrics_1s batch through CBOR", () => {
  const result = decodeBatch(encodeBatch(batch([second]) as never));
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.batch.records, [second]);
});

Deno.test("validateBatch() names the bad field of a metrics_1s record", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...second, time: second.time + 500 }, /records\[0\]\.time: expected µs .* whole second/],
    [{ ...second, time: 0 }, /records\[0\]\.time/],
    [{ ...second, ipVersion: 5 }, /records\[0\]\.ipVersion: expected 4 or 6/],
    [{ ...second, ip0: "10.0.0" }, /records\[0\]\.ip0: expected an IP address string/],
    [{ ...second, ip1: 7 }, /records\[0\]\.ip1: expected an IP address string/],
    [{ ...second, protocol: 256 }, /records\[0\]\.protocol: expected an integer 0–255/],
    [{ ...second, serverPort: -1 }, /records\[0\]\.serverPort: expected an integer 0–65535/],
    [{ ...second, captureNic: 1.5 }, /records\[0\]\.captureNic/],
    [{ ...second, observationPoint: "moon" }, /records\[0\]\.observationPoint: expected an obs/],
    [{ ...second, byteRx: "9" }, /records\[0\]\.byteRx: expected a non-negative integer/],
    [{ ...second, rstCount: undefined }, /records\[0\]\.rstCount: expected a non-negative/],
    [{ ...second, newFlow: -2 }, /records\[0\]\.newFlow: expected a non-negative integer/],
  ];
  for (const [record, message] of cases) {
    const result = validateBatch(batch([record]));
    assert.ok(!result.ok, JSON.stringify(record));
    assert.match(result.error, message);
  }
  const second2 = validateBatch(batch([second, [1]]));
  assert.ok(!second2.ok);
  assert.match(second2.error, /records\[1\]: expected a map/);
});

Deno.test("validateBatch() refuses a metrics_1s batch of wire v1", () => {
  const result = validateBatch({ ...batch([second]), v: 1 });
  assert.ok(!result.ok);
  assert.match(result.error, /stream metrics_1s needs schema version 2 or later, got 1/);
});
