import assert from "node:assert/strict";
import { Distributor } from "./distributor.ts";
import { ether, ip4, packet, point, policy, tcp4, tcpFrame, udp4 } from "./_testing.ts";
import { MemorySink, type PacketSink } from "./sender.ts";
import type { DistributionPoint, DistributionPolicy } from "./types.ts";

const VXLAN = (vni: number) => [8, 0, 0, 0, (vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0];

function run(policies: DistributionPolicy[], frames: { bytes: number[]; timeUs?: number }[]) {
  const sinks = new Map<string, MemorySink>();
  const d = new Distributor(policies, {
    openSink: (p: DistributionPoint): PacketSink => {
      const sink = new MemorySink();
      sinks.set(p.id, sink);
      return sink;
    },
  });
  for (const f of frames) d.process(packet(f.bytes, f.timeUs ?? 1_000_000));
  d.flush();
  const sent = (id: string) => sinks.get(id)!.packets.map((p) => [...p]);
  return { counters: d.counters(), sent };
}

Deno.test("Distributor sends matching frames in VXLAN, byte for byte", () => {
  const a = tcpFrame(40000, 80, [1, 2, 3]);
  const b = ether(0x0800, ip4(17, udp4(5000, 53, [9])));
  const r = run([policy({ filter: "tcp port 80" })], [{ bytes: a }, { bytes: b }]);
  assert.deepEqual(r.sent("p1"), [[...VXLAN(100), ...a]]);
  assert.equal(r.counters.policies[0]!.dropped.filter, 1);
  assert.deepEqual(
    [r.counters.points[0]!.packets, r.counters.points[0]!.bytes],
    [1, 8 + a.length],
  );
});

Deno.test("Distributor keeps only the chosen direction", () => {
  const c2s = tcpFrame(40000, 80, [1]);
  const s2c = tcpFrame(80, 40000, [2]);
  const syn = ether(0x0800, ip4(6, tcp4(80, 40000, [], 0x02)));
  const r = run([policy({ direction: "s2c" })], [{ bytes: c2s }, { bytes: s2c }, { bytes: syn }]);
  assert.deepEqual(r.sent("p1"), [[...VXLAN(100), ...s2c]]);
  assert.equal(r.counters.policies[0]!.dropped.direction, 2);
});

Deno.test("Distributor strips VLAN tags, slices after L4 and masks, then inserts a VLAN", () => {
  const payload = Array.from({ length: 40 }, (_, i) => i + 1);
  const frame = ether(0x0800, ip4(6, tcp4(40000, 80, payload)), [33]);
  const r = run([policy({
    strip: { vlan: true, vxlan: false, gre: false },
    slice: { from: "l4", bytes: 8 },
    masks: [{ from: "l4", offset: 2, length: 3 }, { from: "start", offset: 0, length: 1 }],
    points: [point({ vlan: 10 })],
  })], [{ bytes: frame }]);
  const expected = ether(0x0800, ip4(6, tcp4(40000, 80, payload))).slice(0, 54 + 8);
  expected[0] = 0;
  expected.splice(54 + 2, 3, 0, 0, 0);
  expected.splice(12, 0, 0x81, 0, 0, 10);
  assert.deepEqual(r.sent("p1"), [[...VXLAN(100), ...expected]]);
});

Deno.test("Distributor dedups a packet seen twice with another TTL, within the window", () => {
  const first = tcpFrame(40000, 80, [7], 64);
  const again = tcpFrame(40000, 80, [7], 60);
  const r = run([policy({ dedup: { enabled: true, windowMs: 100 } })], [
    { bytes: first, timeUs: 0 },
    { bytes: again, timeUs: 50_000 },
    { bytes: again, timeUs: 200_000 },
  ]);
  assert.deepEqual(r.sent("p1"), [[...VXLAN(100), ...first], [...VXLAN(100), ...again]]);
  assert.equal(r.counters.policies[0]!.dropped.dedup, 1);
});

Deno.test("Distributor replicates to every point or balances flows by hash", () => {
  const two = [point({ id: "x", vni: 1 }), point({ id: "y", vni: 2 })];
  const frames = Array.from({ length: 40 }, (_, i) => ({ bytes: tcpFrame(40000 + i, 80, [i]) }));
  const back = Array.from({ length: 40 }, (_, i) => ({ bytes: tcpFrame(80, 40000 + i, [i]) }));
  const rep = run([policy({ points: two })], frames);
  assert.deepEqual([rep.sent("x").length, rep.sent("y").length], [40, 40]);
  const lb = run([policy({ points: two, mode: "loadBalance" })], [...frames, ...back]);
  const x = lb.sent("x");
  const y = lb.sent("y");
  assert.equal(x.length + y.length, 80);
  assert.ok(x.length >= 20 && y.length >= 20, `${x.length} / ${y.length}`);
  // Both directions of a flow go to the same point: the payload byte (i) appears twice there.
  const payloads = (list: number[][]) => list.map((p) => p.at(-1)!).sort((a, b) => a - b);
  for (const list of [x, y]) {
    const seen = payloads(list);
    for (let i = 0; i < seen.length; i += 2) assert.equal(seen[i], seen[i + 1]);
  }
});

Deno.test("Distributor rate limit counts exactly what it withheld", () => {
  const frame = tcpFrame(40000, 80, Array(46).fill(0)); // 100 bytes
  const frames = Array.from({ length: 300 }, (_, i) => ({ bytes: frame, timeUs: i * 1000 }));
  // 80 kbit/s = 10 bytes/ms after the 18,000-byte burst: about 180 + 30 of 300 frames pass.
  const r = run([policy({ bandwidthBps: 80_000 })], frames);
  const c = r.counters.policies[0]!;
  assert.equal(c.packets + c.dropped.rateLimit, 300);
  assert.ok(c.packets >= 205 && c.packets <= 212, `${c.packets} sent`);
  assert.equal(r.sent("p1").length, c.packets);
  const unlimited = run([policy({ bandwidthBps: 8_000_000 })], frames);
  assert.equal(unlimited.counters.policies[0]!.dropped.rateLimit, 0);
});

Deno.test("Distributor fuse stops a policy above its threshold and resumes under 90 %", () => {
  const frame = tcpFrame(40000, 80, Array(46).fill(0)); // 100 bytes
  // Second 0: 20 frames (16 kbit/s); second 1: 1 frame; second 2: 1 frame.
  const times = [
    ...Array.from({ length: 20 }, (_, i) => i * 1000),
    1_000_000,
    2_000_000,
    2_500_000,
  ];
  const r = run([policy({ fuseBps: 10_000 })], times.map((timeUs) => ({ bytes: frame, timeUs })));
  const c = r.counters.policies[0]!;
  assert.equal(c.dropped.fuse, 1);
  assert.equal(c.packets, 22);
});

Deno.test("Distributor: a drop policy first hides packets from later policies", () => {
  const dns = ether(0x0800, ip4(17, udp4(5000, 53, [9])));
  const web = tcpFrame(40000, 80, [1]);
  const r = run([
    policy({ id: "d", action: "drop", filter: "udp port 53", points: [] }),
    policy({ id: "all" }),
  ], [{ bytes: dns }, { bytes: web }]);
  assert.deepEqual(r.sent("p1"), [[...VXLAN(100), ...web]]);
  assert.equal(r.counters.policies[0]!.dropped.action, 1);
});

Deno.test("Distributor truncates to the point's MTU and counts it", () => {
  const frame = tcpFrame(40000, 80, Array(2000).fill(5));
  const r = run([policy({ points: [point({ mtu: 576 })] })], [{ bytes: frame }]);
  const sent = r.sent("p1")[0]!;
  assert.equal(sent.length, 576 - 28);
  assert.deepEqual(sent.slice(8), frame.slice(0, 576 - 36));
  assert.equal(r.counters.points[0]!.truncated, 1);
});

Deno.test("Distributor: a point that cannot open counts send errors, others still send", () => {
  const frame = tcpFrame(40000, 80, [1]);
  const ok = new MemorySink();
  const d = new Distributor([policy({ points: [point({ id: "bad" }), point({ id: "good" })] })], {
    openSink: (p) => {
      if (p.id === "bad") throw new Error("no route");
      return ok;
    },
  });
  d.process(packet(frame));
  d.process(packet(frame));
  d.flush();
  const points = d.counters().points;
  assert.deepEqual(points.map((p) => [p.id, p.packets, p.dropped.sendError]), [
    ["bad", 0, 2],
    ["good", 2, 0],
  ]);
  assert.equal(points[0]!.lastError, "no route");
  assert.equal(ok.packets.length, 2);
});

Deno.test("Distributor skips malformed frames without throwing", () => {
  const junk = [
    [],
    [1, 2, 3],
    ether(0x0800, [0x45, 0, 0]),
    ether(0x86dd, [0x60]),
    Array(60).fill(0xff),
  ];
  const r = run([
    policy({ slice: { from: "l4", bytes: 4 }, strip: { vlan: true, vxlan: true, gre: true } }),
  ], junk.map((bytes) => ({ bytes })));
  assert.equal(r.counters.policies[0]!.packets, junk.length);
});
