import assert from "node:assert/strict";
import { openTestDatabase } from "../../tests/support/db.ts";
import { runAuthCommand } from "./cli.ts";
import { createAuth } from "./service.ts";

Deno.test("runAuthCommand() creates users, prints sign-in links and tokens, refuses bad input", async (t) => {
  const tdb = await openTestDatabase("pglite");
  const auth = createAuth(tdb.database, { passwordIterations: 1000 });
  const origin = "http://127.0.0.1:8080";
  const run = async (
    command: "user" | "token",
    args: string[],
    options: Record<string, string | boolean> = {},
    stdin = "",
  ) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAuthCommand(auth, {
      command,
      args,
      origin,
      passwordStdin: false,
      ...options,
    }, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      readStdin: () => Promise.resolve(stdin),
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  try {
    await t.step("user create without a password prints a one-time link", async () => {
      const r = await run("user", ["create", "alice"], { role: "operator" });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /created user alice \(operator, id \d+\)/);
      const token = /\/login\/once\?token=([A-Za-z0-9_-]{43})/.exec(r.out)?.[1];
      assert.ok(token, r.out);
      assert.ok(r.out.includes(`${origin}/login/once?token=`));
      assert.equal(await auth.links.peek(token), (await auth.users.findByName("alice"))?.id);
    });

    await t.step("user create --password-stdin sets the password from standard input", async () => {
      const r = await run("user", ["create", "bob"], { passwordStdin: true }, "bob's password!\n");
      assert.equal(r.code, 0, r.err);
      assert.equal((await auth.users.verifyLogin("bob", "bob's password!"))?.role, "viewer");
      assert.doesNotMatch(r.out, /login\/once/);
    });

    await t.step("problems exit non-zero with the reason", async () => {
      const dup = await run("user", ["create", "ALICE"]);
      assert.equal(dup.code, 1);
      assert.match(dup.err, /already exists/);
      const weak = await run("user", ["create", "carol"], { passwordStdin: true }, "short\n");
      assert.equal(weak.code, 1);
      assert.match(weak.err, /at least 12 characters/);
      const role = await run("user", ["create", "dave"], { role: "root" });
      assert.equal(role.code, 1);
      assert.match(role.err, /Role must be one of viewer, operator, admin/);
      assert.equal((await run("user", ["frobnicate"])).code, 2);
      assert.equal((await run("user", ["link", "nobody"])).code, 1);
    });

    await t.step("token create prints the token once; list shows only its prefix", async () => {
      const r = await run("token", ["create"], { user: "alice", scope: "write", name: "ci" });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^tplu_[A-Za-z0-9_-]{43}$/);
      const check = await auth.tokens.authenticate(r.out);
      assert.ok(check.ok && check.identity.scope === "write");
      const list = await run("token", ["list"], { user: "alice" });
      assert.ok(!list.out.includes(r.out));
      assert.ok(list.out.includes(r.out.slice(0, 11)));
      const tooStrong = await run("token", ["create"], { user: "alice", scope: "admin" });
      assert.equal(tooStrong.code, 1);
      assert.match(tooStrong.err, /above what you may grant \(at most write\)/);
      const id = /^(\d+)\t/.exec(list.out)![1]!;
      assert.match((await run("user", ["list"])).out, /\talice\toperator\tno password\t1 tokens/);
      assert.equal((await run("token", ["revoke", id])).code, 0);
      assert.match((await run("user", ["list"])).out, /\talice\toperator\tno password\t0 tokens/);
      assert.match((await run("user", ["list"])).out, /\tbob\tviewer\tpassword set\t0 tokens/);
      assert.deepEqual(await auth.tokens.authenticate(r.out), {
        ok: false,
        reason: "this API token was revoked",
      });
    });

    await t.step("every change is in the audit log as the CLI", async () => {
      const { rows } = await auth.audit.list({ page: 1, pageSize: 100, actor: "manager-cli" });
      const actions = rows.map((r) => r.action).sort();
      assert.deepEqual(actions, [
        "token.create",
        "token.revoke",
        "user.create",
        "user.create",
        "user.link",
      ]);
      assert.ok(rows.every((r) => r.actorKind === "cli" && r.ip === null));
    });
  } finally {
    await tdb.dispose();
  }
});
