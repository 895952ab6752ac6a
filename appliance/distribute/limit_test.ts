import assert from "node:assert/strict";
import { DedupTable, Fuse, TokenBucket } from "./limit.ts";

Deno.test("DedupTable.isDuplicate() drops a repeat within the window only", () => {
  const table = new DedupTable(10);
  const h = new Uint32Array([5, 6]);
  assert.equal(table.isDuplicate(h, 0), false);
  assert.equal(table.isDuplicate(h, 9_999), true);
  assert.equal(table.isDuplicate(h, 10_000), false);
  assert.equal(table.isDuplicate(new Uint32Array([5, 7]), 10_001), false);
});

Deno.test("DedupTable.isDuplicate() stays bounded when full and never drops a new packet", () => {
  const table = new DedupTable(1000, 16);
  for (let i = 0; i < 1000; i++) {
    assert.equal(table.isDuplicate(new Uint32Array([i * 16, i]), i), false);
  }
  // The most recent entries survive.
  assert.equal(table.isDuplicate(new Uint32Array([999 * 16, 999]), 1000), true);
});

Deno.test("TokenBucket.take() allows the burst, then the rate", () => {
  const bucket = new TokenBucket(8_000, 1000); // 1000 bytes/s
  assert.equal(bucket.take(600, 0), true);
  assert.equal(bucket.take(600, 0), false);
  assert.equal(bucket.take(400, 0), true);
  assert.equal(bucket.take(100, 50_000), false); // 50 bytes refilled
  assert.equal(bucket.take(100, 100_000), true); // 100 bytes refilled
  assert.equal(bucket.take(1000, 10_000_000), true); // capped at the burst
  assert.equal(bucket.take(1, 10_000_000), false);
});

Deno.test("Fuse.update() trips above the threshold and resets under 90 %", () => {
  const fuse = new Fuse(1000);
  fuse.update(1000);
  assert.equal(fuse.tripped, false);
  fuse.update(1001);
  assert.equal(fuse.tripped, true);
  fuse.update(950);
  assert.equal(fuse.tripped, true);
  fuse.update(899);
  assert.equal(fuse.tripped, false);
  assert.equal(fuse.trips, 1);
});

Deno.test("Fuse.offer() measures 1-second windows of offered bytes", () => {
  const fuse = new Fuse(8000); // 1000 bytes/s
  assert.equal(fuse.offer(2000, 0), true);
  assert.equal(fuse.offer(10, 1_000_000), false); // 2000 bytes in 1 s: trips
  assert.equal(fuse.offer(10, 1_500_000), false);
  assert.equal(fuse.offer(10, 2_000_000), true); // 20 bytes in the last second: resets
});
