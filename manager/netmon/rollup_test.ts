import assert from "node:assert/strict";
import { minuteRuns } from "./rollup.ts";

const M = 60_000;
const T = Date.UTC(2026, 0, 1);

Deno.test("minuteRuns() merges adjacent minutes and splits at gaps, in order, once each", () => {
  const runs = minuteRuns([T + 3 * M, T, T + M, T + M, T + 7 * M, T + 8 * M]);
  assert.deepEqual(runs, [
    { fromMs: T, toMs: T + 2 * M },
    { fromMs: T + 3 * M, toMs: T + 4 * M },
    { fromMs: T + 7 * M, toMs: T + 9 * M },
  ]);
  assert.deepEqual(minuteRuns([]), []);
});

Deno.test("minuteRuns() caps a run at one hour", () => {
  const minutes = Array.from({ length: 150 }, (_, i) => T + i * M);
  const runs = minuteRuns(minutes);
  assert.deepEqual(runs, [
    { fromMs: T, toMs: T + 60 * M },
    { fromMs: T + 60 * M, toMs: T + 120 * M },
    { fromMs: T + 120 * M, toMs: T + 150 * M },
  ]);
  // Every minute is in exactly one run.
  assert.equal(runs.reduce((s, r) => s + (r.toMs - r.fromMs) / M, 0), 150);
});
