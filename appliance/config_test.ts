import assert from "node:assert/strict";
import { parseConfig } from "./config.ts";

function parse(args: string[], env: Record<string, string> = {}) {
  return parseConfig({ args, env: (name) => env[name], hostname: () => "box-1" });
}

Deno.test("parseConfig() reads replay with defaults", () => {
  assert.deepEqual(parse(["replay", "a.pcap", "--manager", "http://m:8080/"]), {
    ok: true,
    command: {
      kind: "replay",
      file: "a.pcap",
      manager: "http://m:8080",
      appliance: "box-1",
      batchSize: 1000,
    },
  });
});

Deno.test("parseConfig() takes the manager and name from the environment, flags first", () => {
  const env = { TAPLINE_MANAGER: "http://env:1", TAPLINE_APPLIANCE: "env-box" };
  const fromEnv = parse(["replay", "a.pcap"], env);
  assert.ok(fromEnv.ok && fromEnv.command.kind === "replay");
  assert.equal(fromEnv.command.manager, "http://env:1");
  assert.equal(fromEnv.command.appliance, "env-box");
  const fromFlags = parse(["replay", "a.pcap", "--appliance=tap", "--batch-size", "5"], env);
  assert.ok(fromFlags.ok && fromFlags.command.kind === "replay");
  assert.deepEqual([fromFlags.command.appliance, fromFlags.command.batchSize], ["tap", 5]);
});

Deno.test("parseConfig() reports every problem at once", () => {
  assert.deepEqual(
    parse(["replay", "--batch-size", "0", "--json", "--bogus", "--manager", "ftp://x"]),
    {
      ok: false,
      problems: [
        "option --json does not apply to replay",
        "unknown option --bogus",
        "replay needs a FILE",
        '--manager: expected an http or https URL, got "ftp://x"',
        "--batch-size: expected an integer from 1 to 100000, got 0",
      ],
    },
  );
});

Deno.test("parseConfig() rejects a missing value, an unknown command and extra arguments", () => {
  assert.deepEqual(parse(["replay", "a.pcap", "--manager", "--appliance", "x"]), {
    ok: false,
    problems: ["option --manager needs a value", "replay needs --manager URL (or TAPLINE_MANAGER)"],
  });
  assert.deepEqual(parse(["capture", "x"]), { ok: false, problems: ['unknown command "capture"'] });
  assert.deepEqual(parse([]), { ok: false, problems: ["missing command (replay or flows)"] });
  assert.deepEqual(parse(["flows", "a", "b"]), {
    ok: false,
    problems: ['unexpected argument "b"'],
  });
});

Deno.test("parseConfig() reads flows and help", () => {
  assert.deepEqual(parse(["flows", "a.pcap", "--json"]), {
    ok: true,
    command: { kind: "flows", file: "a.pcap", json: true },
  });
  assert.deepEqual(parse(["flows", "--help"]), { ok: true, command: { kind: "help" } });
  assert.deepEqual(parse(["-h"]), { ok: true, command: { kind: "help" } });
});
