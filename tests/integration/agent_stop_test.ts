/**
 * A clean stop of `appliance run` (SIGTERM) sends what it spools at stop — the index summary of
 * the PCAP files it closes, the last flows — before it exits, so the manager has it at once; with
 * the manager away it exits within its --stop-timeout and keeps those batches for the next start.
 * Real processes: `manager serve` (PostgreSQL with DATABASE_URL, else PGlite) and `appliance run`.
 */
import assert from "node:assert/strict";
import { jsonApi, managerDatabase } from "../support/manager_process.ts";
import { managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { runDeno, spawnDeno, startManager } from "../support/procs.ts";
import { applianceIdOf, enrollWithCli } from "../support/appliance.ts";

async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Batches waiting in the agent's spool, per stream (`appliance spool --json`). */
async function spooled(stateDir: string): Promise<Record<string, number>> {
  const out = await runDeno("appliance/main.ts", ["spool", "--json", "--state-dir", stateDir]);
  assert.equal(out.code, 0, out.stderr);
  const streams: { stream: string; batches: number }[] = JSON.parse(out.stdout).streams;
  return Object.fromEntries(streams.map((s) => [s.stream, s.batches]));
}

/** Runs the agent until `ready` says so, then SIGTERM; resolves with its exit and stop time. */
async function runUntil(
  args: string[],
  ready: (output: string) => Promise<boolean>,
): Promise<{ code: number; stopMs: number; output: string }> {
  const agent = spawnDeno("appliance/main.ts", ["run", ...args]);
  try {
    await eventually(
      "the agent ready",
      30_000,
      async () => await ready(agent.collected()) || undefined,
    )
      .catch((err) => {
        throw new Error(`${err.message}\n${agent.collected()}`);
      });
    const stopping = performance.now();
    agent.child.kill("SIGTERM");
    const { code } = await agent.child.status;
    const stopMs = performance.now() - stopping;
    await agent.done;
    return { code, stopMs, output: agent.collected() };
  } catch (err) {
    try {
      agent.child.kill("SIGKILL");
    } catch { /* already gone */ }
    await agent.child.status;
    await agent.done;
    throw err;
  }
}

Deno.test("appliance run: SIGTERM sends what it spooled at stop; manager away, kept for the next start", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tapline-agent-stop-" });
  const database = await managerDatabase(tmp);
  const env = database.env;
  let manager: Awaited<ReturnType<typeof startManager>> | undefined;
  try {
    await installLicenseWithCli(env, { modules: ["network_monitoring"] });
    manager = await startManager({ ...env, ...managerAuthEnv() });
    const session = await signInOverHttp(manager.url);
    const api = jsonApi(() => manager!.url, session);
    const stateDir = await enrollWithCli(manager.url, `${tmp}/appliance`, { session });
    const id = applianceIdOf(stateDir);
    // Small batches: at stop, many pcap_index batches are spooled (one request in flight at a time).
    await api(`/api/v1/appliances/${id}`, "PATCH", { reporting: { batchRecords: 2 } });
    const policy = await api("/api/v1/pcap/policies", "POST", { name: "all" });
    const stored = async () =>
      (await api("/api/v1/pcap/policies")).policies.find((p: { id: number }) => p.id === policy.id)
        .stored;
    const flowsTotal = async () => (await api("/api/v1/flows?pageSize=1")).total as number;
    // Packets of now, over 10 s: the PCAP file stays open (60 s rotation) until the agent stops.
    const pcap = async (name: string, seed: number) => {
      const path = `${tmp}/${name}.pcap`;
      const args = ["--out", path, "--flows", "12", "--seed", String(seed), "--duration-s", "10"];
      const gen = await runDeno("tests/tools/gen_pcap.ts", [
        ...args,
        "--start",
        String(Date.now()),
      ]);
      assert.equal(gen.code, 0, gen.stderr);
      return path;
    };

    // 1. The manager answers: the closed file's index is stored by the time the agent exits.
    const first = await runUntil(
      ["--replay", await pcap("a", 1), "--state-dir", stateDir],
      async (out) => /PCAP store .*1 enabled policy/.test(out) && await flowsTotal() > 0,
    );
    assert.equal(first.code, 0, first.output);
    const after = await stored();
    assert.ok(after.flows > 0 && after.packets > 0, JSON.stringify(after));
    const spool = await spooled(stateDir);
    assert.equal(spool.pcap_index ?? 0, 0, `nothing left in the spool: ${JSON.stringify(spool)}`);
    assert.equal(spool.flows ?? 0, 0, `nothing left in the spool: ${JSON.stringify(spool)}`);
    assert.ok(first.stopMs < 8_000, `stopped in ${first.stopMs} ms`);

    // 2. The manager is away: the agent stops within --stop-timeout and keeps the batches.
    await manager.stop();
    manager = undefined;
    const second = await runUntil(
      ["--replay", await pcap("b", 2), "--state-dir", stateDir, "--stop-timeout", "2"],
      (out) => Promise.resolve(/replayed .*b\.pcap: \d+ flow records/.test(out)),
    );
    assert.equal(second.code, 0, second.output);
    assert.ok(second.stopMs < 6_000, `stopped in ${second.stopMs} ms`);
    assert.match(second.output, /spooled batches left for the next start/);
    const left = await spooled(stateDir);
    assert.ok((left.pcap_index ?? 0) > 0 && (left.flows ?? 0) > 0, JSON.stringify(left));

    // 3. The next start sends them.
    manager = await startManager({ ...env, ...managerAuthEnv() });
    const before = { flows: await flowsTotal(), stored: await stored() };
    const third = await runUntil(
      ["--state-dir", stateDir, "--manager", manager.url],
      async () => (await stored()).flows > before.stored.flows,
    );
    assert.equal(third.code, 0, third.output);
    assert.ok(await flowsTotal() > before.flows);
    assert.deepEqual(
      await spooled(stateDir),
      Object.fromEntries(
        Object.keys(await spooled(stateDir)).map((s) => [s, 0]),
      ),
    );
  } finally {
    await manager?.stop();
    await database.drop();
    await Deno.remove(tmp, { recursive: true });
  }
});
