import assert from "node:assert/strict";
import { splitByHour } from "./topology.ts";

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

Deno.test("splitByHour() reads whole hours hourly and the ragged ends per minute", () => {
  assert.deepEqual(splitByHour({ fromMs: T0 + 10 * 60_000, toMs: T0 + 2 * H + 5 * 60_000 }), [
    { table: "network_metrics_1m", range: { fromMs: T0 + 10 * 60_000, toMs: T0 + H } },
    { table: "network_metrics_1h", range: { fromMs: T0 + H, toMs: T0 + 2 * H } },
    { table: "network_metrics_1m", range: { fromMs: T0 + 2 * H, toMs: T0 + 2 * H + 5 * 60_000 } },
  ]);
});

Deno.test("splitByHour() takes an aligned range from the hourly table alone", () => {
  assert.deepEqual(splitByHour({ fromMs: T0, toMs: T0 + 3 * H }), [
    { table: "network_metrics_1h", range: { fromMs: T0, toMs: T0 + 3 * H } },
  ]);
});

Deno.test("splitByHour() keeps a range without a whole hour in the minute table", () => {
  const range = { fromMs: T0 + 30 * 60_000, toMs: T0 + H + 20 * 60_000 };
  assert.deepEqual(splitByHour(range), [{ table: "network_metrics_1m", range }]);
});
