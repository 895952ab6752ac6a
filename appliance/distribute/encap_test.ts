import assert from "node:assert/strict";
import { Decoder, DecodeStatus, TunnelType } from "../decode/mod.ts";
import { ether, ip4, packet, point, tcpFrame, udp4 } from "./_testing.ts";
import { overhead, TunnelState, writeInnerFrame, writeTunnelHeader } from "./encap.ts";

function header(p: ReturnType<typeof point>, timeUs = 0, frameVlan = 0, state = new TunnelState()) {
  const out = new Uint8Array(32);
  const n = writeTunnelHeader(p, state, out, { timeUs, frameVlan });
  return [...out.subarray(0, n)];
}

Deno.test("writeTunnelHeader() writes the VXLAN header of RFC 7348", () => {
  assert.deepEqual(header(point({ vni: 0x123456 })), [8, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
});

Deno.test("writeTunnelHeader() writes GRE/TEB and ERSPAN II/III with a running sequence", () => {
  assert.deepEqual(header(point({ tunnel: "gre" })), [0, 0, 0x65, 0x58]);
  const state = new TunnelState();
  const p2 = point({ tunnel: "erspan2", sessionId: 0x3ff });
  header(p2, 0, 0, state);
  assert.deepEqual(header(p2, 0, 5, state), [
    0x10,
    0,
    0x88,
    0xbe,
    0,
    0,
    0,
    1, // GRE, S bit, sequence 1
    0x10,
    5,
    0x1b,
    0xff,
    0,
    0,
    0,
    0, // ver 1, VLAN 5, En 3, session 1023
  ]);
  assert.deepEqual(header(point({ tunnel: "erspan3", sessionId: 9 }), 1_000_000), [
    0x10,
    0,
    0x22,
    0xeb,
    0,
    0,
    0,
    0,
    0x20,
    0,
    0,
    9,
    0,
    0,
    0x27,
    0x10,
    0,
    0,
    0,
    0, // ver 2, session 9, 10000 × 100 µs
  ]);
});

Deno.test("writeInnerFrame() inserts an 802.1Q tag after the MAC addresses", () => {
  const frame = tcpFrame(1, 2, [3]);
  const out = new Uint8Array(100);
  const n = writeInnerFrame(new Uint8Array(frame), frame.length, 300, out, 4);
  assert.equal(n, frame.length + 4);
  assert.deepEqual([...out.subarray(4, 4 + n)], [
    ...frame.slice(0, 12),
    0x81,
    0,
    0x01,
    0x2c,
    ...frame.slice(12),
  ]);
});

Deno.test("overhead() counts outer IP, UDP and tunnel headers", () => {
  assert.equal(overhead(point(), 4), 36);
  assert.equal(overhead(point({ tunnel: "erspan3" }), 6), 40 + 8 + 12);
});

/** Our headers, wrapped in the IP (and UDP) header the kernel would add, decode back. */
Deno.test("writeTunnelHeader() output decodes back with the appliance's own tunnel decoder", () => {
  const inner = tcpFrame(40000, 443, [1, 2, 3]);
  const cases = [
    {
      p: point({ vni: 4242 }),
      type: TunnelType.Vxlan,
      id: 4242,
      wrap: (x: number[]) => ip4(17, udp4(47890, 4789, x)),
    },
    {
      p: point({ tunnel: "gre" }),
      type: TunnelType.ErspanOrTeb,
      id: 0,
      wrap: (x: number[]) => ip4(47, x),
    },
    {
      p: point({ tunnel: "erspan2", sessionId: 77 }),
      type: TunnelType.ErspanOrTeb,
      id: 77,
      wrap: (x: number[]) => ip4(47, x),
    },
    {
      p: point({ tunnel: "erspan3", sessionId: 78 }),
      type: TunnelType.ErspanOrTeb,
      id: 78,
      wrap: (x: number[]) => ip4(47, x),
    },
  ];
  for (const c of cases) {
    const decoder = new Decoder();
    const frame = ether(0x0800, c.wrap([...header(c.p), ...inner]));
    assert.equal(decoder.decode(packet(frame)), DecodeStatus.Ok, c.p.tunnel);
    assert.equal(decoder.out.tunnelType, c.type, c.p.tunnel);
    assert.equal(decoder.out.tunnelId, c.id, c.p.tunnel);
    assert.deepEqual([decoder.out.srcPort, decoder.out.dstPort], [40000, 443], c.p.tunnel);
  }
});
