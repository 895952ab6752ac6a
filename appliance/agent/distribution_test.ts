import assert from "node:assert/strict";
import { MemorySink, OWN_UDP_SOURCE_PORT } from "../distribute/mod.ts";
import { ether, ip4, packet, tcpFrame, udp4 } from "../distribute/_testing.ts";
import { AgentDistribution } from "./distribution.ts";

const LICENSED = { ok: true, modules: ["traffic_distribution"] };
const POLICIES = [
  {
    id: "policy-1",
    name: "web",
    filter: "tcp port 80",
    capturePoints: ["eth1"],
    points: [{ id: "point-1", tunnel: "vxlan", vni: 5, destination: "127.0.0.1" }],
  },
];

function withSinks() {
  const sinks: MemorySink[] = [];
  const d = new AgentDistribution({
    openSink: () => {
      const s = new MemorySink();
      sinks.push(s);
      return s;
    },
  });
  return { d, sinks, sent: () => sinks.reduce((n, s) => n + s.packets.length, 0) };
}

Deno.test("AgentDistribution sends nothing without traffic_distribution and says why", () => {
  const { d, sent } = withSinks();
  d.apply(3, POLICIES, { ok: true, modules: ["network_monitoring"] });
  assert.equal(d.status.state, "unlicensed");
  assert.match(d.status.reason!, /traffic_distribution is not in the signed entitlement/);
  const tap = d.tap("eth1")(1);
  tap.process(packet(tcpFrame(40000, 80, [1, 2])));
  tap.flush();
  assert.equal(sent(), 0);
  d.apply(3, POLICIES, { ok: false, reason: "expired", modules: [] });
  assert.match(d.status.reason!, /no valid entitlement \(expired\)/);
});

Deno.test("AgentDistribution applies policies to their capture points only", () => {
  const { d, sent } = withSinks();
  d.apply(1, POLICIES, LICENSED);
  assert.deepEqual(d.status, { state: "active", reason: null, policies: 1, configVersion: 1 });
  const eth1 = d.tap("eth1")(1);
  const eth2 = d.tap("eth2")(1);
  eth1.process(packet(tcpFrame(40000, 80, [1])));
  eth2.process(packet(tcpFrame(40000, 80, [2])));
  eth1.flush();
  eth2.flush();
  assert.equal(sent(), 1);
  // A replayed file (no capture point) runs every policy.
  d.tap(null)(1).process(packet(tcpFrame(40000, 80, [3])));
  d.takeRecords(2_000);
  assert.equal(sent(), 2);
});

Deno.test("AgentDistribution skips its own tunnel output", () => {
  const { d, sent } = withSinks();
  d.apply(1, [{ ...POLICIES[0], filter: "udp" }], LICENSED);
  const tap = d.tap("eth1")(1);
  tap.process(packet(ether(0x0800, ip4(17, udp4(OWN_UDP_SOURCE_PORT, 4789, [8, 0, 0, 0])))));
  tap.process(packet(ether(0x0800, ip4(17, udp4(5000, 53, [1])))));
  tap.flush();
  assert.equal(sent(), 1);
});

Deno.test("AgentDistribution.takeRecords() reports deltas, across a document change", () => {
  const { d } = withSinks();
  d.apply(1, POLICIES, LICENSED);
  const tap = d.tap("eth1")(1);
  tap.process(packet(tcpFrame(40000, 80, [1])));
  tap.process(packet(tcpFrame(40000, 22, [1])));
  const first = d.takeRecords(1_000);
  const policy = first.find((r) => r.kind === "policy")!;
  const point = first.find((r) => r.kind === "point")!;
  assert.deepEqual([policy.id, policy.packets, policy.matched, policy.filter], [
    "policy-1",
    1,
    1,
    1,
  ]);
  assert.deepEqual([point.id, point.packets, point.sendError, point.lastSendAt], [
    "point-1",
    1,
    0,
    1_000,
  ]);
  // A new version: the old distributor's counts are kept, only the change is reported.
  d.apply(2, POLICIES, LICENSED);
  tap.process(packet(tcpFrame(40000, 80, [2])));
  tap.process(packet(tcpFrame(40000, 80, [3])));
  const second = d.takeRecords(2_000);
  assert.equal(second.find((r) => r.kind === "policy")!.packets, 2);
  assert.equal(second.find((r) => r.kind === "point")!.lastSendAt, 2_000);
  // Nothing changed: nothing to say, until a minute has passed.
  assert.deepEqual(d.takeRecords(3_000), []);
  const keepalive = d.takeRecords(62_000);
  assert.equal(keepalive.find((r) => r.kind === "policy")!.packets, 0);
  assert.equal(keepalive.find((r) => r.kind === "point")!.lastSendAt, 2_000);
});

Deno.test("AgentDistribution refuses a document it cannot parse, naming the field", () => {
  const { d } = withSinks();
  d.apply(1, [{ id: "x", points: [{ id: "p", tunnel: "vxlan", destination: "nope" }] }], LICENSED);
  assert.equal(d.status.state, "invalid");
  assert.match(d.status.reason!, /points\[0\]\.destination/);
});
