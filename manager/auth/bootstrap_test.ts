import assert from "node:assert/strict";
import { openTestDatabase } from "../../tests/support/db.ts";
import { bootstrapAdmin } from "./bootstrap.ts";
import { createAuth } from "./service.ts";

Deno.test("bootstrapAdmin() never invents a password: env value, else a one-time link", async (t) => {
  const tdb = await openTestDatabase("pglite");
  const auth = createAuth(tdb.database, { passwordIterations: 1000 });
  try {
    await t.step(
      "first start without TAPLINE_ADMIN_PASSWORD: admin without password + link",
      async () => {
        const first = await bootstrapAdmin(auth, { adminUser: "admin" });
        assert.equal(first.kind, "link");
        if (first.kind !== "link") return;
        const admin = await auth.users.findByName("admin");
        assert.equal(admin?.role, "admin");
        assert.equal(admin?.passwordHash, null, "no default password");
        assert.equal(await auth.users.verifyLogin("admin", ""), undefined);
        assert.equal(await auth.links.consume(first.token), admin!.id);
        assert.equal(await auth.links.consume(first.token), undefined, "single use");
      },
    );

    await t.step("until someone has a password, each start prints a new link", async () => {
      const old = await auth.links.create((await auth.users.findByName("admin"))!.id);
      const again = await bootstrapAdmin(auth, { adminUser: "admin" });
      assert.equal(again.kind, "link");
      assert.equal(await auth.links.peek(old.token), undefined, "the earlier link died");
      assert.equal((await auth.users.list()).length, 1, "no second admin");
    });

    await t.step(
      "TAPLINE_ADMIN_PASSWORD later sets the first password, never a second",
      async () => {
        const set = await bootstrapAdmin(auth, {
          adminUser: "admin",
          adminPassword: "first password 1",
        });
        assert.equal(set.kind, "admin-from-env");
        assert.ok(await auth.users.verifyLogin("admin", "first password 1"));
        const ignored = await bootstrapAdmin(auth, {
          adminUser: "admin",
          adminPassword: "another password 2",
        });
        assert.deepEqual(ignored, { kind: "ready" });
        assert.equal(await auth.users.verifyLogin("admin", "another password 2"), undefined);
      },
    );
  } finally {
    await tdb.dispose();
  }
  const fresh = await openTestDatabase("pglite");
  try {
    const auth2 = createAuth(fresh.database, { passwordIterations: 1000 });
    // A user made with the CLI before the first start is not an admin: one is still created.
    await auth2.users.create({ kind: "cli", name: "cli" }, { name: "early", role: "viewer" });
    const r = await bootstrapAdmin(auth2, { adminUser: "root", adminPassword: "from the env 123" });
    assert.deepEqual(r, { kind: "admin-from-env", user: "root" });
    assert.equal((await auth2.users.verifyLogin("root", "from the env 123"))?.role, "admin");
  } finally {
    await fresh.dispose();
  }
});
