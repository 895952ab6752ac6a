import assert from "node:assert/strict";
import { OWN_UDP_SOURCE_PORT, sockaddr, SocketSink } from "./sender.ts";

Deno.test("sockaddr() lays out sockaddr_in and sockaddr_in6", () => {
  assert.deepEqual([...sockaddr("192.0.2.7", 4789)], [
    2,
    0,
    0x12,
    0xb5,
    192,
    0,
    2,
    7,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  const v6 = sockaddr("2001:db8::1", 1);
  assert.equal(v6.length, 28);
  assert.deepEqual([...v6.subarray(0, 4)], [10, 0, 0, 1]);
  assert.deepEqual([...v6.subarray(8, 24)], [0x20, 1, 0xd, 0xb8, ...Array(11).fill(0), 1]);
});

Deno.test({
  name: "SocketSink sends batches with sendmmsg from the marked source port",
  permissions: { net: true, ffi: true },
  async fn() {
    const receiver = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (receiver.addr as Deno.NetAddr).port;
    const sink = new SocketSink({ tunnel: "udp", destination: "127.0.0.1", port });
    try {
      for (let i = 0; i < 100; i++) {
        const slot = sink.slot();
        slot[0] = i;
        slot[1] = 0xab;
        sink.commit(2 + i);
      }
      sink.flush();
      assert.deepEqual([sink.sent, sink.errors], [100, 0]);
      for (let i = 0; i < 100; i++) {
        const [data, from] = await receiver.receive();
        assert.deepEqual([data.length, data[0], data[1]], [2 + i, i, 0xab]);
        assert.equal((from as Deno.NetAddr).port, OWN_UDP_SOURCE_PORT);
      }
    } finally {
      sink.close();
      receiver.close();
    }
  },
});

Deno.test({
  name: "SocketSink counts the errors of an unreachable point and carries on",
  permissions: { net: true, ffi: true },
  fn() {
    // A port nobody listens on: loopback answers with ICMP port unreachable.
    const probe = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const sink = new SocketSink({ tunnel: "udp", destination: "127.0.0.1", port });
    try {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 10; i++) sink.commit(sink.slot().length > 0 ? 20 : 0);
        sink.flush();
      }
      assert.ok(sink.errors > 0, "no error counted");
      assert.equal(sink.sent + sink.errors, 30);
      assert.match(sink.lastError, /refused/i);
    } finally {
      sink.close();
    }
  },
});

Deno.test({
  name: "SocketSink sends to an IPv6 point",
  permissions: { net: true, ffi: true },
  async fn() {
    const receiver = Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 });
    const port = (receiver.addr as Deno.NetAddr).port;
    const sink = new SocketSink({ tunnel: "udp", destination: "::1", port });
    try {
      sink.slot().set([8, 0, 0, 0, 0, 0, 1, 0], 0);
      sink.commit(8);
      sink.flush();
      const [data] = await receiver.receive();
      assert.deepEqual([...data], [8, 0, 0, 0, 0, 0, 1, 0]);
    } finally {
      sink.close();
      receiver.close();
    }
  },
});
