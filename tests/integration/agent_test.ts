import assert from "node:assert/strict";
import postgres from "postgres";
import { createScratchDatabase, POSTGRES_URL } from "../support/db.ts";
import { managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { runDeno, spawnDeno, startManager } from "../support/procs.ts";
import { applianceIdOf, enrollWithCli } from "../support/appliance.ts";
import { encodeBatch, WIRE_VERSION } from "../../appliance/wire/mod.ts";

async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function readStatus(stateDir: string) {
  return JSON.parse(Deno.readTextFileSync(`${stateDir}/status.json`));
}

/** `appliance run` as a process, stopped with SIGTERM (its clean stop) by PID. */
function startAgent(args: string[]) {
  const agent = spawnDeno("appliance/main.ts", ["run", ...args]);
  return {
    ...agent,
    stop: async () => {
      try {
        agent.child.kill("SIGTERM");
      } catch { /* already gone */ }
      const status = await agent.child.status;
      await agent.done;
      return status.code;
    },
  };
}

Deno.test({
  name:
    "appliance run: enrolled agent goes online, a config change reaches status.json within 10 s, and it boots from the cached config when the manager is down",
  ignore: POSTGRES_URL === undefined,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-agent-it-" });
    const scratch = await createScratchDatabase();
    const env = { DATABASE_URL: scratch.url };
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    let agent: ReturnType<typeof startAgent> | undefined;
    try {
      await installLicenseWithCli(env, { modules: ["network_monitoring"] });
      manager = await startManager({ ...env, ...managerAuthEnv() });
      const session = await signInOverHttp(manager.url);
      const stateDir = await enrollWithCli(manager.url, `${tmp}/appliance`, {
        name: "agent-it",
        session,
      });
      const id = applianceIdOf(stateDir);
      const pcap = `${tmp}/c.pcap`;
      const gen = await runDeno("tests/tools/gen_pcap.ts", ["--out", pcap, "--flows", "50"]);
      assert.equal(gen.code, 0, gen.stderr);

      agent = startAgent(["--replay", pcap, "--state-dir", stateDir]);
      const api = async (path: string, init: RequestInit = {}) => {
        const res = await fetch(`${manager!.url}${path}`, {
          ...init,
          headers: session.headers({ "content-type": "application/json" }),
        });
        return { status: res.status, body: await res.json() };
      };
      // Heartbeats make it online; the replayed flows arrive.
      const online = await eventually("the appliance online", 20_000, async () => {
        const { body } = await api(`/api/v1/appliances/${id}`);
        return body.status === "online" || body.status === "degraded" ? body : undefined;
      });
      assert.equal(online.version, "0.4.0");
      await eventually("the replayed flows stored", 20_000, async () => {
        const { body } = await api(`/api/v1/flows?pageSize=1`);
        return body.total > 0 ? body.total : undefined;
      });
      const before = readStatus(stateDir);
      assert.equal(before.applianceId, id);
      assert.equal(before.config.origin, "manager");
      // The license's modules, signed for this appliance by the manager key it pinned.
      assert.deepEqual(before.heartbeat.entitlement, { ok: true, modules: ["network_monitoring"] });
      const entitled = await eventually("the entitlement ok on the manager", 10_000, async () => {
        const { body } = await api(`/api/v1/appliances/${id}`);
        return body.lastHeartbeat?.entitlement.ok ? body.lastHeartbeat.entitlement : undefined;
      });
      assert.deepEqual(entitled.modules, ["network_monitoring"]);

      // A change made through the API reaches the agent's status.json within 10 s.
      const changed = Date.now();
      const patched = await api(`/api/v1/appliances/${id}`, {
        method: "PATCH",
        body: JSON.stringify({ name: "agent-it-renamed" }),
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const version = patched.body.configVersion;
      assert.ok(version > before.config.version);
      await eventually("the new config in status.json", 10_000, () => {
        const s = readStatus(stateDir);
        return Promise.resolve(s.config.version === version ? s : undefined);
      });
      assert.ok(Date.now() - changed < 10_000);
      assert.equal(readStatus(stateDir).name, "agent-it-renamed");

      // Each document applied is an event on the `events` stream, stored by the manager.
      const db = postgres(scratch.url, { max: 1, onnotice: () => {} });
      const events = async (kind: string) =>
        (await db`select detail from appliance_event
          where appliance_id = ${id} and kind = ${kind} order by time`).map((r) => r.detail);
      try {
        const applied = await eventually("config_applied events stored", 15_000, async () => {
          const rows = await events("config_applied");
          return rows.some((d) => d.version === version) ? rows : undefined;
        });
        assert.ok(applied.some((d) => d.version === before.config.version), "the first one too");

        // A document the agent cannot run (a name Linux cannot give an interface) is refused:
        // the agent keeps the last good one and says so once, though it pulls it again and again.
        const bad = await api(`/api/v1/appliances/${id}`, {
          method: "PATCH",
          body: JSON.stringify({
            capturePoints: [
              { interface: "much-too-long-ifname", observationPoint: "rest", enabled: true },
            ],
          }),
        });
        assert.equal(bad.status, 200, JSON.stringify(bad.body));
        const refused = await eventually("a config_rejected event stored", 15_000, async () => {
          const rows = await events("config_rejected");
          return rows.length > 0 ? rows : undefined;
        });
        assert.equal(refused[0].version, bad.body.configVersion);
        assert.match(refused[0].problem, /^capturePoints\[0\]\.interface/);
        await new Promise((r) => setTimeout(r, 4_000)); // more pulls and heartbeats
        assert.equal((await events("config_rejected")).length, 1);
        const kept = readStatus(stateDir);
        assert.equal(kept.config.version, version);
        assert.ok(kept.config.rejected >= 1);
        assert.match(kept.config.lastError, /config rejected: capturePoints\[0\]/);
        const fixed = await api(`/api/v1/appliances/${id}`, {
          method: "PATCH",
          body: JSON.stringify({ capturePoints: [] }),
        });
        assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
        await eventually("the fixed config applied", 10_000, () => {
          const s = readStatus(stateDir);
          return Promise.resolve(s.config.version === fixed.body.configVersion ? s : undefined);
        });
      } finally {
        await db.end();
      }

      // Without a license the manager signs no entitlement: the heartbeat says it is not valid
      // and the manager calls the appliance degraded.
      const { body: licensing } = await api(`/api/v1/licenses`);
      for (const license of licensing.licenses) {
        const removed = await api(`/api/v1/licenses/${license.id}`, { method: "DELETE" });
        assert.equal(removed.status, 200, JSON.stringify(removed.body));
      }
      const unlicensed = await eventually("the entitlement not ok", 15_000, async () => {
        const { body } = await api(`/api/v1/appliances/${id}`);
        return body.lastHeartbeat?.entitlement.ok === false ? body : undefined;
      });
      assert.deepEqual(unlicensed.lastHeartbeat.entitlement, {
        ok: false,
        reason: "no entitlement (is a license installed?)",
        modules: [],
      });
      assert.equal(unlicensed.status, "degraded");
      assert.ok(unlicensed.problems.some((p: string) => /^entitlement: no entitlement/.test(p)));
      const version2 = readStatus(stateDir).config.version;

      // The console reads the same state.
      const status = await runDeno("appliance/main.ts", ["status", "--state-dir", stateDir]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /agent +running \(pid \d+/);
      assert.match(status.stdout, new RegExp(`config +version ${version2}`));
      assert.match(status.stdout, /entitlement +not ok: no entitlement/);
      assert.match(status.stdout, /capture +replay .*c\.pcap/);
      assert.match(status.stdout, /heartbeat +sent \d+ s ago/);
      assert.match(status.stdout, /report +last acknowledged \d+ s ago; [1-9]\d* batches sent/);

      assert.equal(await agent.stop(), 0);
      agent = undefined;
      assert.notEqual(readStatus(stateDir).stoppedAt, null);
      const stopped = await runDeno("appliance/main.ts", ["status", "--state-dir", stateDir]);
      assert.equal(stopped.code, 1, "no agent running");

      // The manager goes away; the agent boots from its cached config.
      await manager.stop();
      manager = undefined;
      agent = startAgent(["--replay", pcap, "--state-dir", stateDir]);
      const cached = await eventually("status.json from the cached config", 15_000, () => {
        const s = readStatus(stateDir);
        return Promise.resolve(s.stoppedAt === null && s.pid === agent!.child.pid ? s : undefined);
      });
      assert.equal(cached.config.origin, "cache");
      assert.equal(cached.config.version, version2);
      assert.equal(cached.name, "agent-it-renamed");
      assert.match(agent.collected(), /running from the cached config/);
      assert.equal(await agent.stop(), 0);
      agent = undefined;
    } finally {
      if (agent) await agent.stop();
      await manager?.stop();
      await scratch.drop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "appliance replay: a spooled batch the manager answers 409 (older than its last stored seq) is dropped and counted as lost",
  ignore: POSTGRES_URL === undefined,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-agent-409-" });
    const scratch = await createScratchDatabase();
    const env = { DATABASE_URL: scratch.url };
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    try {
      await installLicenseWithCli(env, { modules: ["network_monitoring"] });
      manager = await startManager({ ...env, ...managerAuthEnv() });
      const stateDir = await enrollWithCli(manager.url, `${tmp}/appliance`);
      const id = applianceIdOf(stateDir);
      const pcap = `${tmp}/c.pcap`;
      const gen = await runDeno("tests/tools/gen_pcap.ts", ["--out", pcap, "--flows", "30"]);
      assert.equal(gen.code, 0, gen.stderr);
      const replay = () =>
        runDeno("appliance/main.ts", [
          "replay",
          pcap,
          "--state-dir",
          stateDir,
          "--batch-size",
          "10",
        ]);
      const first = await replay();
      assert.equal(first.code, 0, first.stderr);
      const [, from] = /\(seq (\d+)-(\d+)\)/.exec(first.stdout) ?? [];
      assert.ok(from, first.stdout);

      // A batch below the seqs the manager stored, never stored itself (as a spool restored
      // from an old backup would hold): the manager will never take it.
      const seq = Number(from) - 1;
      const batch = encodeBatch({
        v: WIRE_VERSION,
        appliance: id,
        stream: "flows",
        seq,
        sentAt: Date.now(),
        records: [],
      });
      await Deno.writeFile(
        `${stateDir}/spool/flows/${String(seq).padStart(16, "0")}.cbor`,
        new Uint8Array(batch),
      );
      const second = await replay();
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /records skipped \(spooled by an earlier run\)/);
      assert.match(second.stdout, /; 0 sent \(0 already stored\), 0 retries, 1 lost \(409\)/);
      assert.match(second.stderr, new RegExp(`flows batch ${seq} \\(0 records\\) lost: .*older`));

      const spool = await runDeno("appliance/main.ts", [
        "spool",
        "--json",
        "--state-dir",
        stateDir,
      ]);
      assert.equal(spool.code, 0, spool.stderr);
      const flows = JSON.parse(spool.stdout).streams.find((s: { stream: string }) =>
        s.stream === "flows"
      );
      assert.equal(flows.batches, 0, "nothing left behind");
      assert.equal(flows.lostBatches, 1);
    } finally {
      await manager?.stop();
      await scratch.drop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
