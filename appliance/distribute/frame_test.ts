import assert from "node:assert/strict";
import { ether, ip4, ip6, tcp4, tcpFrame, udp4 } from "./_testing.ts";
import { fingerprint, flowHash, FrameLayout, locate, mask, sliceLength, strip } from "./frame.ts";

const NONE = { vlan: false, vxlan: false, gre: false };

function stripped(bytes: number[], options = NONE): number[] {
  const out = new Uint8Array(2048);
  const b = new Uint8Array([9, ...bytes]);
  const n = strip(b, 1, b.length, options, new FrameLayout(), out);
  return [...out.subarray(0, n)];
}

Deno.test("locate() finds L3, L4 and the payload behind VLAN tags", () => {
  const frame = ether(0x0800, ip4(6, tcp4(40000, 80, [1, 2, 3])), [5, 6]);
  const layout = new FrameLayout();
  assert.equal(locate(new Uint8Array(frame), 0, frame.length, layout), true);
  assert.deepEqual([layout.l3, layout.l4, layout.payload], [22, 42, 62]);
  assert.deepEqual([layout.srcPort, layout.dstPort, layout.protocol], [40000, 80, 6]);
});

Deno.test("locate() refuses a truncated IPv4 header and non-IP frames", () => {
  const layout = new FrameLayout();
  const short = ether(0x0800, [0x45, 0, 0, 40, 0, 0]);
  assert.equal(locate(new Uint8Array(short), 0, short.length, layout), false);
  const arp = ether(0x0806, Array(28).fill(0));
  assert.equal(locate(new Uint8Array(arp), 0, arp.length, layout), false);
  assert.equal(locate(new Uint8Array(5), 0, 5, layout), false);
});

Deno.test("strip() removes every VLAN tag and keeps the rest byte for byte", () => {
  const inner = ip4(17, udp4(1000, 53, [7, 7]));
  assert.deepEqual(
    stripped(ether(0x0800, inner, [10, 20]), { ...NONE, vlan: true }),
    ether(0x0800, inner),
  );
  assert.deepEqual(stripped(ether(0x0800, inner, [10])), ether(0x0800, inner, [10]));
});

Deno.test("strip() decapsulates VXLAN to the inner frame", () => {
  const inner = tcpFrame(40000, 443, [1, 2, 3, 4]);
  const outer = ether(0x0800, ip4(17, udp4(5555, 4789, [8, 0, 0, 0, 0, 0, 100, 0, ...inner])));
  assert.deepEqual(stripped(outer, { ...NONE, vxlan: true }), inner);
  assert.deepEqual(stripped(outer, NONE), outer);
  // Not on port 4789: left alone.
  const other = ether(0x0800, ip4(17, udp4(5555, 4790, [8, 0, 0, 0, 0, 0, 100, 0, ...inner])));
  assert.deepEqual(stripped(other, { ...NONE, vxlan: true }), other);
});

Deno.test("strip() decapsulates GRE carrying Ethernet, ERSPAN II/III and IP", () => {
  const inner = tcpFrame(40000, 443, [1, 2, 3, 4]);
  const teb = ether(0x0800, ip4(47, [0, 0, 0x65, 0x58, ...inner]));
  assert.deepEqual(stripped(teb, { ...NONE, gre: true }), inner);
  const erspan2 = ether(
    0x0800,
    ip4(47, [0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, ...Array(8).fill(3), ...inner]),
  );
  assert.deepEqual(stripped(erspan2, { ...NONE, gre: true }), inner);
  const erspan3 = ether(
    0x0800,
    ip4(47, [0x10, 0, 0x22, 0xeb, 0, 0, 0, 1, ...Array(12).fill(2), ...inner]),
  );
  assert.deepEqual(stripped(erspan3, { ...NONE, gre: true }), inner);
  const innerIp = ip4(6, tcp4(1, 2, [9]));
  const greIp = ether(0x86dd, ip6(47, [0, 0, 0x08, 0x00, ...innerIp]));
  assert.deepEqual(stripped(greIp, { ...NONE, gre: true }), ether(0x0800, innerIp));
});

Deno.test("sliceLength() keeps N bytes after the L4 header or from the start", () => {
  const frame = tcpFrame(40000, 80, Array(100).fill(1));
  const layout = new FrameLayout();
  locate(new Uint8Array(frame), 0, frame.length, layout);
  assert.equal(sliceLength(frame.length, layout, "l4", 10), 54 + 10);
  assert.equal(sliceLength(frame.length, layout, "l4", 1000), frame.length);
  assert.equal(sliceLength(frame.length, layout, "start", 60), 60);
});

Deno.test("mask() zeroes the range, clipped to the frame", () => {
  const b = new Uint8Array([1, 2, 3, 4, 5, 6]);
  mask(b, 5, 2, 1, 10);
  assert.deepEqual([...b], [1, 2, 3, 0, 0, 6]);
});

Deno.test("fingerprint() ignores TTL, IPv4 checksum, hop limit and L2, not the payload", () => {
  const hash = (bytes: number[]) => {
    const layout = new FrameLayout();
    const b = new Uint8Array(bytes);
    locate(b, 0, b.length, layout);
    const out = new Uint32Array(2);
    fingerprint(b, b.length, layout, out);
    return [...out];
  };
  assert.deepEqual(hash(tcpFrame(1, 2, [5], 64)), hash(tcpFrame(1, 2, [5], 63)));
  assert.deepEqual(
    hash(ether(0x0800, ip4(6, tcp4(1, 2, [5])), [7])),
    hash(ether(0x0800, ip4(6, tcp4(1, 2, [5])))),
  );
  assert.deepEqual(
    hash(ether(0x86dd, ip6(17, udp4(1, 2, [1]), 64))),
    hash(ether(0x86dd, ip6(17, udp4(1, 2, [1]), 9))),
  );
  assert.notDeepEqual(hash(tcpFrame(1, 2, [5])), hash(tcpFrame(1, 2, [6])));
});

Deno.test("flowHash() is the same for both directions of a flow", () => {
  const h = (bytes: number[]) => {
    const layout = new FrameLayout();
    locate(new Uint8Array(bytes), 0, bytes.length, layout);
    return flowHash(new Uint8Array(bytes), layout);
  };
  const ab = ether(0x0800, ip4(6, tcp4(40000, 80, []), { src: [10, 0, 0, 1], dst: [10, 0, 0, 2] }));
  const ba = ether(0x0800, ip4(6, tcp4(80, 40000, []), { src: [10, 0, 0, 2], dst: [10, 0, 0, 1] }));
  const other = ether(
    0x0800,
    ip4(6, tcp4(40001, 80, []), { src: [10, 0, 0, 1], dst: [10, 0, 0, 2] }),
  );
  assert.equal(h(ab), h(ba));
  assert.notEqual(h(ab), h(other));
});
