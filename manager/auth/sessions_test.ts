import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openTestDatabase } from "../../tests/support/db.ts";
import { createAuth } from "./service.ts";

const SYSTEM = { kind: "system" as const, name: "test" };

Deno.test("SessionStore: hashed ids, absolute expiry, idle timeout, logout", async (t) => {
  const tdb = await openTestDatabase("pglite");
  const auth = createAuth(tdb.database, { sessionTtlMs: 3_600_000, sessionIdleMs: 600_000 });
  const user = await auth.users.create(SYSTEM, { name: "sam", role: "operator" });
  const t0 = Date.UTC(2026, 10, 25, 12);
  try {
    await t.step("the cookie id is 256 random bits and only its SHA-256 is stored", async () => {
      const s = await auth.sessions.create(user.id, { ip: "10.1.1.1" }, t0);
      assert.match(s.id, /^[A-Za-z0-9_-]{43}$/);
      assert.match(s.csrfToken, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(s.csrfToken, s.id);
      const rows = await tdb.database.rows<{ id_hash: string }>(sql`select id_hash from sessions`);
      assert.equal(rows.length, 1);
      assert.match(rows[0]!.id_hash, /^[0-9a-f]{64}$/);
      assert.ok(!JSON.stringify(rows).includes(s.id));
      const found = await auth.sessions.lookup(s.id, t0 + 1000);
      assert.equal(found?.user.name, "sam");
      assert.equal(found?.user.role, "operator");
      assert.equal(found?.csrfToken, s.csrfToken);
    });

    await t.step("unknown, malformed and tampered ids find nothing", async () => {
      const s = await auth.sessions.create(user.id, {}, t0);
      for (
        const id of ["", "x", s.id.slice(0, -1) + (s.id.endsWith("A") ? "B" : "A"), "' or 1=1 --"]
      ) {
        assert.equal(await auth.sessions.lookup(id, t0 + 1), undefined, id);
      }
    });

    await t.step("idle for 10 minutes ends a session; activity keeps it alive", async () => {
      const s = await auth.sessions.create(user.id, {}, t0);
      assert.ok(await auth.sessions.lookup(s.id, t0 + 9 * 60_000));
      // That lookup counted as activity: 9 more minutes are fine.
      assert.ok(await auth.sessions.lookup(s.id, t0 + 18 * 60_000));
      assert.equal(await auth.sessions.lookup(s.id, t0 + 29 * 60_000), undefined);
      assert.equal(await auth.sessions.lookup(s.id, t0 + 18 * 60_000), undefined, "gone for good");
    });

    await t.step("the absolute lifetime ends a session however active it is", async () => {
      const s = await auth.sessions.create(user.id, {}, t0);
      for (let m = 5; m < 60; m += 5) assert.ok(await auth.sessions.lookup(s.id, t0 + m * 60_000));
      assert.equal(await auth.sessions.lookup(s.id, t0 + 60 * 60_000), undefined);
    });

    await t.step("destroy() and destroyForUser() end sessions", async () => {
      const a = await auth.sessions.create(user.id, {}, t0);
      const b = await auth.sessions.create(user.id, {}, t0);
      const c = await auth.sessions.create(user.id, {}, t0);
      await auth.sessions.destroy(a.id);
      assert.equal(await auth.sessions.lookup(a.id, t0 + 1), undefined);
      const keep = await auth.sessions.lookup(b.id, t0 + 1);
      await auth.sessions.destroyForUser(user.id, keep!.idHash);
      assert.ok(await auth.sessions.lookup(b.id, t0 + 2));
      assert.equal(await auth.sessions.lookup(c.id, t0 + 2), undefined);
    });

    await t.step("a role change applies to live sessions at once", async () => {
      const s = await auth.sessions.create(user.id, {}, t0);
      await auth.users.setRole(SYSTEM, user.id, "viewer");
      assert.equal((await auth.sessions.lookup(s.id, t0 + 1))?.user.role, "viewer");
    });
  } finally {
    await tdb.dispose();
  }
});
