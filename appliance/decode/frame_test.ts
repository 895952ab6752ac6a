import assert from "node:assert/strict";
import { decodeOne, eth, hex, ipv4, layerNames, tcp, udp } from "./_testing.ts";
import { DecodeStatus, formatAddress, LAYER_NAMES } from "./mod.ts";

const IP_TCP = ipv4({ protocol: 6 }, tcp({ dport: 443 }));

Deno.test("decodeFrame() keeps every VLAN id of QinQ, outer first, and lists each tag as a layer", () => {
  const frame = eth(0x88a8, [...hex("0064 8100"), ...hex("00c8 0800"), ...IP_TCP]);
  const { status, out } = decodeOne(frame);
  assert.equal(status, DecodeStatus.Ok);
  assert.equal(out.vlan, 100);
  assert.deepEqual([...out.vlanIds.subarray(0, out.vlanCount)], [100, 200]);
  assert.deepEqual(layerNames(out, LAYER_NAMES), ["eth", "vlan", "vlan", "ipv4", "tcp"]);
  assert.equal(out.dstPort, 443);
});

Deno.test("decodeFrame() rejects a ninth VLAN tag", () => {
  const tags = new Array(9).fill(hex("0001 8100")).flat();
  const { status, decoder } = decodeOne(eth(0x8100, [...tags, ...IP_TCP]));
  assert.equal(status, DecodeStatus.Malformed);
  assert.deepEqual(decoder.errorCounts(), { vlan_too_deep: 1 });
});

Deno.test("decodeFrame() pops the MPLS label stack and reads IPv4 after the bottom label", () => {
  // Labels 16 and 1000 (bottom of stack), TTL 64.
  const stack = hex("00010040 003e8140");
  const { status, out } = decodeOne(eth(0x8847, [...stack, ...IP_TCP]));
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual([...out.mplsStack.subarray(0, out.mplsLabels)], [16, 1000]);
  assert.deepEqual(layerNames(out, LAYER_NAMES), ["eth", "mpls", "mpls", "ipv4", "tcp"]);
});

Deno.test("decodeFrame() reads an Ethernet pseudowire over MPLS with and without a control word", () => {
  const inner = eth(0x0800, IP_TCP);
  const withCw = decodeOne(eth(0x8847, [...hex("00011140"), ...hex("00000001"), ...inner]));
  assert.equal(withCw.status, DecodeStatus.Ok);
  assert.deepEqual(layerNames(withCw.out, LAYER_NAMES), [
    "eth",
    "mpls",
    "pw",
    "eth",
    "ipv4",
    "tcp",
  ]);
  assert.equal(withCw.out.tunnelDepth, 0, "a pseudowire has no outer IP: not a tunnel");
  assert.equal(withCw.out.dstPort, 443);
  const plain = [...hex("a0b0c0d0e0f0 a1b1c1d1e1f1 0800"), ...IP_TCP];
  const noCw = decodeOne(eth(0x8847, [...hex("00011140"), ...plain]));
  assert.deepEqual(layerNames(noCw.out, LAYER_NAMES), ["eth", "mpls", "eth", "ipv4", "tcp"]);
  assert.equal(noCw.out.innerEthOffset, 2 + 14 + 4);
});

Deno.test("decodeFrame() counts a label stack without a bottom label as truncated", () => {
  const { status, decoder } = decodeOne(eth(0x8847, hex("00010040 00020040")));
  assert.equal(status, DecodeStatus.Malformed);
  assert.deepEqual(decoder.errorCounts(), { mpls_truncated: 1 });
});

Deno.test("decodeFrame() reads PPPoE session frames and LLC/SNAP-encapsulated IP", () => {
  const pppoe = decodeOne(eth(0x8864, [...hex("1100 0001 0030 0021"), ...IP_TCP]));
  assert.equal(pppoe.status, DecodeStatus.Ok);
  assert.deepEqual(layerNames(pppoe.out, LAYER_NAMES), ["eth", "pppoe", "ppp", "ipv4", "tcp"]);
  const body = [...hex("aaaa03 000000 0800"), ...IP_TCP];
  const snap = decodeOne(eth(body.length, body));
  assert.equal(snap.status, DecodeStatus.Ok);
  assert.deepEqual(layerNames(snap.out, LAYER_NAMES), ["eth", "llc", "ipv4", "tcp"]);
  const stp = decodeOne(eth(38, hex("424203 0000 0000")));
  assert.equal(stp.status, DecodeStatus.NotIp, "802.3 with a non-SNAP LLC header is not IP");
});

Deno.test("decodeFrame() names Linux cooked and loopback link layers", () => {
  const sll = decodeOne([...hex("0000 0001 0006 020000000001 0000 0800"), ...IP_TCP], {
    linkType: 113,
  });
  assert.deepEqual(layerNames(sll.out, LAYER_NAMES), ["sll", "ipv4", "tcp"]);
  const loop = decodeOne([...hex("02000000"), ...IP_TCP], { linkType: 0 });
  assert.deepEqual(layerNames(loop.out, LAYER_NAMES), ["null", "ipv4", "tcp"]);
});

Deno.test("decodeFrame() skips an IPv4 authentication header to the transport inside", () => {
  const ah = hex("11 04 0000 00000001 00000002 000000000000000000000000"); // next UDP, 24 bytes
  const frame = eth(0x0800, ipv4({ protocol: 51 }, [...ah, ...udp(5353, 53, [1, 2, 3, 4])]));
  const { status, out } = decodeOne(frame);
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual([out.protocol, out.srcPort, out.dstPort, out.payloadLength], [17, 5353, 53, 4]);
  assert.equal(formatAddress(out.buffer, out.dstOffset, 4), "10.0.0.2");
  const cut = decodeOne(eth(0x0800, ipv4({ protocol: 51 }, ah.slice(0, 6))));
  assert.deepEqual(cut.decoder.errorCounts(), { ipv4_ah_truncated: 1 });
});

Deno.test("decodeFrame() reads the fixed IPv4 header of a packet whose options are cut", () => {
  const header = ipv4({ protocol: 6, total: 60 }, []);
  header[0] = 0x4f; // 60-byte header, 20 captured
  const { status, out, decoder } = decodeOne(eth(0x0800, header));
  assert.equal(status, DecodeStatus.Malformed);
  assert.deepEqual(decoder.errorCounts(), { ipv4_truncated: 1 });
  assert.deepEqual(layerNames(out, LAYER_NAMES), ["eth", "ipv4"]);
  assert.equal(formatAddress(out.buffer, out.srcOffset, 4), "10.0.0.1");
});
