import assert from "node:assert/strict";
import {
  CaptureError,
  capturePoint,
  type LiveBackend,
  type LiveSource,
  openLiveCapture,
} from "./mod.ts";

// Packet sockets need root (or CAP_NET_RAW); the namespace test in tests/integration covers the
// rest. Here: loopback, where other processes may talk too, so only our own datagrams count.
const ignore = Deno.uid() !== 0;
const DATAGRAMS = 200;
const PAYLOAD = 100;

/** Reads `source` until `done()` says so or the source stops; returns what `use` counted. */
async function drain(source: LiveSource, use: () => void, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done() && !source.stopped && Date.now() < deadline) {
    if (await source.wait(100)) { while (source.next()) use(); }
  }
}

for (const backend of ["af_packet", "libpcap"] as LiveBackend[]) {
  Deno.test({
    name: `openLiveCapture() with ${backend} sees UDP datagrams sent on loopback, once each`,
    ignore,
    async fn() {
      const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      const port = (socket.addr as Deno.NetAddr).port;
      const source = openLiveCapture("lo", { backend });
      try {
        assert.equal(source.backend, backend);
        assert.equal(source.interfaceName, "lo");
        assert.equal(source.linkType, 1, "loopback frames carry a zeroed Ethernet header");
        const payload = new Uint8Array(PAYLOAD).fill(0xab);
        for (let i = 0; i < DATAGRAMS; i++) {
          payload[0] = i;
          await socket.send(payload, { transport: "udp", hostname: "127.0.0.1", port });
        }
        const seen: number[] = [];
        let lastTime = 0;
        await drain(source, () => {
          const p = source.packet;
          const b = p.buffer;
          const at = p.dataOffset;
          // Ethernet (14) + IPv4 (20) + UDP (8): the UDP destination port is at 36.
          const isOurs = p.capturedLength === 14 + 28 + PAYLOAD &&
            ((b[at + 36]! << 8) | b[at + 37]!) === port;
          if (!isOurs) return;
          assert.equal(p.originalLength, p.capturedLength);
          assert.equal(p.linkType, 1);
          assert.ok(p.timestampUs >= lastTime && p.timestampUs > 1.7e15, `${p.timestampUs}`);
          lastTime = p.timestampUs;
          seen.push(b[at + 42]!);
        }, () => seen.length >= DATAGRAMS);
        assert.deepEqual(seen, Array.from({ length: DATAGRAMS }, (_, i) => i));
        const stats = source.stats();
        assert.ok(stats.received >= DATAGRAMS, `${stats.received} received`);
        assert.equal(stats.droppedByKernel, 0);
        assert.equal(source.error, undefined);
      } finally {
        await source.close();
        socket.close();
      }
      assert.equal(source.stopped, true);
      assert.equal(source.next(), false);
      assert.equal(await source.wait(10_000), false, "a closed source never waits");
      assert.equal(source.packet.buffer.length, 0, "no view into the released ring");
      await source.close();
    },
  });
}

Deno.test({
  name: "LiveSource.stop() ends a pending wait() and close() waits for it",
  ignore,
  async fn() {
    const source = openLiveCapture("lo", { pollMs: 50 });
    const pending = source.wait(600_000);
    source.stop();
    assert.equal(source.stopped, true);
    // Packets from other processes may make it true; what matters is that it ends.
    assert.equal(typeof await pending, "boolean");
    await source.close();
    const before = source.stats();
    assert.deepEqual(source.stats(), before, "counters stay readable after close()");
  },
});

Deno.test("openLiveCapture() names the interface and each backend's reason", () => {
  assert.throws(() => openLiveCapture("tl-none0", { backend: "af_packet" }), (err: unknown) => {
    assert.ok(err instanceof CaptureError);
    assert.equal(err.code, "live");
    assert.equal(err.message, "AF_PACKET capture on tl-none0: no such interface");
    return true;
  });
  assert.throws(
    () => openLiveCapture("tl-none0"),
    /^CaptureError: AF_PACKET capture on tl-none0: no such interface; libpcap capture on tl-none0: .+/,
  );
});

Deno.test("capturePoint() fills defaults and lists every problem", () => {
  assert.deepEqual(capturePoint("eth1"), {
    point: { interface: "eth1", observationPoint: "rest", captureNetworkType: 3 },
    problems: [],
  });
  assert.deepEqual(
    capturePoint("eth1", { observationPoint: "s-gw", captureNetworkType: 7 }).point,
    { interface: "eth1", observationPoint: "s-gw", captureNetworkType: 7 },
  );
  const bad = capturePoint("a very long name", {
    observationPoint: "c-app",
    captureNetworkType: 0,
  });
  assert.deepEqual(bad.problems, [
    'interface: not an interface name: "a very long name"',
    'observation point: expected one of c, c-nd, c-hv, c-gw-hv, c-gw, local, rest, s-gw, s-gw-hv, s-hv, s-nd, s, got "c-app"',
    "capture network type: expected 1 to 255, got 0",
  ]);
});
