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
