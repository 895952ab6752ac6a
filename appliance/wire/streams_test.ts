import assert from "node:assert/strict";
import { Encoder } from "cbor-x";
import { decodeBatch, encodeBatch, isIpText, validateBatch } from "./mod.ts";

const event = { time: Date.UTC(2026, 10, 25), kind: "config_applied", detail: { version: 3 } };
const batch = (over: Record<string, unknown>) => ({
  v: 2,
  appliance: "tap-1",
  stream: "events",
  seq: 1,
  sentAt: 0,
  records: [event],
  ...over,
});

Deno.test("isIpText() accepts what inet takes and refuses the rest", () => {
  for (
    const ok of [
      "10.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "2001:db8::53",
      "fe80::1:2:3:4:5:6",
      "::ffff:10.1.2.3",
      "1:2:3:4:5:6:7:8",
    ]
  ) {
    assert.ok(isIpText(ok), ok);
  }
  for (
    const bad of [
      "",
      "10.0.0",
      "256.1.1.1",
      "10.0.0.01x",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      ":1",
      "g::1",
      "10.0.0.1\t",
      "1:2:3:4:5:6:7::8:9",
    ]
  ) {
    assert.ok(!isIpText(bad), bad);
  }
});

Deno.test("validateBatch() checks events records, naming the field", () => {
  assert.ok(decodeBatch(encodeBatch(batch({}) as never)).ok);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...event, time: -1 }, /records\[0\]\.time: expected ms since the epoch/],
    [{ ...event, time: 1e17 }, /records\[0\]\.time/],
    [{ ...event, kind: "Config Applied" }, /records\[0\]\.kind: expected a snake_case name/],
    [{ ...event, detail: [1] }, /records\[0\]\.detail: expected a map/],
    [
      { ...event, detail: { a: { b: new Uint8Array(2) } } },
      /records\[0\]\.detail\.a\.b: expected JSON values/,
    ],
    [{ ...event, detail: { big: "x".repeat(20_000) } }, /records\[0\]\.detail: longer than 16384/],
  ];
  for (const [record, message] of cases) {
    const result = validateBatch(batch({ records: [record] }));
    assert.ok(!result.ok);
    assert.match(result.error, message);
  }
});

Deno.test("validateBatch() refuses an events batch of wire v1, which had no such stream", () => {
  const result = validateBatch(batch({ v: 1 }));
  assert.ok(!result.ok);
  assert.match(result.error, /stream events needs schema version 2 or later, got 1/);
});

Deno.test("decodeBatch() refuses a truncated body", () => {
  const bytes = new Encoder({ mapsAsObjects: true }).encode({
    ...batch({ stream: "flows", records: [] }),
  });
  assert.match(
    (decodeBatch(bytes.subarray(0, bytes.length - 3)) as { error: string }).error,
    /^body: not valid CBOR/,
  );
});
