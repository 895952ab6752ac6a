import assert from "node:assert/strict";
import { generate } from "../../tests/tools/gen_pcap.ts";
import {
  decodeBatch,
  type FlowRecord,
  REQUEST_FIELDS,
  type RequestRecord,
  requestRecordColumns,
} from "../wire/mod.ts";
import type { Identity } from "./mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const APPLIANCE_ID = "6f1c2a0e-4b7d-4c1e-9a57-3d2b8e0f1a11";

function command(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "appliance/main.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(args: string[]) {
  const out = await command(args).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/**
 * A manager stand-in with the fleet contract's enroll and ingest: it stores each (stream, seq)
 * once and answers a repeat with `duplicate: true`, like the real one.
 */
function fakeManager(options: { delayMs?: number; refuse?: () => Response } = {}) {
  const stored = new Map<number, FlowRecord[]>();
  const requests = new Map<number, RequestRecord[]>();
  const auth = new Set<string>();
  const appliances = new Set<string>();
  let duplicates = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/v1/appliances/enroll") {
      const body = await req.json();
      if (body.token !== "tple_good") {
        return Response.json({ error: "enrollment token unknown, already used or expired" }, {
          status: 401,
        });
      }
      return Response.json({
        applianceId: APPLIANCE_ID,
        credential: "tpla_test",
        name: body.name ?? body.hostname,
        managerKey: { id: "k1", publicKey: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----" },
      }, { status: 201 });
    }
    auth.add(req.headers.get("authorization") ?? "");
    const result = decodeBatch(new Uint8Array(await req.arrayBuffer()));
    if (options.refuse) return options.refuse();
    if (!result.ok) return Response.json({ error: result.error }, { status: 400 });
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const batch = result.batch;
    appliances.add(batch.appliance);
    if (batch.stream === "requests") requests.set(batch.seq, batch.records);
    if (batch.stream !== "flows") return Response.json({ acked: batch.seq, duplicate: false });
    const duplicate = stored.has(batch.seq);
    if (duplicate) duplicates++;
    else stored.set(batch.seq, batch.records as FlowRecord[]);
    return Response.json({ acked: batch.seq, stored: duplicate ? 0 : 1, duplicate });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    stored,
    requests,
    auth,
    appliances,
    get duplicates() {
      return duplicates;
    },
    close: () => server.shutdown(),
  };
}

async function withState(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tapline-agent-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** An identity as enrollment writes it, without a manager. */
function writeIdentity(dir: string, manager: string): void {
  const identity: Identity = {
    manager,
    applianceId: APPLIANCE_ID,
    credential: "tpla_test",
    name: "box-1",
    managerKey: { id: "k1", publicKey: "" },
    enrolledAt: new Date().toISOString(),
  };
  Deno.writeTextFileSync(`${dir}/identity.json`, JSON.stringify(identity));
}

const key = (r: FlowRecord) => `${r.flowId}/${r.startTime}`;

/** A request record's columns in REQUEST_FIELDS order (`requests --json` prints them). */
const requestColumns = (columns: Record<string, unknown>) =>
  REQUEST_FIELDS.map((f) => [f.column, columns[f.column]]);

Deno.test("enroll writes identity.json readable by its owner only; a refused token exits 1", async () => {
  const manager = fakeManager();
  try {
    await withState(async (dir) => {
      const ok = await run([
        "enroll",
        "--manager",
        `${manager.url}/`,
        "--token",
        "tple_good",
        "--name",
        "rack-7",
        "--state-dir",
        dir,
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`enrolled as "rack-7" \\(${APPLIANCE_ID}\\)`));
      assert.equal(Deno.statSync(`${dir}/identity.json`).mode! & 0o777, 0o600);
      const identity = JSON.parse(Deno.readTextFileSync(`${dir}/identity.json`));
      assert.deepEqual(
        [identity.manager, identity.applianceId, identity.credential, identity.name],
        [manager.url, APPLIANCE_ID, "tpla_test", "rack-7"],
      );
      const bad = await run([
        "enroll",
        "--manager",
        manager.url,
        "--token",
        "tple_used",
        "--state-dir",
        `${dir}/other`,
      ]);
      assert.equal(bad.code, 1);
      assert.equal(
        bad.stderr.trim(),
        "appliance: the manager refused the enrollment (HTTP 401): enrollment token unknown, already used or expired",
      );
      const usage = await run(["enroll", "--manager", manager.url]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /enroll needs --token T/);
    });
  } finally {
    await manager.close();
  }
});

Deno.test("replay, status and policies exit 3 when the appliance is not enrolled", async () => {
  await withState(async (dir) => {
    for (const args of [["replay", "x.pcap"], ["status"], ["policies"]]) {
      const r = await run([...args, "--state-dir", dir]);
      assert.equal(r.code, 3, args.join(" "));
      assert.match(r.stderr, /^appliance: not enrolled: no identity in .*appliance enroll/);
    }
  });
});

Deno.test("replay sends every record through the spool with the credential; a second run sends nothing again", async () => {
  const generated = generate({ flows: 60, seed: 11 });
  const manager = fakeManager();
  await withState(async (dir) => {
    try {
      writeIdentity(dir, manager.url);
      const pcap = `${dir}/c.pcap`;
      Deno.writeFileSync(pcap, generated.bytes);
      const first = await run(["replay", pcap, "--batch-size", "25", "--state-dir", dir]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stderr, "");
      const seqs = [...manager.stored.keys()];
      assert.deepEqual(seqs, [seqs[0]!, seqs[0]! + 1, seqs[0]! + 2]);
      assert.deepEqual([...manager.stored.values()].flat(), generated.summary.expected);
      assert.deepEqual([...manager.auth], ["Bearer tpla_test"]);
      assert.deepEqual([...manager.appliances], [APPLIANCE_ID]);
      assert.match(first.stdout, /flows +60 \(40 TCP, 20 UDP, 0 other\)/);
      assert.match(first.stdout, /batches +3 spooled \(seq \d+-\d+\); 3 sent/);
      // The generator's HTTP and DNS exchanges go as stream `requests`, in batches of 25 too.
      const requests = [...manager.requests.values()].flat();
      const made = Number(/requests +(\d+) requests/.exec(first.stdout)?.[1]);
      assert.ok(made > 0 && requests.length >= made, first.stdout);
      const batches = Math.ceil(requests.length / 25);
      assert.match(
        first.stdout,
        new RegExp(
          `request logs +${requests.length} records in ${batches} batches spooled \\(seq \\d+-\\d+\\); ${requests.length} records in ${batches} batches sent`,
        ),
      );
      assert.ok(requests.every((r) => r.l7Protocol === 20 || r.l7Protocol === 120));
      const left = [...Deno.readDirSync(`${dir}/spool/flows`)].filter((e) =>
        e.name.endsWith(".cbor")
      );
      assert.deepEqual(left, [], "the spool is drained");

      const again = await run(["replay", pcap, "--batch-size", "25", "--state-dir", dir]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /batches +0 spooled, 70 records skipped/);
      assert.match(
        again.stdout,
        new RegExp(
          `request logs +0 records in 0 batches spooled, ${requests.length} records skipped`,
        ),
      );
      assert.equal(manager.stored.size, 3);
      assert.equal([...manager.requests.values()].flat().length, requests.length);

      // --no-l7: flows only (a rewritten file is a new source, so its flows go again).
      const copy = `${dir}/copy.pcap`;
      Deno.writeFileSync(copy, generated.bytes);
      const flowsOnly = await run(["replay", copy, "--no-l7", "--state-dir", dir]);
      assert.equal(flowsOnly.code, 0, flowsOnly.stderr);
      assert.doesNotMatch(flowsOnly.stdout, /request/);
      assert.equal([...manager.requests.values()].flat().length, requests.length);
    } finally {
      await manager.close();
    }
  });
});

Deno.test("replay killed with SIGKILL mid-stream and run again delivers every record exactly once", async () => {
  const generated = generate({ flows: 400, seed: 5 });
  const expected = generated.summary.expected;
  const manager = fakeManager({ delayMs: 40 });
  await withState(async (dir) => {
    try {
      writeIdentity(dir, manager.url);
      const pcap = `${dir}/c.pcap`;
      Deno.writeFileSync(pcap, generated.bytes);
      const args = ["replay", pcap, "--batch-size", "10", "--state-dir", dir];
      const child = command(args).spawn();
      for (let i = 0; i < 3000 && manager.stored.size < 5; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill("SIGKILL");
      await child.output();
      const before = manager.stored.size;
      assert.ok(before >= 5 && before * 10 < expected.length, `killed after ${before} batches`);

      const again = await run(args);
      assert.equal(again.code, 0, again.stderr);
      const received = [...manager.stored.values()].flat();
      assert.equal(received.length, expected.length);
      assert.deepEqual(received.map(key).sort(), expected.map(key).sort());
      assert.match(again.stdout, /records skipped \(spooled by an earlier run\)/);
    } finally {
      await manager.close();
    }
  });
});

Deno.test("replay killed with SIGKILL while request logs go out, run again, sends each request record once", async () => {
  const generated = generate({ flows: 300, seed: 9 });
  const manager = fakeManager({ delayMs: 20 });
  await withState(async (dir) => {
    try {
      writeIdentity(dir, manager.url);
      const pcap = `${dir}/c.pcap`;
      Deno.writeFileSync(pcap, generated.bytes);
      const listed = await run(["requests", pcap, "--json"]);
      assert.equal(listed.code, 0, listed.stderr);
      const expected = listed.stdout.trim().split("\n").map((line) =>
        JSON.stringify(requestColumns(JSON.parse(line)))
      );
      const args = ["replay", pcap, "--batch-size", "10", "--state-dir", dir];
      const child = command(args).spawn();
      for (let i = 0; i < 3000 && manager.requests.size < 3; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill("SIGKILL");
      await child.output();
      const before = manager.requests.size;
      assert.ok(before >= 3 && before * 10 < expected.length, `killed after ${before} batches`);

      const again = await run(args);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /request logs +[\d,]+ records in/);
      const received = [...manager.requests.values()].flat().map((r) =>
        JSON.stringify(requestColumns(requestRecordColumns(r)))
      );
      assert.deepEqual(received.sort(), expected.sort());
    } finally {
      await manager.close();
    }
  });
});

Deno.test("replay of a refusing manager exits 1 and keeps the refused batches in spool/rejected/", async () => {
  const generated = generate({ flows: 10, seed: 2 });
  const manager = fakeManager({
    refuse: () => Response.json({ error: "batch.appliance does not match" }, { status: 403 }),
  });
  await withState(async (dir) => {
    try {
      writeIdentity(dir, manager.url);
      const pcap = `${dir}/c.pcap`;
      Deno.writeFileSync(pcap, generated.bytes);
      const r = await run(["replay", pcap, "--state-dir", dir]);
      assert.equal(r.code, 1);
      const lines = r.stderr.trim().split("\n");
      // One flows batch, one requests batch (10 flows, some HTTP and DNS) and one per-second
      // metrics batch, in any order.
      assert.deepEqual(
        lines.slice(0, -1).map((l) =>
          /^appliance: (\w+) batch \d+ \(\d+ records\) rejected: (.*)$/.exec(l)?.slice(1)
        ).sort(),
        [
          ["flows", "HTTP 403: batch.appliance does not match"],
          ["metrics_1s", "HTTP 403: batch.appliance does not match"],
          ["requests", "HTTP 403: batch.appliance does not match"],
        ],
      );
      assert.match(lines.at(-1)!, /refused 3 batch\(es\); they are kept in .*\/spool\/rejected\/$/);
      const spool = await run(["spool", "--json", "--state-dir", dir]);
      assert.equal(spool.code, 0);
      const view = JSON.parse(spool.stdout);
      assert.equal(view.rejectedFiles, 3);
      for (const stream of ["flows", "requests", "metrics_1s"]) {
        assert.equal(
          view.streams.find((s: { stream: string }) => s.stream === stream).rejectedBatches,
          1,
        );
      }
      // Not a capture file: one line, exit 1, nothing spooled.
      const text = `${dir}/notes.txt`;
      Deno.writeTextFileSync(text, "hello, this is not a capture\n");
      const bad = await run(["replay", text, "--state-dir", dir]);
      assert.equal(bad.code, 1);
      assert.deepEqual(bad.stderr.trim().split("\n"), [
        `appliance: cannot read ${text}: not a pcap file (bad magic 0x68656c6c)`,
      ]);
    } finally {
      await manager.close();
    }
  });
});
