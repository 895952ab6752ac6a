import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

Deno.test("loadConfig() fills defaults: port 8080, PGlite in data/manager", () => {
  const c = loadConfig(["serve"], {});
  assert.equal(c.command, "serve");
  assert.equal(c.port, 8080);
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.dataDir, "data/manager");
});

Deno.test("loadConfig() takes the flag over the environment", () => {
  const c = loadConfig(["serve", "--port", "9000"], {
    TAPLINE_PORT: "7000",
    DATABASE_URL: "postgres://u:p@127.0.0.1/db",
  });
  assert.equal(c.port, 9000);
  assert.equal(c.databaseUrl, "postgres://u:p@127.0.0.1/db");
});

Deno.test("loadConfig() reports every problem at once", () => {
  try {
    loadConfig(["frobnicate", "--port", "99999"], {
      DATABASE_URL: "mysql://x",
      TAPLINE_PARTITIONS_AHEAD: "-1",
    });
    assert.fail("expected a ConfigError");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 4, err.problems.join("\n"));
  }
});

Deno.test("loadConfig() reads license subcommands and TAPLINE_LICENSE_KEYS", () => {
  const c = loadConfig(["license", "install", "acme.json"], {
    TAPLINE_LICENSE_KEYS: "/etc/tapline/vendor.pem, /etc/tapline/old.pem",
  });
  assert.equal(c.command, "license");
  assert.deepEqual(c.license, { action: "install", arg: "acme.json" });
  assert.deepEqual(c.licenseKeys, ["/etc/tapline/vendor.pem", "/etc/tapline/old.pem"]);
  assert.deepEqual(loadConfig(["license", "list"], {}).license, { action: "list" });
  assert.equal(loadConfig(["serve"], { TAPLINE_LICENSE_KEYS: " " }).licenseKeys, undefined);
  for (
    const args of [["license"], ["license", "remove"], ["license", "list", "x"], [
      "license",
      "burn",
    ]]
  ) {
    assert.throws(() => loadConfig(args, {}), ConfigError, args.join(" "));
  }
});

Deno.test("loadConfig() reads access control: first admin, proxy, session times", () => {
  const c = loadConfig(["serve"], {
    TAPLINE_ADMIN_PASSWORD: "a long admin password",
    TAPLINE_TRUST_PROXY: "true",
    TAPLINE_SESSION_HOURS: "8",
  });
  assert.deepEqual(c.access, {
    adminUser: "admin",
    adminPassword: "a long admin password",
    trustProxy: true,
    sessionTtlMs: 8 * 3_600_000,
    sessionIdleMs: 60 * 60_000,
  });
  assert.equal(loadConfig(["serve"], {}).access.adminPassword, undefined, "no default password");
  try {
    loadConfig(["serve"], { TAPLINE_ADMIN_PASSWORD: "short", TAPLINE_TRUST_PROXY: "maybe" });
    assert.fail("expected a ConfigError");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.match(err.problems.join("\n"), /TAPLINE_ADMIN_PASSWORD: must be at least 12/);
    assert.match(err.problems.join("\n"), /TAPLINE_TRUST_PROXY: expected true or false/);
  }
});

Deno.test("loadConfig() parses user and token commands with their options", () => {
  const c = loadConfig(["token", "create", "--user", "alice", "--scope", "write"], {});
  assert.equal(c.command, "token");
  assert.deepEqual(c.account, {
    args: ["create"],
    role: undefined,
    scope: "write",
    user: "alice",
    name: undefined,
    ttlHours: undefined,
    passwordStdin: false,
  });
  const e = loadConfig(["token", "enroll", "--ttl-hours", "2", "--name", "rack 4"], {});
  assert.equal(e.account?.ttlHours, "2");
  assert.equal(e.account?.name, "rack 4");
  const u = loadConfig(["user", "create", "bob", "--role", "admin", "--password-stdin"], {});
  assert.deepEqual(u.account?.args, ["create", "bob"]);
  assert.equal(u.account?.passwordStdin, true);
  assert.throws(() => loadConfig(["user"], {}), ConfigError);
});
