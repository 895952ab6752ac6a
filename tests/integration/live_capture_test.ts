/**
 * Live capture end to end, on a private network: two network namespaces joined by a veth pair,
 * an HTTP server in one, a client making N requests (one TCP connection each) in the other.
 * A few VLAN-tagged frames check that the tag survives the kernel's VLAN offload.
 * In the server's namespace the appliance captures through AF_PACKET and through libpcap
 * (printing flows) and replays a third capture to a manager running in the same namespace, while
 * tcpdump records the same link; all must agree. Nothing is addressed outside the namespaces.
 */
import assert from "node:assert/strict";
import { labTest, NetLab, type Proc, run, words } from "../support/netlab.ts";
import { enrollmentTokenWithCli } from "../support/appliance.ts";
import { installLicenseWithCli } from "../support/license.ts";

const DENO = Deno.execPath();
const REQUESTS = 12;
const BODY_BYTES = 1000;
/** The lab's addresses: 10.NET.0.1 (server), 10.NET.0.2 (client); see NetLab. */
const NET = 202;
const SERVER_IP = `10.${NET}.0.1`;
const CLIENT_IP = `10.${NET}.0.2`;
const PORT = 8080;
const VLAN = 100;
const TAGGED_FRAMES = 5;
const MANAGER_PORT = 18080;

interface Flow {
  ip0: string;
  ip1: string;
  clientPort: number;
  serverPort: number;
  protocol: number;
  vlan: number;
  observationPoint: string;
  packetTx: number;
  packetRx: number;
  byteTx: number;
  byteRx: number;
}

/** A record of `flows --json` (DeepFlow's snake_case field names; camelCase accepted too). */
function parseFlow(line: string): Flow {
  const o = JSON.parse(line) as Record<string, unknown>;
  const field = <T>(camel: string, snake: string) => (o[snake] ?? o[camel]) as T;
  return {
    ip0: field("ip0", "ip_0"),
    ip1: field("ip1", "ip_1"),
    clientPort: field("clientPort", "client_port"),
    serverPort: field("serverPort", "server_port"),
    protocol: field("protocol", "protocol"),
    vlan: field("vlan", "vlan"),
    observationPoint: field("observationPoint", "observation_point"),
    packetTx: field("packetTx", "packet_tx"),
    packetRx: field("packetRx", "packet_rx"),
    byteTx: field("byteTx", "byte_tx"),
    byteRx: field("byteRx", "byte_rx"),
  };
}

const parseFlows = (text: string) => text.trim().split("\n").map(parseFlow);

const key = (f: Flow) =>
  [
    f.ip0,
    f.clientPort,
    f.ip1,
    f.serverPort,
    f.protocol,
    f.vlan,
    f.packetTx,
    f.packetRx,
    f.byteTx,
    f.byteRx,
  ].join(" ");

/**
 * Totals per connection (5-tuple and VLAN), sorted: a flow log has one row per flow and minute,
 * and a capture that runs on past a minute boundary may cut rows where a file does not.
 */
function totals(flows: Flow[]): string[] {
  const sums = new Map<string, number[]>();
  for (const f of flows) {
    const id = [f.ip0, f.clientPort, f.ip1, f.serverPort, f.protocol, f.vlan].join(" ");
    const sum = sums.get(id) ?? [0, 0, 0, 0];
    [f.packetTx, f.packetRx, f.byteTx, f.byteRx].forEach((n, i) => sum[i]! += n);
    sums.set(id, sum);
  }
  return [...sums].map(([id, sum]) => `${id} ${sum.join(" ")}`).sort();
}

const SERVER_CODE = `
const body = "x".repeat(${BODY_BYTES});
Deno.serve({ hostname: "0.0.0.0", port: ${PORT}, onListen: () => console.log("serving") },
  () => new Response(body));
`;

/** One TCP connection per request, so the flow count is exact. */
const CLIENT_CODE = `
const request = new TextEncoder().encode("GET / HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n\\r\\n");
const buffer = new Uint8Array(65536);
for (let i = 0; i < ${REQUESTS}; i++) {
  const conn = await Deno.connect({ hostname: "${SERVER_IP}", port: ${PORT} });
  await conn.write(request);
  let total = 0;
  for (;;) { const n = await conn.read(buffer); if (n === null) break; total += n; }
  conn.close();
  if (total < ${BODY_BYTES}) throw new Error("short response: " + total);
}
console.log("done");
`;

/**
 * 802.1Q-tagged UDP frames written to the client's end with a packet socket. The receiving
 * kernel moves the tag out of the frame into metadata before packet sockets see it (as NICs
 * with VLAN offload do), so an AF_PACKET capture must put it back. (This kernel has no 8021q
 * module for a VLAN device.)
 */
const TAGGED_CODE = (ifname: string) => `
const libc = Deno.dlopen("libc.so.6", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
}).symbols;
const fd = libc.socket(17, 3, 0);
const address = new Uint8Array(20);
const view = new DataView(address.buffer);
view.setUint16(0, 17, true);
view.setInt32(4, libc.if_nametoindex(new TextEncoder().encode("${ifname}\\0")), true);
if (fd < 0 || libc.bind(fd, address, 20) !== 0) throw new Error("packet socket");
const frame = new Uint8Array(78);
const f = new DataView(frame.buffer);
frame.fill(0xff, 0, 6);
frame.set([2, 0, 0, 0, 0, 1], 6);
f.setUint16(12, 0x8100); f.setUint16(14, ${VLAN}); f.setUint16(16, 0x0800);
f.setUint8(18, 0x45); f.setUint16(20, 60); f.setUint8(26, 64); f.setUint8(27, 17);
frame.set([10, 200, 1, 2, 10, 200, 1, 1], 30);
let sum = 0;
for (let i = 18; i < 38; i += 2) sum += f.getUint16(i);
while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
f.setUint16(28, ~sum & 0xffff);
f.setUint16(38, 40000); f.setUint16(40, 9999); f.setUint16(42, 40);
for (let i = 0; i < ${TAGGED_FRAMES}; i++) {
  if (Number(libc.send(fd, frame, 78n, 0)) !== 78) throw new Error("send");
}
console.log("sent");
`;

labTest(
  "appliance captures live on a veth (AF_PACKET and libpcap) the flows tcpdump sees",
  ["ip", "tcpdump"],
  async () => {
    const lab = new NetLab("tl", NET);
    const tmp = await Deno.makeTempDir({ prefix: "tapline-live-" });
    const procs: Proc[] = [];
    const start = (proc: Proc) => (procs.push(proc), proc);
    try {
      await lab.setUp();
      // A fresh namespace has every port free. The manager (PGlite) gets a license and an
      // enrollment token from its own command line before it starts (the folder is locked while
      // it runs); the appliance enrolls inside the namespace, where the manager listens.
      const managerUrl = `http://127.0.0.1:${MANAGER_PORT}`;
      const managerEnv = { TAPLINE_DATA_DIR: `${tmp}/manager`, DATABASE_URL: "" };
      await installLicenseWithCli(managerEnv);
      const token = await enrollmentTokenWithCli(managerEnv);
      const manager = start(lab.exec(
        lab.server,
        DENO,
        words(`run -A --unstable-net manager/main.ts
        serve --port ${MANAGER_PORT}`),
        managerEnv,
      ));
      await manager.waitFor(/listening on/, 120_000);
      const stateDir = `${tmp}/appliance`;
      const enroll = start(lab.exec(
        lab.server,
        DENO,
        words(`run -A appliance/main.ts
        enroll --manager ${managerUrl} --token ${token} --state-dir ${stateDir}`),
      ));
      assert.equal((await enroll.exited()).code, 0, enroll.stderr());
      const server = start(lab.exec(lab.server, DENO, ["eval", SERVER_CODE]));
      const pcap = `${tmp}/tcpdump.pcap`;
      const tcpdump = start(lab.exec(
        lab.server,
        "tcpdump",
        words(`-i ${lab.serverIf} -n -U --immediate-mode -B 16384 -Z root -w ${pcap}`),
      ));
      const viaRing = start(lab.exec(
        lab.server,
        DENO,
        words(`run -A --unstable-net appliance/main.ts
        flows --interface ${lab.serverIf} --backend af_packet --observation-point s --json`),
      ));
      const replay = start(lab.exec(
        lab.server,
        DENO,
        words(`run -A --unstable-net appliance/main.ts
        replay --interface ${lab.serverIf} --state-dir ${stateDir}`),
      ));
      const viaLibpcap = start(lab.exec(
        lab.server,
        DENO,
        words(`run -A --unstable-net appliance/main.ts
        flows --interface ${lab.serverIf} --backend libpcap --json`),
      ));
      await server.waitFor(/serving/);
      await tcpdump.waitFor(/listening on/);
      await viaRing.waitFor(/capturing on \S+ \(af_packet, observation point s\)/);
      await viaLibpcap.waitFor(/capturing on \S+ \(libpcap, observation point rest\)/);
      await replay.waitFor(/capturing on \S+ \(af_packet, observation point rest\)/);

      const client = start(lab.exec(lab.client, DENO, ["eval", CLIENT_CODE]));
      assert.equal((await client.exited()).code, 0, client.stderr());
      const tagged = start(lab.exec(lab.client, DENO, ["eval", TAGGED_CODE(lab.clientIf)]));
      assert.equal((await tagged.exited()).code, 0, tagged.stderr());
      // Let the kernel hand over the last partly filled ring blocks (20 ms block timeout).
      await new Promise((r) => setTimeout(r, 1000));
      const captures = [viaRing, viaLibpcap, tcpdump, replay];
      for (const capture of captures) capture.signal("SIGINT");
      for (const capture of captures) {
        assert.equal((await capture.exited()).code, 0, capture.stderr() + capture.stdout());
      }

      // What tcpdump wrote, through the same pipeline from the file.
      const fromFile = await run(DENO, words(`run -A appliance/main.ts flows ${pcap} --json`));
      assert.ok(fromFile.trim(), `no flows in tcpdump's capture: ${tcpdump.stderr()}`);
      const expected = parseFlows(fromFile);
      const http = expected.filter((f) => f.protocol === 6 && f.serverPort === PORT);
      // tcpdump is the reference: if it lost packets, its own counters say so here.
      assert.equal(http.length, REQUESTS, `${fromFile}\ntcpdump: ${tcpdump.stderr()}`);
      for (const f of http) {
        assert.deepEqual([f.ip0, f.ip1, f.vlan], [CLIENT_IP, SERVER_IP, 0]);
        assert.ok(f.packetTx >= 4 && f.packetRx >= 3, key(f));
        assert.ok(f.byteRx > BODY_BYTES, key(f));
      }
      const vlanFlows = expected.filter((f) => f.vlan === VLAN);
      assert.deepEqual(
        vlanFlows.map((f) => [f.ip0, f.ip1, f.protocol, f.packetTx + f.packetRx]),
        [["10.200.1.2", "10.200.1.1", 17, TAGGED_FRAMES]],
      );
      const packets = (await run("tcpdump", words(`-r ${pcap} -n -q`))).trim().split("\n").length;

      for (const capture of [viaRing, viaLibpcap]) {
        const flows = parseFlows(capture.stdout());
        assert.deepEqual(totals(flows), totals(expected));
        assert.deepEqual(counters(capture.stderr()), [packets, 0, 0]);
        const point = capture === viaRing ? "s" : "rest";
        assert.ok(flows.every((f) => f.observationPoint === point), capture.stdout());
      }

      // Live capture through the whole pipeline; the manager acked every batch.
      const summary = replay.stdout();
      assert.deepEqual(counters(summary), [packets, 0, 0]);
      const [, tcp, udp] = /flows +[\d,]+ \((\d+) TCP, (\d+) UDP/.exec(summary) ?? [];
      // A row per flow and minute: a capture that outlives a minute boundary may add rows.
      assert.ok(Number(tcp) >= REQUESTS && Number(udp) >= 1, summary);
      assert.match(
        summary,
        /batches +1 spooled \(seq (\d+)-\1\); 1 sent \(0 already stored\), 0 retries/,
      );
      // L7 on the live capture: the HTTP requests went as stream `requests`, all sent.
      assert.match(summary, new RegExp(`requests +[\\d,]+ requests \\(http ${REQUESTS}\\b`));
      assert.match(
        summary,
        /request logs +(\d+) records in 1 batches spooled .*; \1 records in 1 batches sent/,
      );
    } finally {
      for (const proc of procs) await proc.stop("SIGKILL");
      await lab.tearDown();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);

/** The capture counters a live run prints: received, dropped by kernel, dropped by interface. */
function counters(text: string): number[] {
  const m =
    /([\d,]+) packets received, ([\d,]+) dropped by the kernel, ([\d,]+) dropped by the interface/
      .exec(text);
  assert.ok(m, text);
  return m.slice(1).map((n) => Number(n.replaceAll(",", "")));
}
