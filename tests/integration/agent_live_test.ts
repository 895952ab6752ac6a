/**
 * The agent capturing live as its config says, end to end: two network namespaces joined by a
 * veth pair (an HTTP server in one, its client in the other), `appliance run` in the server's
 * namespace, the manager in the host namespace, reached by the agent over a second veth pair.
 * The capture point is added and later disabled through the manager's API (PATCH), as the UI
 * does; the flows of the traffic must land in flow_log with the capture point's observation
 * point. Nothing is addressed outside the namespaces and the one host-side /30.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createScratchDatabase, POSTGRES_URL } from "../support/db.ts";
import { managerAuthEnv, signInOverHttp, type TestSession } from "../support/auth.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { runDeno, startManager } from "../support/procs.ts";
import { eventually, labTest, NetLab, type Proc, words } from "../support/netlab.ts";
import { applianceIdOf, enrollWithCli } from "../support/appliance.ts";

const DENO = Deno.execPath();
const REQUESTS = 8;
const PORT = 8080;

/** Server and client namespaces joined by a veth pair; the server's also linked to the host. */
const lab = new NetLab("ta", 200);
const { serverIp: SERVER_IP, clientIp: CLIENT_IP, hostIp: HOST_IP } = lab;
const deno = (ns: string, args: string[]) => lab.exec(ns, DENO, args);

const SERVER_CODE = `
Deno.serve({ hostname: "${SERVER_IP}", port: ${PORT}, onListen: () => console.log("serving") },
  () => new Response("x".repeat(500)));
`;

/** One TCP connection per request, so the flow count is exact. */
const CLIENT_CODE = `
for (let i = 0; i < ${REQUESTS}; i++) {
  const res = await fetch("http://${SERVER_IP}:${PORT}/", { headers: { connection: "close" } });
  await res.text();
}
console.log("done");
`;

interface ApiAnswer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

function apiOf(url: string, session: TestSession) {
  return async (path: string, init: RequestInit = {}): Promise<ApiAnswer> => {
    const res = await fetch(`${url}${path}`, {
      ...init,
      headers: session.headers({ "content-type": "application/json" }),
    });
    return { status: res.status, body: await res.json() };
  };
}

labTest(
  "appliance run captures on the capture point added through the manager's API, its flows reach flow_log, and disabling it stops the capture",
  ["ip"],
  async () => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-agent-live-" });
    const scratch = POSTGRES_URL === undefined ? undefined : await createScratchDatabase();
    const env: Record<string, string> = scratch
      ? { DATABASE_URL: scratch.url }
      : { DATABASE_URL: "", TAPLINE_DATA_DIR: `${tmp}/manager` };
    const procs: Proc[] = [];
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    try {
      await lab.setUp();
      await installLicenseWithCli(env, { modules: ["network_monitoring"] });
      manager = await startManager({ ...env, ...managerAuthEnv(), TAPLINE_HOST: HOST_IP });
      const session = await signInOverHttp(manager.url);
      const api = apiOf(manager.url, session);
      const stateDir = await enrollWithCli(manager.url, `${tmp}/appliance`, {
        name: "live-agent",
        session,
      });
      const id = applianceIdOf(stateDir);

      const server = deno(lab.server, ["eval", SERVER_CODE]);
      procs.push(server);
      const agent = deno(
        lab.server,
        words(`run -A --unstable-net appliance/main.ts run --state-dir ${stateDir}`),
      );
      procs.push(agent);
      await server.waitFor(/serving/);
      // No capture point yet: the agent runs, heartbeats, captures nothing.
      await eventually("the appliance online", 20_000, async () => {
        const { body } = await api(`/api/v1/appliances/${id}`);
        return body.lastHeartbeat !== null ? body : undefined;
      });
      assert.match(agent.output(), /config version \d+ applied/);
      assert.doesNotMatch(agent.output(), /capturing on/);

      // The admin adds the veth as a capture point (observation point "s": the server side).
      const added = Date.now();
      const patched = await api(`/api/v1/appliances/${id}`, {
        method: "PATCH",
        body: JSON.stringify({
          capturePoints: [{ interface: lab.serverIf, observationPoint: "s", enabled: true }],
          reporting: { flushSeconds: 1, heartbeatSeconds: 1 },
        }),
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const version = patched.body.configVersion;
      const point = await eventually("the capture point up in the heartbeat", 10_000, async () => {
        const { body } = await api(`/api/v1/appliances/${id}`);
        const hb = body.lastHeartbeat;
        if (hb?.configVersion !== version) return undefined;
        return hb.capturePoints.find((p: { interface: string; link: string }) =>
          p.interface === lab.serverIf && p.link === "up"
        );
      });
      assert.ok(Date.now() - added < 10_000);
      assert.equal(point.observationPoint, "s");
      await agent.waitFor(new RegExp(`capturing on ${lab.serverIf} \\(observation point s\\)`));
      const listed = await api(`/api/v1/appliances`);
      const row = listed.body.appliances.find((a: { id: string }) => a.id === id);
      assert.deepEqual(
        row.lastHeartbeat.capturePoints.map((p: { interface: string; link: string }) => [
          p.interface,
          p.link,
        ]),
        [[lab.serverIf, "up"]],
      );

      // Real traffic across the veth.
      const client = deno(lab.client, ["eval", CLIENT_CODE]);
      procs.push(client);
      assert.equal((await client.exited()).code, 0, client.output());

      // Its requests land in request_log (L7 runs on the live capture; records go out per flush),
      // each once, long before the flows (whose minute must end first).
      const requests = await eventually("the HTTP requests in request_log", 30_000, async () => {
        const { status, body } = await api(`/api/v1/netmon/requests?protocol=http&page_size=100`);
        assert.equal(status, 200, JSON.stringify(body));
        return body.total >= REQUESTS ? body : undefined;
      }).catch((err) => {
        throw new Error(`${err.message}\nagent:\n${agent.output()}`);
      });
      assert.equal(requests.total, REQUESTS);
      for (const r of requests.rows) {
        assert.deepEqual(
          [r.appliance_id, r.observation_point, r.ip_0, r.ip_1, r.server_port],
          [id, "s", CLIENT_IP, SERVER_IP, PORT],
        );
        assert.deepEqual([r.request_type, r.request_resource, r.response_code], ["GET", "/", 200]);
      }

      // Its flows land in flow_log, from this appliance, at the capture point's observation point.
      // A live flow log has one record per flow and minute, emitted when the minute ends: up to
      // 60 s, then flushSeconds (1) to the spool and the send.
      let seen = "";
      const rows = await eventually("the HTTP flows in flow_log", 80_000, async () => {
        const { status, body } = await api(`/api/v1/flows?pageSize=100&port=${PORT}`);
        seen = JSON.stringify(body).slice(0, 2000);
        assert.equal(status, 200, JSON.stringify(body));
        // deno-lint-ignore no-explicit-any
        const http = body.rows.filter((r: any) => r.serverPort === PORT && r.protocol === 6);
        const flows = new Set(http.map((r: { clientPort: number }) => r.clientPort));
        return flows.size >= REQUESTS ? http : undefined;
      }).catch((err) => {
        throw new Error(`${err.message}\nlast answer: ${seen}\nagent:\n${agent.output()}`);
      });
      for (const r of rows) {
        assert.equal(r.appliance, id);
        assert.equal(r.observationPoint, "s");
        assert.equal(r.ip0, CLIENT_IP);
        assert.equal(r.ip1, SERVER_IP);
      }
      if (scratch !== undefined) {
        // The per-second metrics (stream metrics_1s) of the same packets, flushed every second:
        // at the capture point's observation point, at least the flow rows' packets.
        const db = postgres(scratch.url, { max: 1, onnotice: () => {} });
        try {
          const [second] = await db<{ packets: number; points: string[] }[]>`
            select coalesce(sum(packet_tx + packet_rx), 0)::int as packets,
              array_agg(distinct observation_point) as points
            from network_metrics_1s
            where appliance_id = ${id} and server_port = ${PORT} and host(ip_1) = ${SERVER_IP}`;
          const flowPackets = rows.reduce(
            (n: number, r: { packetTx: number; packetRx: number }) => n + r.packetTx + r.packetRx,
            0,
          );
          assert.ok(second!.packets >= flowPackets, `${second!.packets} < ${flowPackets}`);
          assert.ok(second!.packets >= REQUESTS * 7);
          assert.deepEqual(second!.points, ["s"]);
        } finally {
          await db.end();
        }
      }
      const stats = await api(`/api/v1/appliances/${id}`);
      const capture = stats.body.lastHeartbeat.capturePoints[0];
      assert.ok(capture.packets >= REQUESTS * 7, JSON.stringify(capture));
      assert.ok(capture.bytes > REQUESTS * 500, JSON.stringify(capture));

      // Disabled through the API: the agent stops capturing.
      const disabled = await api(`/api/v1/appliances/${id}`, {
        method: "PATCH",
        body: JSON.stringify({
          capturePoints: [{ interface: lab.serverIf, observationPoint: "s", enabled: false }],
        }),
      });
      assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
      const off = disabled.body.configVersion;
      const readStatus = () => JSON.parse(Deno.readTextFileSync(`${stateDir}/status.json`));
      const stopped = await eventually("the capture stopped in status.json", 10_000, () => {
        const s = readStatus();
        return s.config.version === off && s.heartbeat.capturePoints.length === 0 ? s : undefined;
      });
      assert.deepEqual(stopped.captures, []);
      await agent.waitFor(new RegExp(`capture on ${lab.serverIf} stopped`));
      const shown = await runDeno("appliance/main.ts", ["status", "--state-dir", stateDir]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /capture +none enabled/);
      await eventually("no capture point in the manager's heartbeat", 10_000, async () => {
        const { body } = await api(`/api/v1/appliances/${id}`);
        const hb = body.lastHeartbeat;
        return hb?.configVersion === off && hb.capturePoints.length === 0 ? hb : undefined;
      });

      assert.equal((await agent.stop()).code, 0, agent.output());
      assert.doesNotMatch(agent.output(), /cannot|unexpected/);
    } finally {
      for (const proc of procs) await proc.stop("SIGKILL");
      await manager?.stop();
      await lab.tearDown();
      await scratch?.drop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
