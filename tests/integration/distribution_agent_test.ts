/**
 * `appliance run --replay FILE` distributes by the policies its config document carries (issue
 * #6), without root: a point made through the manager's API sends VXLAN to a UDP socket of this
 * test on the loopback; every datagram must be the VXLAN header of the point's VNI followed by a
 * frame of the file the policy's filter matches, byte for byte, and the npb counters the agent
 * reports must reach the manager's database and API.
 */
import assert from "node:assert/strict";
import { jsonApi, managerDatabase } from "../support/manager_process.ts";
import { managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { spawnDeno, startManager } from "../support/procs.ts";
import { applianceIdOf, enrollWithCli } from "../support/appliance.ts";
import { ether, ip4, tcp4, udp4 } from "../../appliance/distribute/_testing.ts";

const VNI = 9;
const WEB = 30;

function writePcap(path: string, frames: number[][]): void {
  const parts: number[] = [];
  const u32 = (n: number) => parts.push(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
  u32(0xa1b2c3d4);
  parts.push(2, 0, 4, 0);
  u32(0);
  u32(0);
  u32(65535);
  u32(1);
  frames.forEach((f, i) => {
    u32(1_700_000_000 + i);
    u32(0);
    u32(f.length);
    u32(f.length);
    parts.push(...f);
  });
  Deno.writeFileSync(path, new Uint8Array(parts));
}

async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

Deno.test("appliance run --replay distributes by the manager's policies and reports npb counters", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tapline-npb-replay-" });
  const database = await managerDatabase(tmp);
  const env = database.env;
  const receiver = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const received: Uint8Array[] = [];
  const receiving = (async () => {
    try {
      for await (const [data] of receiver) received.push(data);
    } catch { /* closed */ }
  })();
  let manager: Awaited<ReturnType<typeof startManager>> | undefined;
  let agent: ReturnType<typeof spawnDeno> | undefined;
  try {
    await installLicenseWithCli(env, { modules: ["traffic_distribution"] });
    manager = await startManager({ ...env, ...managerAuthEnv() });
    const session = await signInOverHttp(manager.url);
    const api = jsonApi(() => manager!.url, session);
    const stateDir = await enrollWithCli(manager.url, `${tmp}/appliance`, { session });
    const id = applianceIdOf(stateDir);
    await api(`/api/v1/appliances/${id}`, "PATCH", {
      reporting: { flushSeconds: 1, heartbeatSeconds: 1 },
    });
    const port = (receiver.addr as Deno.NetAddr).port;
    const point = await api("/api/v1/distribution/points", "POST", {
      name: "loopback",
      tunnel: "vxlan",
      vni: VNI,
      destination: "127.0.0.1",
      port,
    });
    const policy = await api("/api/v1/distribution/policies", "POST", {
      name: "web",
      filter: "tcp port 80",
      points: [point.id],
    });

    const web = Array.from(
      { length: WEB },
      (_, i) =>
        ether(0x0800, ip4(6, tcp4(40000 + i, 80, Array.from({ length: 20 + i }, (_, k) => k + i)))),
    );
    const other = Array.from(
      { length: 10 },
      (_, i) => ether(0x0800, ip4(17, udp4(5000 + i, 53, [i]))),
    );
    const pcap = `${tmp}/in.pcap`;
    writePcap(
      pcap,
      web.flatMap((f, i) => (i % 3 === 0 && other[i / 3] ? [f, other[i / 3]!] : [f])),
    );
    agent = spawnDeno("appliance/main.ts", ["run", "--replay", pcap, "--state-dir", stateDir]);

    await eventually(
      "the datagrams",
      20_000,
      () => Promise.resolve(received.length >= WEB ? true : undefined),
    ).catch((err) => {
      throw new Error(`${err.message}: ${received.length}\n${agent!.collected()}`);
    });
    const header = [8, 0, 0, 0, 0, 0, VNI, 0];
    assert.deepEqual(received.map((d) => [...d]), web.map((f) => [...header, ...f]));
    assert.match(agent.collected(), /distributing with 1 policies/);

    const counters = await eventually("the policy's counters", 20_000, async () => {
      const c = await api(`/api/v1/distribution/policies/${policy.id}/counters`);
      return c.totals.packets === WEB && c.totals.dropFilter === 10 ? c : undefined;
    });
    assert.equal(counters.totals.matched, WEB);
    const pointCounters = await api(`/api/v1/distribution/points/${point.id}/counters`);
    assert.equal(pointCounters.totals.packets, WEB);
    assert.equal(pointCounters.totals.dropSendError, 0);
    assert.equal(pointCounters.reach.status, "reachable");
    const appliance = await api(`/api/v1/appliances/${id}`);
    assert.equal(appliance.lastHeartbeat.distribution.state, "active");
    agent.child.kill("SIGTERM");
    assert.equal((await agent.child.status).code, 0, agent.collected());
    await agent.done;
    agent = undefined;
  } finally {
    if (agent) {
      try {
        agent.child.kill("SIGKILL");
      } catch { /* already gone */ }
      await agent.child.status;
      await agent.done;
    }
    receiver.close();
    await receiving;
    await manager?.stop();
    await database.drop();
    await Deno.remove(tmp, { recursive: true });
  }
});
