import assert from "node:assert/strict";
import { Spool } from "../spool/mod.ts";
import {
  countersView,
  interfacesView,
  pcapsView,
  policiesView,
  spoolView,
  statusView,
} from "./views.ts";
import { consoleHelp } from "./mod.ts";

const ID = "0b7c9e2d-5f1a-4c3b-8d6e-1a2b3c4d5e6f";
const ROOT = new URL("../../", import.meta.url).pathname;

/** A state folder as enrollment, a config pull and a running agent leave it. */
async function stateDir(options: { alive: boolean }): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tapline-console-" });
  Deno.writeTextFileSync(
    `${dir}/identity.json`,
    JSON.stringify({
      manager: "http://m:1",
      applianceId: ID,
      credential: "tpla_secret_never_printed",
      name: "rack-7",
      managerKey: { id: "k1", publicKey: "" },
      enrolledAt: "2026-01-01T00:00:00.000Z",
    }),
  );
  Deno.writeTextFileSync(
    `${dir}/config.json`,
    JSON.stringify({
      etag: '"4"',
      savedAt: Date.now(),
      document: {
        version: 4,
        applianceId: ID,
        name: "rack-7",
        group: null,
        capturePoints: [
          { interface: "lo", observationPoint: "c-gw", enabled: true },
          { interface: "nosuch0", observationPoint: "rest", enabled: true },
        ],
        reporting: {},
        policies: { distribution: [], pcap: [] },
        entitlement: null,
      },
    }),
  );
  const stages = [
    { stage: "capture", packets: 1200, drops: [{ reason: "kernel", count: 7, setting: "ring" }] },
    { stage: "decode", packets: 1200, drops: [{ reason: "malformed", count: 0 }] },
  ];
  Deno.writeTextFileSync(
    `${dir}/status.json`,
    JSON.stringify({
      pid: options.alive ? Deno.pid : 999_999_999,
      stoppedAt: null,
      updatedAt: Date.now(),
      applianceId: ID,
      name: "rack-7",
      manager: "http://m:1",
      mode: "live",
      heartbeat: {
        startedAt: Date.now() - 60_000,
        stages,
        capturePoints: [
          { interface: "lo", observationPoint: "c-gw", link: "up", packets: 1200, bytes: 90_000 },
        ],
        cpu: { percent: 3.5 },
        memory: { rssBytes: 50 << 20, totalBytes: 4 << 30 },
        disk: { freeBytes: 10 << 30, totalBytes: 20 << 30 },
        lastReportAt: Date.now(),
        entitlement: { ok: false, reason: "no entitlement (is a license installed?)", modules: [] },
      },
      config: { version: 4, origin: "manager", lastError: null },
      captures: [
        { interface: "lo", observationPoint: "c-gw", capturing: true, error: null },
        {
          interface: "nosuch0",
          observationPoint: "rest",
          capturing: false,
          error: "no such device",
        },
      ],
      lastHeartbeat: { at: Date.now(), error: null },
      sender: { sent: 12, retries: 1, lastError: null },
    }),
  );
  return dir;
}

Deno.test("statusView() says what the running agent does, never the credential; exit 1 when it is not running", async () => {
  const dir = await stateDir({ alive: true });
  try {
    const up = await statusView(dir);
    assert.equal(up.code, 0);
    assert.match(up.text, /^appliance +rack-7 \(0b7c9e2d-/m);
    assert.match(up.text, /^agent +running \(pid \d+, started 60 s ago, live\)/m);
    assert.match(up.text, /^config +version 4, saved 0 s ago$/m);
    assert.match(up.text, /^entitlement +not ok: no entitlement/m);
    assert.match(
      up.text,
      /^capture +lo \(c-gw\) capturing, link up, 1,200 packets; nosuch0 \(rest\) not capturing: no such device$/m,
    );
    assert.match(up.text, /^report +last acknowledged 0 s ago; 12 batches sent, 1 retries$/m);
    assert.ok(!JSON.stringify(up.json).includes("tpla_"), "the credential stays secret");
    const status = JSON.parse(Deno.readTextFileSync(`${dir}/status.json`));
    Deno.writeTextFileSync(
      `${dir}/status.json`,
      JSON.stringify({ ...status, stoppedAt: Date.now() - 5_000 }),
    );
    const down = await statusView(dir);
    assert.equal(down.code, 1);
    assert.match(down.text, /^agent +not running \(stopped 5 s ago\)/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("countersView() lists each stage with its drops and the setting to change", async () => {
  const dir = await stateDir({ alive: false });
  try {
    const result = await countersView(dir);
    assert.equal(result.code, 1, "the agent is not running");
    assert.match(result.text, /^the agent is not running; its last counters/);
    assert.match(result.text, /^capture +1,200 +kernel 7 \(setting: ring\)$/m);
    assert.match(result.text, /^decode +1,200 +none$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("interfacesView(), policiesView() and pcapsView() are honest about what there is", async () => {
  const dir = await stateDir({ alive: true });
  try {
    const ifs = await interfacesView(dir);
    assert.equal(ifs.code, 0);
    assert.match(ifs.text, /^NAME +LINK +MTU/);
    assert.match(ifs.text, /^lo +up +65536 .* c-gw$/m);
    assert.match(ifs.text, /^nosuch0 +missing +rest$/m);
    assert.deepEqual((ifs.json as { missingCapturePoints: string[] }).missingCapturePoints, [
      "nosuch0",
    ]);
    const policies = await policiesView(dir);
    assert.match(policies.text, /^distribution +none$/m);
    assert.match(policies.text, /^pcap +none$/m);
    assert.equal((await pcapsView()).text.startsWith("PCAP storage not configured"), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spoolView() shows depth, next seq and losses per stream", async () => {
  const dir = await stateDir({ alive: true });
  try {
    assert.match((await spoolView(dir)).text, /^no spool yet/);
    const spool = await Spool.open(`${dir}/spool`, { firstSeq: () => 41 });
    await spool.append("flows", { records: 1 }, () => new Uint8Array([0xa0]));
    await spool.flush();
    const view = await spoolView(dir);
    assert.match(view.text, /^STREAM +BATCHES +BYTES +OLDEST +NEXT SEQ/);
    assert.match(view.text, /^flows +1 +1 B +0 s ago +42 +0 \(0 records\) +0 +0$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("appliance COMMAND --help explains each console command; a wrong flag exits 2", async () => {
  for (
    const command of [
      "enroll",
      "run",
      "replay",
      "status",
      "interfaces",
      "counters",
      "policies",
      "pcaps",
      "spool",
    ]
  ) {
    assert.match(consoleHelp(command)!, new RegExp(`^Usage: appliance ${command}`));
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "appliance/main.ts", "spool", "--bogus"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /^appliance: unknown option --bogus/);
});
