import assert from "node:assert/strict";
import { openTestDatabase } from "../../tests/support/db.ts";
import { DEFAULT_THROTTLE, LoginThrottle, throttleKeys } from "./throttle.ts";

Deno.test("LoginThrottle.delayAfter() waits only after the allowed failures, doubling, capped", () => {
  const t = new LoginThrottle({} as never, DEFAULT_THROTTLE);
  assert.equal(t.delayAfter(4, 5), 0);
  assert.equal(t.delayAfter(5, 5), 15_000);
  assert.equal(t.delayAfter(6, 5), 30_000);
  assert.equal(t.delayAfter(8, 5), 120_000);
  assert.equal(t.delayAfter(20, 5), 15 * 60_000);
  assert.equal(t.delayAfter(10_000, 5), 15 * 60_000);
});

Deno.test("throttleKeys() names the account (case-insensitively) and the address", () => {
  assert.deepEqual(throttleKeys(" Alice ", "10.0.0.7"), ["user:alice", "ip:10.0.0.7"]);
  assert.deepEqual(throttleKeys("bob", undefined), ["user:bob"]);
});

Deno.test("LoginThrottle blocks an account after 5 failures and an address after 10", async (t) => {
  const tdb = await openTestDatabase("pglite");
  const throttle = new LoginThrottle(tdb.database);
  const t0 = Date.UTC(2026, 10, 25, 12);
  try {
    await t.step("five failures on one account: the sixth attempt waits 15 s", async () => {
      const keys = throttleKeys("alice", "10.0.0.1");
      for (let i = 0; i < 4; i++) await throttle.fail(keys, t0 + i);
      assert.deepEqual(await throttle.check(keys, t0 + 10), { blocked: false });
      await throttle.fail(keys, t0 + 10);
      const verdict = await throttle.check(keys, t0 + 11);
      assert.equal(verdict.blocked, true);
      assert.ok(verdict.blocked && verdict.reason === "account");
      assert.ok(verdict.blocked && verdict.retryAfterMs === 15_000 - 1);
      assert.deepEqual(await throttle.check(keys, t0 + 10 + 15_000), { blocked: false });
      // The next failure doubles the wait.
      await throttle.fail(keys, t0 + 20_000);
      const again = await throttle.check(keys, t0 + 20_000);
      assert.ok(again.blocked && again.retryAfterMs === 30_000);
    });

    await t.step("a success clears the account but not the address", async () => {
      await throttle.succeed(throttleKeys("alice", "10.0.0.1"));
      assert.deepEqual(await throttle.check(["user:alice"], t0 + 20_001), { blocked: false });
      const rows = await throttle.check(["ip:10.0.0.1"], t0 + 20_001);
      assert.equal(rows.blocked, false, "6 address failures are under the address limit");
    });

    await t.step("ten failures from one address over many accounts block the address", async () => {
      for (let i = 0; i < 10; i++) await throttle.fail(throttleKeys(`u${i}`, "10.0.0.2"), t0 + i);
      const verdict = await throttle.check(throttleKeys("someone-new", "10.0.0.2"), t0 + 20);
      assert.ok(verdict.blocked && verdict.reason === "address");
      const elsewhere = await throttle.check(throttleKeys("someone-new", "10.0.0.3"), t0 + 20);
      assert.equal(elsewhere.blocked, false);
    });

    await t.step("failures are forgotten after an hour without another", async () => {
      const keys = throttleKeys("carol", undefined);
      for (let i = 0; i < 7; i++) await throttle.fail(keys, t0);
      assert.equal((await throttle.check(keys, t0 + 1000)).blocked, true);
      const later = t0 + DEFAULT_THROTTLE.forgetMs;
      assert.equal((await throttle.check(keys, later)).blocked, false);
      await throttle.fail(keys, later);
      assert.equal((await throttle.check(keys, later + 1)).blocked, false, "counting from 1 again");
    });
  } finally {
    await tdb.dispose();
  }
});
