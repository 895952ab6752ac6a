import assert from "node:assert/strict";
import { decodeOne, eth, hex, ipv4, ipv6, layerNames, tcp, udp } from "./_testing.ts";
import { DecodeStatus, formatAddress, LAYER_NAMES, TunnelType } from "./mod.ts";

const INNER = ipv4(
  { protocol: 6, src: [172, 16, 0, 1], dst: [172, 16, 0, 2] },
  tcp({ sport: 1111, dport: 80 }),
);
const VXLAN_42 = hex("08000000 00002a00");

function vxlanFrame(sport: number, dport: number, header = VXLAN_42): number[] {
  return eth(0x0800, ipv4({ protocol: 17 }, udp(sport, dport, [...header, ...eth(0x0800, INNER)])));
}

function names(bytes: number[]): string[] {
  return layerNames(decodeOne(bytes).out, LAYER_NAMES);
}

Deno.test("decodeUdpTunnel() decapsulates VXLAN: inner 5-tuple, VNI, outer headers kept", () => {
  const { status, out, decoder } = decodeOne(vxlanFrame(50000, 4789));
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual([out.tunnelType, out.tunnelId, out.tunnelDepth], [TunnelType.Vxlan, 42, 1]);
  assert.equal(formatAddress(out.buffer, out.srcOffset, 4), "172.16.0.1");
  assert.deepEqual([out.protocol, out.srcPort, out.dstPort], [6, 1111, 80]);
  const outer = out.outer;
  assert.equal(formatAddress(outer.buffer, outer.srcOffset, 4), "10.0.0.1");
  assert.deepEqual([outer.protocol, outer.srcPort, outer.dstPort], [17, 50000, 4789]);
  assert.deepEqual(layerNames(out, LAYER_NAMES), [
    "eth",
    "ipv4",
    "udp",
    "vxlan",
    "eth",
    "ipv4",
    "tcp",
  ]);
  assert.equal(out.innerEthOffset, 2 + 14 + 20 + 8 + 8);
  assert.equal(decoder.tunnelled, 1);
});

Deno.test("decodeUdpTunnel() takes VXLAN on 8472 and from the 4789 side, not without the I flag", () => {
  assert.equal(decodeOne(vxlanFrame(40000, 8472)).out.tunnelType, TunnelType.Vxlan);
  assert.equal(decodeOne(vxlanFrame(4789, 40000)).out.tunnelType, TunnelType.Vxlan);
  const noFlag = decodeOne(vxlanFrame(50000, 4789, hex("00000000 00002a00")));
  assert.equal(noFlag.out.tunnelDepth, 0);
  assert.equal(noFlag.out.dstPort, 4789);
  const dns = decodeOne(vxlanFrame(4789, 53));
  assert.deepEqual([dns.out.tunnelDepth, dns.out.dstPort], [0, 53], "a well-known port wins");
  assert.equal(dns.out.outer, dns.out, "without a tunnel, outer is the packet itself");
});

Deno.test("decodeUdpTunnel() counts a VXLAN header cut by the snap length", () => {
  const frame = vxlanFrame(50000, 4789);
  const { status, decoder } = decodeOne(frame.slice(0, 14 + 20 + 8 + 4), {
    originalLength: frame.length,
  });
  assert.equal(status, DecodeStatus.Malformed);
  assert.deepEqual(decoder.errorCounts(), { vxlan_truncated: 1 });
});

Deno.test("decodeUdpTunnel() skips Geneve options and follows its protocol type", () => {
  const geneve = hex("02 00 6558 000102 00 01020304 05060708");
  const frame = eth(
    0x0800,
    ipv4({ protocol: 17 }, udp(0, 6081, [...geneve, ...eth(0x0800, INNER)])),
  );
  const { status, out } = decodeOne(frame);
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual([out.tunnelType, out.tunnelId, out.dstPort], [TunnelType.Geneve, 0x102, 80]);
  const direct = hex("00 00 0800 000007 00");
  assert.deepEqual(
    names(eth(0x0800, ipv4({ protocol: 17 }, udp(1234, 6081, [...direct, ...INNER])))),
    ["eth", "ipv4", "udp", "geneve", "ipv4", "tcp"],
  );
});

Deno.test("decodeGre() reads key, sequence and checksum bits and the IPv4 inside", () => {
  const gre = hex("b000 0800 0000 0000 01020304 00000007"); // C, K, S
  const { status, out } = decodeOne(eth(0x0800, ipv4({ protocol: 47 }, [...gre, ...INNER])));
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual([out.tunnelType, out.tunnelId], [TunnelType.Gre, 0x01020304]);
  assert.deepEqual([out.greFlags, out.greKey, out.greSequence], [0xb000, 0x01020304, 7]);
  assert.equal(out.srcPort, 1111);
  assert.deepEqual(layerNames(out, LAYER_NAMES), ["eth", "ipv4", "gre", "ipv4", "tcp"]);
});

Deno.test("decodeGre() decapsulates Transparent Ethernet Bridging and ERSPAN II and III", () => {
  const teb = decodeOne(
    eth(0x0800, ipv4({ protocol: 47 }, [...hex("2000 6558 00000005"), ...eth(0x0800, INNER)])),
  );
  assert.deepEqual([teb.out.tunnelType, teb.out.tunnelId], [TunnelType.ErspanOrTeb, 5]);
  const erspan2 = [...hex("1000 88be 00000001"), ...hex("1064 0155 00000000")];
  const two = decodeOne(eth(0x0800, ipv4({ protocol: 47 }, [...erspan2, ...eth(0x0800, INNER)])));
  assert.equal(two.status, DecodeStatus.Ok);
  assert.deepEqual([two.out.tunnelId, two.out.erspanVersion, two.out.dstPort], [0x155, 1, 80]);
  // Type III with the O flag: an 8-byte platform subheader before the frame.
  const erspan3 = [...hex("1000 22eb 00000001"), ...hex("2000 02aa 00000000 0000 0001")];
  const three = decodeOne(
    eth(
      0x0800,
      ipv4({ protocol: 47 }, [...erspan3, ...hex("0000000000000000"), ...eth(0x0800, INNER)]),
    ),
  );
  assert.equal(three.status, DecodeStatus.Ok);
  assert.deepEqual([three.out.tunnelType, three.out.tunnelId], [TunnelType.ErspanOrTeb, 0x2aa]);
  assert.deepEqual(layerNames(three.out, LAYER_NAMES).slice(2), [
    "gre",
    "erspan",
    "eth",
    "ipv4",
    "tcp",
  ]);
});

Deno.test("decodeGre() reads PPTP's enhanced GRE carrying PPP", () => {
  const gre = hex("3081 880b 0020 0b0c 00000001 00000000"); // K, S, A, version 1, call id 0x0b0c
  const frame = eth(0x0800, ipv4({ protocol: 47 }, [...gre, ...hex("ff03 0021"), ...INNER]));
  const { status, out } = decodeOne(frame);
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual([out.tunnelType, out.tunnelId, out.dstPort], [TunnelType.Gre, 0x0b0c, 80]);
  assert.deepEqual(layerNames(out, LAYER_NAMES), ["eth", "ipv4", "gre", "ppp", "ipv4", "tcp"]);
});

Deno.test("decodeGre() reads Aruba's 802.11 frames and stops at encrypted ones", () => {
  const wlan = hex("8801 0000 020000000003 020000000004 020000000005 0000 0000");
  const body = [...wlan, ...hex("aaaa03 000000 0800"), ...INNER];
  const aruba = decodeOne(eth(0x0800, ipv4({ protocol: 47 }, [...hex("0000 8200"), ...body])));
  assert.equal(aruba.status, DecodeStatus.Ok);
  assert.deepEqual(layerNames(aruba.out, LAYER_NAMES).slice(2), [
    "gre",
    "wlan",
    "llc",
    "ipv4",
    "tcp",
  ]);
  const locked = [...body];
  locked[1] = 0x41; // protected frame
  const encrypted = decodeOne(
    eth(0x0800, ipv4({ protocol: 47 }, [...hex("0000 8200"), ...locked])),
  );
  assert.equal(encrypted.status, DecodeStatus.NotIp);
});

Deno.test("decodeIpv4() and decodeIpv6() decapsulate IP in IP both ways", () => {
  const inner6 = ipv6(17, udp(1000, 2000, [1, 2]));
  const sixInFour = decodeOne(eth(0x0800, ipv4({ protocol: 41 }, inner6)));
  assert.deepEqual([sixInFour.out.tunnelType, sixInFour.out.ipVersion], [TunnelType.Ipip, 6]);
  assert.equal(sixInFour.out.outer.ipVersion, 4);
  const fourInSix = decodeOne(eth(0x86dd, ipv6(4, INNER)));
  assert.deepEqual([fourInSix.out.ipVersion, fourInSix.out.dstPort], [4, 80]);
  assert.equal(fourInSix.out.outer.ipVersion, 6);
  const fourInFour = decodeOne(eth(0x0800, ipv4({ protocol: 4 }, INNER)));
  assert.deepEqual(layerNames(fourInFour.out, LAYER_NAMES), ["eth", "ipv4", "ipv4", "tcp"]);
});

Deno.test("decodeUdpTunnel() reads GTP-U with extension headers, and leaves signalling alone", () => {
  const gtp = [...hex("34ff 0000 deadbeef 0000 00 85"), ...hex("01 00 00 00")];
  const frame = eth(0x0800, ipv4({ protocol: 17 }, udp(2152, 2152, [...gtp, ...INNER])));
  const { status, out } = decodeOne(frame);
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual([out.tunnelType, out.tunnelId, out.dstPort], [TunnelType.GtpU, 0xdeadbeef, 80]);
  const echo = eth(
    0x0800,
    ipv4({ protocol: 17 }, udp(2152, 2152, hex("3201 0004 00000000 0001 0000"))),
  );
  const signalling = decodeOne(echo);
  assert.deepEqual([signalling.status, signalling.out.tunnelDepth], [DecodeStatus.Ok, 0]);
  assert.deepEqual(layerNames(signalling.out, LAYER_NAMES), ["eth", "ipv4", "udp", "gtpu"]);
});

Deno.test("decodeUdpTunnel() reads Teredo with an origin indication", () => {
  const origin = hex("0000 f227 3fffffff");
  const inner = ipv6(17, udp(1000, 2000, []));
  const { status, out } = decodeOne(
    eth(0x0800, ipv4({ protocol: 17 }, udp(3544, 50000, [...origin, ...inner]))),
  );
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual([out.tunnelType, out.ipVersion, out.dstPort], [TunnelType.Teredo, 6, 2000]);
});

Deno.test("Decoder.decode() nests tunnels: outer type and id, innermost 5-tuple, depth", () => {
  const vxlan = udp(50000, 4789, [...VXLAN_42, ...eth(0x0800, INNER)]);
  const gre = [...hex("2000 0800 00000009"), ...ipv4({ protocol: 17, src: [10, 1, 1, 1] }, vxlan)];
  const { status, out } = decodeOne(eth(0x0800, ipv4({ protocol: 47 }, gre)));
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual([out.tunnelType, out.tunnelId, out.tunnelDepth], [TunnelType.Gre, 9, 2]);
  assert.equal(formatAddress(out.buffer, out.srcOffset, 4), "172.16.0.1");
  assert.equal(out.outer.protocol, 47);
});

Deno.test("Decoder.decode() bounds tunnel nesting and the number of layers", () => {
  let packet = INNER;
  for (let i = 0; i < 9; i++) packet = ipv4({ protocol: 4 }, packet);
  const deep = decodeOne(eth(0x0800, packet));
  assert.equal(deep.status, DecodeStatus.Malformed);
  assert.deepEqual(deep.decoder.errorCounts(), { tunnel_too_deep: 1 });
  // Ethernet, 16 MPLS labels, a pseudowire, VXLAN six deep, IPv4, TCP: 44 layers; 40 fit.
  let frame = eth(0x0800, INNER);
  for (let i = 0; i < 6; i++) {
    frame = eth(0x0800, ipv4({ protocol: 17 }, udp(40000, 4789, [...VXLAN_42, ...frame])));
  }
  const labels = new Array(16).fill(0).flatMap((_, i) => hex(i === 15 ? "00010140" : "00010040"));
  const wide = decodeOne(eth(0x8847, [...labels, ...frame]));
  assert.equal(wide.status, DecodeStatus.Malformed);
  assert.deepEqual(wide.decoder.errorCounts(), { too_many_layers: 1 });
});
