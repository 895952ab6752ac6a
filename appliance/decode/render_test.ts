import assert from "node:assert/strict";
import { decodeOne, eth, hex, ipv4, packetOf, tcp, udp } from "./_testing.ts";
import { Decoder, packetJson, packetLine } from "./mod.ts";

const INNER = ipv4(
  { protocol: 6, src: [172, 16, 0, 1], dst: [172, 16, 0, 2], id: 9, ttl: 63 },
  tcp({ sport: 1111, dport: 80, seq: 5, flags: 0x02, window: 1000, options: hex("020405b4") }),
);
const VXLAN = eth(
  0x8100,
  [
    ...hex("0064 0800"),
    ...ipv4(
      { protocol: 17, id: 3 },
      udp(50000, 4789, [...hex("08000000 00002a00"), ...eth(0x0800, INNER)]),
    ),
  ],
);

Deno.test("packetJson() gives the outermost headers, the tunnel and the innermost packet", () => {
  const { status, out } = decodeOne(VXLAN);
  const json = JSON.parse(JSON.stringify(packetJson(out, status)));
  assert.deepEqual(json, {
    frame: 7,
    ts: 0,
    caplen: VXLAN.length,
    len: VXLAN.length,
    layers: ["eth", "vlan", "ipv4", "udp", "vxlan", "eth", "ipv4", "tcp"],
    eth: { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: 0x8100 },
    vlan: [100],
    ip: { version: 4, src: "10.0.0.1", dst: "10.0.0.2", proto: 17, ttl: 64, id: 3 },
    udp: { sport: 50000, dport: 4789, len: 8 + 8 + 14 + INNER.length },
    tunnel: { type: "vxlan", typeId: 1, id: 42, depth: 1 },
    inner: {
      eth: { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: 0x0800 },
      ip: { version: 4, src: "172.16.0.1", dst: "172.16.0.2", proto: 6, ttl: 63, id: 9 },
      tcp: {
        sport: 1111,
        dport: 80,
        flags: 2,
        seq: 5,
        ack: 0,
        win: 1000,
        len: 0,
        urg: 0,
        options: { mss: 1460 },
      },
    },
  });
});

Deno.test("packetJson() names the layer and reason of a malformed packet", () => {
  const { status, out } = decodeOne(eth(0x0800, ipv4({ protocol: 17, total: 28 }, [0, 53])));
  const json = packetJson(out, status);
  assert.deepEqual(json.layers, ["eth", "ipv4"]);
  assert.equal(json.ip?.proto, 17);
  assert.deepEqual(json.error, {
    layer: "udp",
    kind: "udp_truncated",
    reason: "udp_truncated: UDP header truncated: need 8 bytes, have 2 (packet 7, offset 34)",
  });
});

Deno.test("packetLine() reads like tcpdump -nn and says which tunnel a packet came through", () => {
  const vxlan = decodeOne(VXLAN);
  assert.equal(
    packetLine(vxlan.out, vxlan.status),
    "     7 00:00:00.000000 IP 172.16.0.1.1111 > 172.16.0.2.80: Flags [S], seq 5, ack 0, win 1000, " +
      "length 0 (in vxlan 42 via 10.0.0.1 > 10.0.0.2) [eth vlan ipv4 udp vxlan eth ipv4 tcp]",
  );
  const lldp = decodeOne(eth(0x88cc, hex("0000")));
  assert.equal(
    packetLine(lldp.out, lldp.status),
    "     7 00:00:00.000000 not IP type 0x88cc [eth]",
  );
});

Deno.test("packetJson() marks the packet that completed a fragmented datagram", () => {
  const datagram = udp(5000, 53, new Array(16).fill(7));
  const decoder = new Decoder();
  decoder.decode(packetOf(eth(0x0800, ipv4({ protocol: 17, more: true }, datagram.slice(0, 16)))));
  const first = packetJson(decoder.out, 0);
  assert.deepEqual(first.fragment, { id: 0x1234, offset: 0, more: true, reassembled: false });
  const status = decoder.decode(
    packetOf(eth(0x0800, ipv4({ protocol: 17, offset: 16 }, datagram.slice(16)))),
  );
  const last = packetJson(decoder.out, status);
  assert.deepEqual(last.fragment, { id: 0x1234, offset: 0, more: false, reassembled: true });
  assert.deepEqual(last.udp, { sport: 5000, dport: 53, len: 24 });
  assert.match(packetLine(decoder.out, status), /UDP, length 16 \(reassembled\)/);
});
