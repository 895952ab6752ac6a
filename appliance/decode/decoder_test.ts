import assert from "node:assert/strict";
import { CapturedPacket } from "../capture/mod.ts";
import { DecodedPacket, Decoder, DecodeStatus, formatAddress, formatIpv6 } from "./mod.ts";

function hex(text: string): number[] {
  return text.replace(/\s+/g, "").match(/../g)!.map((pair) => parseInt(pair, 16));
}

const ETH_IPV4 = hex("020000000002 020000000001 0800");
const IPV4_TCP = hex("45000034 1234 4000 4006 0000 0a000001 0a000002"); // total 52: 20 + 32
const TCP_SYN = hex("c0010050 00000064 00000000 8002 faf0 0000 0000") // data offset 8 (32 bytes)
  .concat(hex("020405b4 01030307 0101 0402"));

function packetOf(bytes: number[], linkType = 1, originalLength = bytes.length): CapturedPacket {
  const packet = new CapturedPacket();
  packet.buffer = new Uint8Array([0xee, 0xee, ...bytes]); // frames need not start at offset 0
  packet.dataOffset = 2;
  packet.capturedLength = bytes.length;
  packet.originalLength = originalLength;
  packet.linkType = linkType;
  packet.number = 7;
  return packet;
}

function decodeOne(
  bytes: number[],
  linkType = 1,
): { status: DecodeStatus; out: DecodedPacket; decoder: Decoder } {
  const decoder = new Decoder();
  const status = decoder.decode(packetOf(bytes, linkType));
  return { status, out: decoder.out, decoder };
}

Deno.test("Decoder.decode() reads Ethernet/IPv4/TCP with options", () => {
  const { status, out } = decodeOne([...ETH_IPV4, ...IPV4_TCP, ...TCP_SYN, 0, 0]);
  assert.equal(status, DecodeStatus.Ok);
  assert.equal(out.ipVersion, 4);
  assert.equal(formatAddress(out.buffer, out.srcOffset, 4), "10.0.0.1");
  assert.equal(formatAddress(out.buffer, out.dstOffset, 4), "10.0.0.2");
  assert.deepEqual(
    [out.protocol, out.srcPort, out.dstPort, out.tcpSeq, out.tcpFlags, out.tcpHeaderLength],
    [6, 0xc001, 80, 100, 0x002, 32],
  );
  assert.equal(out.payloadLength, 0, "Ethernet padding is not payload");
});

Deno.test("Decoder.decode() keeps the outer VLAN id of QinQ and 802.1Q frames", () => {
  const qinq = hex("020000000002 020000000001 88a8 0064 8100 00c8 0800");
  const { status, out } = decodeOne([...qinq, ...IPV4_TCP, ...TCP_SYN]);
  assert.equal(status, DecodeStatus.Ok);
  assert.equal(out.vlan, 100);
  assert.equal(out.vlanCount, 2);
  assert.equal(out.dstPort, 80);
  const dot1q = hex("020000000002 020000000001 8100 2fff 0800");
  assert.equal(decodeOne([...dot1q, ...IPV4_TCP, ...TCP_SYN]).out.vlan, 0xfff);
});

Deno.test("Decoder.decode() counts a truncated IPv4 header by kind and describes it", () => {
  const { status, decoder } = decodeOne([...ETH_IPV4, ...IPV4_TCP.slice(0, 10)]);
  assert.equal(status, DecodeStatus.Malformed);
  assert.deepEqual(decoder.errorCounts(), { ipv4_truncated: 1 });
  assert.equal(
    decoder.samples[0]?.message,
    "ipv4_truncated: IPv4 header truncated: need 20 bytes, have 10 (packet 7, offset 14)",
  );
});

Deno.test("Decoder.decode() rejects a TCP data offset below 5 words", () => {
  const bad = [...TCP_SYN];
  bad[12] = 0x30;
  const { status, decoder } = decodeOne([...ETH_IPV4, ...IPV4_TCP, ...bad]);
  assert.equal(status, DecodeStatus.Malformed);
  assert.deepEqual(decoder.errorCounts(), { tcp_bad_offset: 1 });
});

Deno.test("Decoder.decode() rejects IHL < 5 and a total length below the header", () => {
  const ihl = [...IPV4_TCP];
  ihl[0] = 0x44;
  assert.deepEqual(decodeOne([...ETH_IPV4, ...ihl, ...TCP_SYN]).decoder.errorCounts(), {
    ipv4_bad_ihl: 1,
  });
  const total = [...IPV4_TCP];
  total[3] = 10;
  assert.deepEqual(decodeOne([...ETH_IPV4, ...total, ...TCP_SYN]).decoder.errorCounts(), {
    ipv4_bad_total_length: 1,
  });
});

Deno.test("Decoder.decode() gives ports only to the first IPv4 fragment", () => {
  const first = [...IPV4_TCP];
  first[6] = 0x20; // MF
  const firstOut = decodeOne([...ETH_IPV4, ...first, ...TCP_SYN]).out;
  assert.ok(firstOut.isFragment && !firstOut.isLaterFragment && firstOut.hasTransport);
  const later = [...IPV4_TCP];
  later[7] = 0x04; // offset 32 bytes
  const { status, out } = decodeOne([...ETH_IPV4, ...later, ...TCP_SYN]);
  assert.equal(status, DecodeStatus.Ok);
  assert.ok(out.isLaterFragment);
  assert.equal(out.fragmentOffset, 32);
  assert.equal(out.hasTransport, false);
  assert.equal(out.fragmentId, 0x1234);
});

const IPV6_HEADER = (next: number, payload: number) =>
  hex(`60000000 ${payload.toString(16).padStart(4, "0")} ${next.toString(16).padStart(2, "0")}40`)
    .concat(hex("20010db8000000000000000000000001 20010db8000000000000000000000002"));
const UDP_DNS = hex("d431 0035 0010 0000 1234 0100 0001 0000");

Deno.test("Decoder.decode() skips IPv6 hop-by-hop, routing and destination options", () => {
  const hopByHop = hex("2b00 0000 0000 0000"); // next: routing
  const routing = hex("3c00 0000 0000 0000"); // next: destination options
  const destOpts = hex("1101 0000 0000 0000 0000 0000 0000 0000"); // next: UDP, 16 bytes
  const payload = [...hopByHop, ...routing, ...destOpts, ...UDP_DNS];
  const eth = hex("020000000002 020000000001 86dd");
  const { status, out } = decodeOne([...eth, ...IPV6_HEADER(0, payload.length), ...payload]);
  assert.equal(status, DecodeStatus.Ok);
  assert.equal(out.protocol, 17);
  assert.deepEqual([out.srcPort, out.dstPort, out.payloadLength], [0xd431, 53, 8]);
  assert.equal(formatAddress(out.buffer, out.srcOffset, 6), "2001:db8::1");
});

Deno.test("Decoder.decode() reads the IPv6 fragment header", () => {
  const eth = hex("020000000002 020000000001 86dd");
  const firstFrag = hex("1100 0001 0000 abcd");
  const first = decodeOne([...eth, ...IPV6_HEADER(44, 24), ...firstFrag, ...UDP_DNS]).out;
  assert.ok(first.hasTransport && first.moreFragments);
  assert.equal(first.fragmentId, 0xabcd);
  const laterFrag = hex("1100 0100 0000 abcd");
  const later = decodeOne([...eth, ...IPV6_HEADER(44, 24), ...laterFrag, ...UDP_DNS]);
  assert.equal(later.status, DecodeStatus.Ok);
  assert.equal(later.out.fragmentOffset, 256);
  assert.equal(later.out.protocol, 17);
  assert.equal(later.out.hasTransport, false);
});

Deno.test("Decoder.decode() reads raw IP, Linux cooked and NULL link types", () => {
  const ip = [...IPV4_TCP, ...TCP_SYN];
  assert.equal(decodeOne(ip, 101).out.dstPort, 80);
  assert.equal(decodeOne(ip, 228).out.dstPort, 80);
  const sll = hex("0000 0001 0006 020000000001 0000 0800");
  assert.equal(decodeOne([...sll, ...ip], 113).out.dstPort, 80);
  assert.equal(decodeOne([...hex("02000000"), ...ip], 0).out.dstPort, 80, "little-endian AF_INET");
  assert.equal(decodeOne([...hex("00000002"), ...ip], 0).out.dstPort, 80, "big-endian AF_INET");
  const v6 = [...IPV6_HEADER(17, 16), ...UDP_DNS];
  assert.equal(decodeOne([...hex("1e000000"), ...v6], 0).out.ipVersion, 6, "Darwin AF_INET6");
  assert.equal(decodeOne(v6, 229).out.dstPort, 53);
});

Deno.test("Decoder.decode() counts ARP as not IP, with its opcode, and an unknown link type as an error", () => {
  const arp = hex("ffffffffffff 020000000001 0806 0001 0800 0604 0002")
    .concat(hex("020000000001 0a000001 000000000000 0a000002"));
  const { status, out, decoder } = decodeOne(arp);
  assert.equal(status, DecodeStatus.NotIp);
  assert.deepEqual([decoder.notIp, decoder.arpReplies, decoder.arpRequests], [1, 1, 0]);
  assert.equal(out.arpOpcode, 2);
  assert.deepEqual(decoder.errorCounts(), {});
  assert.deepEqual(decodeOne(arp.slice(0, 30)).decoder.errorCounts(), { arp_truncated: 1 });
  assert.deepEqual(decodeOne(arp, 147).decoder.errorCounts(), { unsupported_link_type: 1 });
});

Deno.test("Decoder.decode() takes tcp.len from the IP length, clipped to the frame on the wire", () => {
  const ip = [...IPV4_TCP];
  ip[2] = 0x05; // total 1332, but the frame is shorter: bogus
  const frame = [...ETH_IPV4, ...ip, ...TCP_SYN, ...new Array(10).fill(0)];
  assert.equal(decodeOne(frame).out.payloadLength, 10);
  const decoder = new Decoder();
  decoder.decode(packetOf([...ETH_IPV4, ...IPV4_TCP, ...TCP_SYN].slice(0, 60), 1, 1514));
  assert.equal(decoder.out.payloadLength, 0, "a snaplen cut keeps the IP length");
});

Deno.test("formatIpv6() follows RFC 5952", () => {
  const cases: [string, string][] = [
    ["00000000000000000000000000000000", "::"],
    ["00000000000000000000000000000001", "::1"],
    ["20010db8000000010000000000000001", "2001:db8:0:1::1"],
    ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
    ["20010db80000ffff0000000000000000", "2001:db8:0:ffff::"],
    ["fe800000000000000202b3fffe1e8329", "fe80::202:b3ff:fe1e:8329"],
    ["00000000000000000000ffffc0000201", "::ffff:192.0.2.1"],
    ["20010db8000100010001000100010001", "2001:db8:1:1:1:1:1:1"],
  ];
  for (const [bytes, text] of cases) assert.equal(formatIpv6(new Uint8Array(hex(bytes)), 0), text);
});
