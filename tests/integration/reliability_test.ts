/**
 * Reliability of the appliance → manager pair (issue #4), with real processes and real
 * PostgreSQL: a 200,000-flow capture replayed through `appliance replay` while the manager is
 * killed (-9), the appliance is killed (-9), or the manager is down for a while; then every
 * record the appliance's own `flows --json` lists is in flow_log exactly once. And ten enrolled
 * appliances against a small write queue: nothing but 429 with Retry-After, nothing lost.
 *
 * Needs DATABASE_URL (skipped with a message without it, failed under CI=true). The outage of
 * case (c) is TAPLINE_RELIABILITY_OUTAGE_S seconds (default 30, the issue's figure).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { managerAuthEnv, signInOverHttp, type TestSession } from "../support/auth.ts";
import { createScratchDatabase, POSTGRES_URL } from "../support/db.ts";
import { issueTestLicense } from "../support/license.ts";
import { runDeno, spawnDeno, startManager } from "../support/procs.ts";
import { applianceIdOf, enrollWithCli } from "../support/appliance.ts";
import { IN_CI } from "../support/tools.ts";
import { checkStored, enrollFleet, simulateFleet } from "../soak/fleet_sim.ts";

const FLOWS = 200_000;
/**
 * The issue's 30 s (the whole file: about 2.5 minutes on the 2-core machine; case (c) waits for the
 * sender's next backoff step after the restart). `TAPLINE_RELIABILITY_OUTAGE_S=10` saves ~30 s.
 */
const OUTAGE_S = Number(Deno.env.get("TAPLINE_RELIABILITY_OUTAGE_S") ?? "30");
/** Rows in flow_log before a process is killed: well into the stream, far from its end. */
const MID_STREAM_ROWS = 20_000;
const REPLAY_TIMEOUT_MS = 180_000;

/** Deno.test that needs PostgreSQL: skipped with a message without DATABASE_URL, failed in CI. */
function testWithPostgres(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  if (POSTGRES_URL) return Deno.test({ name, fn });
  if (IN_CI) {
    return Deno.test(name, () => {
      throw new Error("needs DATABASE_URL (CI=true: .ci/run must start PostgreSQL)");
    });
  }
  console.warn(`skip: "${name}" needs DATABASE_URL (a PostgreSQL server)`);
  Deno.test({ name, ignore: true, fn });
}

/** What the appliance itself makes of the capture, and the same measured in flow_log. */
interface Tally {
  records: number;
  /** Distinct (flow id, start time, 5-tuple). */
  keys: number;
  packets: number;
  bytes: number;
}

/** `appliance flows FILE --json`, streamed (the output is hundreds of MB). */
async function applianceTally(pcap: string): Promise<Tally> {
  const { child, collected, done } = spawnLines("appliance/main.ts", ["flows", pcap, "--json"]);
  const keys = new Set<string>();
  const tally: Tally = { records: 0, keys: 0, packets: 0, bytes: 0 };
  for await (const line of child) {
    if (line === "") continue;
    const r = JSON.parse(line);
    tally.records++;
    keys.add(
      `${r.flow_id}/${r.start_time}/${r.ip_0}/${r.ip_1}/${r.client_port}/${r.server_port}/${r.protocol}`,
    );
    tally.packets += r.packet_tx + r.packet_rx;
    tally.bytes += r.byte_tx + r.byte_rx;
  }
  const status = await done;
  assert.equal(status.code, 0, collected());
  tally.keys = keys.size;
  return tally;
}

/** Text chunks into lines (without their "\n"). */
function lines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, out) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) out.enqueue(line);
    },
    flush(out) {
      if (rest !== "") out.enqueue(rest);
    },
  });
}

/** A Deno program's stdout as lines, its stderr collected. */
function spawnLines(file: string, args: string[]) {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-net", file, ...args],
    cwd: new URL("../../", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let errors = "";
  const stderr = (async () => {
    for await (const text of process.stderr.pipeThrough(new TextDecoderStream())) errors += text;
  })();
  return {
    child: process.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lines()),
    collected: () => errors,
    done: stderr.then(() => process.status),
  };
}

async function storedTally(sql: postgres.Sql, applianceId: string): Promise<Tally> {
  const [row] = await sql<{ records: string; keys: string; packets: string; bytes: string }[]>`
    select count(*) as records,
           count(distinct (flow_id, start_time, ip_0, ip_1, client_port, server_port, protocol)) as keys,
           coalesce(sum(packet_tx + packet_rx), 0) as packets,
           coalesce(sum(byte_tx + byte_rx), 0) as bytes
    from flow_log where appliance_id = ${applianceId}`;
  return {
    records: Number(row!.records),
    keys: Number(row!.keys),
    packets: Number(row!.packets),
    bytes: Number(row!.bytes),
  };
}

async function storedRows(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ n: string }[]>`select count(*) as n from flow_log`;
  return Number(row!.n);
}

async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function installLicenseOverHttp(url: string, session: TestSession): Promise<void> {
  const { text } = await issueTestLicense({ appliances: 20 });
  const res = await fetch(`${url}/api/v1/licenses`, {
    method: "POST",
    headers: session.headers({ "content-type": "application/json" }),
    body: text,
  });
  const answer = await res.text();
  assert.ok(res.status === 200 || res.status === 201, answer);
}

type Manager = Awaited<ReturnType<typeof startManager>>;

/** One case's world: a scratch database, a manager on it, an enrolled appliance state folder. */
class Rig {
  manager: Manager | undefined;
  replay: ReturnType<typeof spawnDeno> | undefined;
  private constructor(
    readonly env: Record<string, string>,
    readonly sql: postgres.Sql,
    readonly drop: () => Promise<void>,
    readonly stateDir: string,
    readonly applianceId: string,
    readonly port: number,
    manager: Manager,
  ) {
    this.manager = manager;
  }

  static async open(stateDir: string): Promise<Rig> {
    const scratch = await createScratchDatabase();
    const env = { DATABASE_URL: scratch.url, ...managerAuthEnv() };
    const manager = await startManager(env);
    const session = await signInOverHttp(manager.url);
    await installLicenseOverHttp(manager.url, session);
    await enrollWithCli(manager.url, stateDir, { session });
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    const port = Number(new URL(manager.url).port);
    return new Rig(env, sql, scratch.drop, stateDir, applianceIdOf(stateDir), port, manager);
  }

  startReplay(pcap: string): ReturnType<typeof spawnDeno> {
    this.replay = spawnDeno("appliance/main.ts", [
      "replay",
      pcap,
      "--state-dir",
      this.stateDir,
    ]);
    return this.replay;
  }

  /** Waits for the replay to exit; its exit code and output. */
  async replayEnd(): Promise<{ code: number; output: string }> {
    const replay = this.replay!;
    const timer = setTimeout(() => replay.child.kill("SIGKILL"), REPLAY_TIMEOUT_MS);
    const status = await replay.child.status;
    clearTimeout(timer);
    await replay.done;
    this.replay = undefined;
    return { code: status.code, output: replay.collected() };
  }

  /** Waits until {@link MID_STREAM_ROWS} rows are in (the caller checks that not all are). */
  async midStream(): Promise<number> {
    return await eventually(`${MID_STREAM_ROWS} rows in flow_log`, 120_000, async () => {
      const n = await storedRows(this.sql);
      return n >= MID_STREAM_ROWS ? n : undefined;
    }, 50);
  }

  async killManager(): Promise<void> {
    Deno.kill(this.manager!.pid, "SIGKILL");
    await this.manager!.stop();
    this.manager = undefined;
  }

  /** `manager serve` again on the same database and port (the running replay keeps its URL). */
  async restartManager(): Promise<void> {
    this.manager = await startManager(this.env, { port: this.port });
  }

  async close(): Promise<void> {
    if (this.replay) {
      try {
        this.replay.child.kill("SIGKILL");
      } catch { /* already gone */ }
      await this.replay.child.status;
      await this.replay.done;
    }
    await this.manager?.stop();
    await this.sql.end();
    await dropWithRetry(this.drop);
  }
}

function assertExactlyOnce(stored: Tally, expected: Tally, replayOutput: string): void {
  assert.equal(stored.keys, stored.records, "no (flow, start time, 5-tuple) stored twice");
  assert.deepEqual(
    stored,
    expected,
    `flow_log holds exactly the appliance's records; the replay said:\n${replayOutput}`,
  );
}

/** Drops a scratch database; autovacuum may still be on it after a big load, so try again. */
async function dropWithRetry(drop: () => Promise<void>): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      return await drop();
    } catch (err) {
      if (attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** (a): kill -9 of the manager while rows arrive, restart on the same database and port. */
async function managerKilled(rig: Rig, pcap: string, counting: Promise<Tally>): Promise<string> {
  rig.startReplay(pcap);
  const seen = await rig.midStream();
  await rig.killManager();
  const committed = await storedRows(rig.sql);
  await rig.restartManager();
  const end = await rig.replayEnd();
  assert.equal(end.code, 0, end.output);
  const expected = await counting;
  assert.ok(committed < expected.records, `killed mid-stream (${committed} rows in)`);
  assertExactlyOnce(await storedTally(rig.sql, rig.applianceId), expected, end.output);
  return `killed at ${seen} rows seen (${committed} committed), ${expected.records} after restart`;
}

/** (b): kill -9 of the replaying appliance, then the same replay again. */
async function applianceKilled(rig: Rig, pcap: string, expected: Tally): Promise<string> {
  const replay = rig.startReplay(pcap);
  const seen = await rig.midStream();
  Deno.kill(replay.child.pid, "SIGKILL");
  const killed = await rig.replayEnd();
  assert.equal(killed.code, 137, "the replay died of SIGKILL");
  const committed = await storedRows(rig.sql);
  assert.ok(committed < expected.records, `killed mid-stream (${committed} rows in)`);
  rig.startReplay(pcap);
  const end = await rig.replayEnd();
  assert.equal(end.code, 0, end.output);
  assertExactlyOnce(await storedTally(rig.sql, rig.applianceId), expected, end.output);
  const skipped = /\d[\d,]* records skipped/.exec(end.output)?.[0] ?? "nothing skipped";
  return `killed at ${seen} rows seen (${committed} committed), rerun: ${skipped}`;
}

/** (c): the manager stopped for OUTAGE_S while the appliance replays; the spool holds. */
async function managerDown(rig: Rig, pcap: string, expected: Tally): Promise<string> {
  rig.startReplay(pcap);
  await rig.midStream();
  await rig.manager!.stop();
  rig.manager = undefined;
  const downAt = Date.now();
  const atStop = await storedRows(rig.sql);
  assert.ok(atStop < expected.records, `stopped mid-stream (${atStop} rows in)`);
  const depth = await eventually(
    "spool depth > 0 in `appliance spool --json`",
    30_000,
    async () => {
      const out = await runDeno("appliance/main.ts", [
        "spool",
        "--json",
        "--state-dir",
        rig.stateDir,
      ]);
      assert.equal(out.code, 0, out.stderr);
      const view = JSON.parse(out.stdout) as { streams: { stream: string; batches: number }[] };
      const batches = view.streams.find((s) => s.stream === "flows")?.batches ?? 0;
      return batches > 0 ? batches : undefined;
    },
    500,
  );
  assert.equal(await storedRows(rig.sql), atStop, "nothing stored while the manager is down");
  await new Promise((r) => setTimeout(r, Math.max(0, downAt + OUTAGE_S * 1000 - Date.now())));
  assert.ok(rig.replay, "the replay is still waiting for the manager");
  await rig.restartManager();
  const end = await rig.replayEnd();
  assert.equal(end.code, 0, end.output);
  assert.match(end.output, /retrying in/);
  assertExactlyOnce(await storedTally(rig.sql, rig.applianceId), expected, end.output);
  return `${atStop} rows in when stopped, spool depth ${depth} batches during the outage`;
}

testWithPostgres(
  `reliability: a ${
    FLOWS.toLocaleString("en")
  }-flow replay survives kill -9 of the manager, kill -9 of the appliance and a ${OUTAGE_S} s manager outage, exactly once`,
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-reliability-" });
    try {
      const pcap = `${tmp}/short.pcap`;
      const started = Date.now();
      // Recent times: a restarted manager applies retention (flow_log: 30 days) at start.
      const gen = await runDeno("tests/tools/gen_pcap.ts", [
        "--short-flows",
        "--flows",
        String(FLOWS),
        "--start",
        String(Math.floor(Date.now() / 60_000) * 60_000 - 600_000),
        "--duration-s",
        "120",
        "--out",
        pcap,
      ]);
      assert.equal(gen.code, 0, gen.stderr);
      // The appliance's own count (~200 MB of JSON lines) runs beside case (a).
      const counting = applianceTally(pcap).then((tally) => {
        assert.ok(tally.records >= FLOWS, `${tally.records} records`);
        assert.equal(tally.keys, tally.records, "the appliance's records have distinct keys");
        console.log(`capture: ${FLOWS} flows, ${tally.records} records; ${seconds(started)}`);
        return tally;
      });
      counting.catch(() => {});
      const cases: [string, string, (rig: Rig) => Promise<string>][] = [
        [
          "(a) kill -9 of the manager mid-stream, restarted on the same database",
          "a",
          (rig) => managerKilled(rig, pcap, counting),
        ],
        [
          "(b) kill -9 of the appliance mid-stream, then the same replay again",
          "b",
          async (rig) => applianceKilled(rig, pcap, await counting),
        ],
        [
          `(c) the manager down for ${OUTAGE_S} s: the spool holds, then drains`,
          "c",
          async (rig) => managerDown(rig, pcap, await counting),
        ],
      ];
      for (const [name, dir, run] of cases) {
        await t.step(name, async () => {
          const since = Date.now();
          const rig = await Rig.open(`${tmp}/${dir}`);
          try {
            console.log(`  (${dir}) ${await run(rig)}; ${seconds(since)}`);
          } finally {
            await rig.close();
          }
        });
      }
      await counting;
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);

testWithPostgres(
  "reliability: (d) 10 enrolled appliances for 10 s against a small write queue get only 429s with Retry-After, and every acknowledged batch is stored once",
  async () => {
    const started = Date.now();
    const scratch = await createScratchDatabase();
    const manager = await startManager({
      DATABASE_URL: scratch.url,
      ...managerAuthEnv(),
      TAPLINE_INGEST_CONCURRENCY: "1",
      TAPLINE_INGEST_QUEUE: "2",
    });
    try {
      const session = await signInOverHttp(manager.url);
      const appliances = await enrollFleet(manager.url, 10, session);
      const result = await simulateFleet(manager.url, {
        appliances,
        seconds: 10,
        batchRecords: 200,
      });
      for (const a of result.appliances) {
        assert.deepEqual(a.errors, [], `${a.applianceId}: only 429s with Retry-After`);
        assert.equal(a.unavailable, 0, `${a.applianceId}: no 503`);
        assert.ok(a.batches > 0, `${a.applianceId} stored something`);
      }
      const tooMany = result.appliances.reduce((n, a) => n + a.tooMany, 0);
      const duplicates = result.appliances.reduce((n, a) => n + a.duplicates, 0);
      assert.ok(tooMany > 0, "the small write queue refused some batches with 429");
      assert.ok(duplicates > 0, "resent batches were acknowledged as duplicates");
      const check = await checkStored(scratch.url, result);
      assert.deepEqual(
        {
          lost: check.lost,
          extra: check.extra,
          duplicated: check.duplicated,
          seqs: check.seqMismatches,
        },
        { lost: 0, extra: 0, duplicated: 0, seqs: [] },
      );
      const records = result.appliances.reduce((n, a) => n + a.records, 0);
      assert.equal(check.rows, records);
      console.log(
        `  (d) ${
          result.appliances.reduce((n, a) => n + a.batches, 0)
        } batches, ${records} records, ${tooMany} × 429, ${duplicates} duplicates acknowledged; ${
          seconds(started)
        }`,
      );
    } finally {
      await manager.stop();
      await dropWithRetry(scratch.drop);
    }
  },
);
