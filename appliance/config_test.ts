import assert from "node:assert/strict";
import { parseConfig } from "./config.ts";

function parse(args: string[], env: Record<string, string> = {}) {
  return parseConfig({ args, env: (name) => env[name], hostname: () => "box-1" });
}

Deno.test("parseConfig() reads replay with defaults: the enrolled manager, data/appliance", () => {
  assert.deepEqual(parse(["replay", "a.pcap"]), {
    ok: true,
    command: {
      kind: "replay",
      file: "a.pcap",
      batchSize: 1000,
      l7: true,
      stateDir: "data/appliance",
    },
  });
  assert.deepEqual(parse(["replay", "a.pcap", "--manager", "http://m:8080/"]), {
    ok: true,
    command: {
      kind: "replay",
      file: "a.pcap",
      manager: "http://m:8080",
      batchSize: 1000,
      l7: true,
      stateDir: "data/appliance",
    },
  });
});

Deno.test("parseConfig() takes the manager and state folder from the environment, flags first", () => {
  const env = { TAPLINE_MANAGER: "http://env:1", TAPLINE_STATE_DIR: "/var/lib/tap/" };
  const fromEnv = parse(["replay", "a.pcap"], env);
  assert.ok(fromEnv.ok && fromEnv.command.kind === "replay");
  assert.deepEqual([fromEnv.command.manager, fromEnv.command.stateDir], [
    "http://env:1",
    "/var/lib/tap",
  ]);
  const fromFlags = parse([
    "replay",
    "a.pcap",
    "--state-dir=s",
    "--batch-size",
    "5",
    "--spool-max-bytes",
    "2097152",
  ], env);
  assert.ok(fromFlags.ok && fromFlags.command.kind === "replay");
  assert.deepEqual(
    [fromFlags.command.stateDir, fromFlags.command.batchSize, fromFlags.command.spoolMaxBytes],
    ["s", 5, 2_097_152],
  );
});

Deno.test("parseConfig() turns request logs off with --no-l7 for replay and run only", () => {
  const replay = parse(["replay", "a.pcap", "--no-l7"]);
  assert.ok(replay.ok && replay.command.kind === "replay");
  assert.equal(replay.command.l7, false);
  const run = parse(["run", "--no-l7"]);
  assert.ok(run.ok && run.command.kind === "run");
  assert.equal(run.command.l7, false);
  assert.deepEqual(parse(["flows", "a.pcap", "--no-l7"]), {
    ok: false,
    problems: ["option --no-l7 does not apply to flows"],
  });
  assert.deepEqual(parse(["replay", "a.pcap", "--no-l7=yes"]), {
    ok: false,
    problems: ["option --no-l7 takes no value"],
  });
});

Deno.test("parseConfig() reads enroll, run and the console views", () => {
  assert.deepEqual(parse(["enroll", "--manager", "http://m:1/", "--token", "tple_x"]), {
    ok: true,
    command: {
      kind: "enroll",
      manager: "http://m:1",
      token: "tple_x",
      hostname: "box-1",
      stateDir: "data/appliance",
    },
  });
  assert.deepEqual(parse(["enroll", "--name", "n", "extra"]), {
    ok: false,
    problems: [
      'unexpected argument "extra"',
      "enroll needs --manager URL (or TAPLINE_MANAGER)",
      "enroll needs --token T (an enrollment token)",
    ],
  });
  assert.deepEqual(parse(["run", "--replay", "c.pcap", "--state-dir", "s"]), {
    ok: true,
    command: { kind: "run", replay: "c.pcap", batchSize: 1000, l7: true, stateDir: "s" },
  });
  const stopIn = parse(["run", "--stop-timeout", "2.5"]);
  assert.ok(stopIn.ok && stopIn.command.kind === "run");
  assert.equal(stopIn.command.stopTimeoutMs, 2500);
  assert.deepEqual(parse(["run", "--stop-timeout", "soon"]), {
    ok: false,
    problems: ["--stop-timeout: expected seconds, 0-600"],
  });
  assert.deepEqual(parse(["spool", "--json"]), {
    ok: true,
    command: { kind: "console", view: "spool", json: true, stateDir: "data/appliance" },
  });
  assert.deepEqual(parse(["status", "--token", "x", "--spool-max-bytes", "5"]), {
    ok: false,
    problems: [
      "option --token does not apply to status",
      "option --spool-max-bytes does not apply to status",
    ],
  });
  assert.deepEqual(parse(["counters", "--help"]), {
    ok: true,
    command: { kind: "help", topic: "counters" },
  });
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
  assert.deepEqual(parse(["replay", "a.pcap", "--manager", "--state-dir", "x"]), {
    ok: false,
    problems: ["option --manager needs a value"],
  });
  assert.deepEqual(parse(["capture", "x"]), { ok: false, problems: ['unknown command "capture"'] });
  assert.deepEqual(parse([]), {
    ok: false,
    problems: ["missing command (see the list below)"],
  });
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
  assert.deepEqual(parse(["flows", "--help"]), {
    ok: true,
    command: { kind: "help", topic: "flows" },
  });
  assert.deepEqual(parse(["-h"]), { ok: true, command: { kind: "help" } });
});

Deno.test("parseConfig() reads decode, which takes a FILE and --json only", () => {
  assert.deepEqual(parse(["decode", "a.pcapng", "--json"]), {
    ok: true,
    command: { kind: "decode", file: "a.pcapng", json: true },
  });
  assert.deepEqual(parse(["decode", "--interface", "eth0"]), {
    ok: false,
    problems: ["option --interface does not apply to decode", "decode needs a FILE"],
  });
});

Deno.test("parseConfig() reads a live capture instead of a FILE", () => {
  assert.deepEqual(parse(["flows", "--interface", "eth1", "--seconds", "2.5", "--json"]), {
    ok: true,
    command: {
      kind: "flows",
      live: {
        point: { interface: "eth1", observationPoint: "rest", captureNetworkType: 3 },
        seconds: 2.5,
        backend: "auto",
      },
      json: true,
    },
  });
  const replay = parse([
    "replay",
    "--interface=eth2",
    "--observation-point",
    "c-gw",
    "--backend",
    "libpcap",
    "--manager",
    "http://m:1",
  ]);
  assert.ok(replay.ok && replay.command.kind === "replay");
  assert.deepEqual(replay.command.live, {
    point: { interface: "eth2", observationPoint: "c-gw", captureNetworkType: 3 },
    seconds: undefined,
    backend: "libpcap",
  });
  assert.equal(replay.command.file, undefined);
});

Deno.test("parseConfig() reports every live-capture problem at once", () => {
  assert.deepEqual(
    parse([
      "flows",
      "a.pcap",
      "--interface",
      "eth1",
      "--seconds",
      "0",
      "--observation-point",
      "c-app",
      "--backend",
      "dpdk",
    ]),
    {
      ok: false,
      problems: [
        "give either a FILE or --interface, not both",
        '--observation-point: expected one of c, c-nd, c-hv, c-gw-hv, c-gw, local, rest, s-gw, s-gw-hv, s-hv, s-nd, s, got "c-app"',
        "--seconds: expected a number of seconds above 0, got 0",
        '--backend: expected af_packet or libpcap, got "dpdk"',
      ],
    },
  );
  assert.deepEqual(parse(["flows", "a.pcap", "--seconds", "3"]), {
    ok: false,
    problems: ["--seconds applies only with --interface"],
  });
});

Deno.test("parseConfig() reads --filter for replay, flows and decode", () => {
  const filter = "tcp port 443 and not net 10.0.0.0/8";
  assert.deepEqual(parse(["flows", "a.pcap", "--filter", filter]), {
    ok: true,
    command: { kind: "flows", file: "a.pcap", json: false, filter },
  });
  assert.deepEqual(parse(["decode", "a.pcap", `--filter=${filter}`]), {
    ok: true,
    command: { kind: "decode", file: "a.pcap", json: false, filter },
  });
  const replay = parse(["replay", "a.pcap", "--manager", "http://m:1", "--filter", "udp"]);
  assert.equal(replay.ok && replay.command.kind === "replay" && replay.command.filter, "udp");
  assert.deepEqual(parse(["flows", "a.pcap", "--filter"]), {
    ok: false,
    problems: ["option --filter needs a value"],
  });
});

Deno.test("parseConfig() reads distribute FILE --policy P.json and requires the policy", () => {
  assert.deepEqual(parse(["distribute", "a.pcap", "--policy", "p.json", "--json"]), {
    ok: true,
    command: { kind: "distribute", file: "a.pcap", policy: "p.json", json: true },
  });
  const missing = parse(["distribute", "a.pcap"]);
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.deepEqual(missing.problems, ["distribute needs --policy FILE.json"]);
  assert.equal(parse(["flows", "a.pcap", "--policy", "p.json"]).ok, false);
});
