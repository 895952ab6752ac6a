import assert from "node:assert/strict";
import { decodeOne, eth, hex, ipv4, ipv6, layerNames, tcp, udp } from "./_testing.ts";
import { DecodeStatus, formatAddress, LAYER_NAMES } from "./mod.ts";

Deno.test("decodeTransport() reads TCP ack, window, urgent and the options of a SYN", () => {
  const options = hex("020405b4 0402 080a 0000abcd 00000001 01 030307");
  const segment = tcp({ seq: 7, ack: 9, flags: 0x12, window: 29200, urgent: 3, options });
  const { status, out, decoder } = decodeOne(eth(0x0800, ipv4({ protocol: 6 }, segment)));
  assert.equal(status, DecodeStatus.Ok);
  assert.deepEqual(
    [out.tcpSeq, out.tcpAck, out.tcpFlags, out.tcpWindow, out.tcpUrgent, out.tcpHeaderLength],
    [7, 9, 0x12, 29200, 3, 40],
  );
  assert.deepEqual(
    [out.tcpMss, out.tcpSackPermitted, out.tcpHasTimestamps, out.tcpTsVal, out.tcpTsEcr],
    [1460, true, true, 0xabcd, 1],
  );
  assert.equal(out.tcpWindowScale, 7);
  assert.equal(out.tcpOptionsMalformed, false);
  assert.equal(decoder.tcpOptionsMalformed, 0);
});

Deno.test("decodeTransport() counts SACK blocks and leaves absent options unset", () => {
  const sack = hex("0101 050a 00000001 00000002 0101 0512 00000003 00000004 00000005 00000006");
  const { out } = decodeOne(
    eth(0x0800, ipv4({ protocol: 6 }, tcp({ flags: 0x10, options: sack }))),
  );
  assert.equal(out.tcpSackBlocks, 2, "the last SACK option counts");
  assert.deepEqual([out.tcpMss, out.tcpWindowScale, out.tcpHasTimestamps], [0, -1, false]);
});

Deno.test("decodeTransport() keeps a segment whose option length runs past the header", () => {
  const bad = hex("020405b4 0840 0000"); // MSS, then a timestamps option claiming 64 bytes
  const { status, out, decoder } = decodeOne(
    eth(0x0800, ipv4({ protocol: 6 }, tcp({ flags: 0x02, options: bad }))),
  );
  assert.equal(status, DecodeStatus.Ok);
  assert.equal(out.tcpMss, 1460);
  assert.equal(out.tcpOptionsMalformed, true);
  assert.equal(decoder.tcpOptionsMalformed, 1);
});

Deno.test("decodeTransport() reads the ports of a truncated TCP header before failing", () => {
  const { status, out, decoder } = decodeOne(
    eth(0x0800, ipv4({ protocol: 6, total: 40 }, tcp({ sport: 1234, dport: 22 }).slice(0, 12))),
  );
  assert.equal(status, DecodeStatus.Malformed);
  assert.deepEqual(decoder.errorCounts(), { tcp_truncated: 1 });
  assert.deepEqual([out.srcPort, out.dstPort, out.hasTransport], [1234, 22, false]);
  assert.deepEqual(layerNames(out, LAYER_NAMES), ["eth", "ipv4", "tcp"]);
  assert.match(decoder.samples[0]!.message, /need 20 bytes, have 12 \(packet 7, offset 34\)/);
  assert.equal(decoder.samples[0]!.layer, "tcp");
});

Deno.test("decodeTransport() keeps an ICMP error's quoted header out of the packet's 5-tuple", () => {
  const quoted = ipv4(
    { protocol: 17, src: [192, 168, 1, 5], dst: [8, 8, 8, 8] },
    udp(5000, 53, []),
  );
  const icmp = [3, 3, 0, 0, 0, 0, 0, 0, ...quoted];
  const frame = eth(0x0800, ipv4({ protocol: 1, src: [10, 9, 9, 9], dst: [192, 168, 1, 5] }, icmp));
  const { status, out } = decodeOne(frame);
  assert.equal(status, DecodeStatus.Ok);
  assert.equal(formatAddress(out.buffer, out.srcOffset, 4), "10.9.9.9");
  assert.deepEqual([out.protocol, out.icmpType, out.icmpCode, out.srcPort], [1, 3, 3, 0]);
  assert.deepEqual([out.quoteProtocol, out.quoteSrcPort, out.quoteDstPort], [17, 5000, 53]);
  assert.equal(formatAddress(out.buffer, out.quoteDstOffset, 4), "8.8.8.8");
  assert.deepEqual(layerNames(out, LAYER_NAMES), ["eth", "ipv4", "icmp", "ipv4", "udp"]);
  assert.equal(out.quoteLayer, 3);
  assert.equal(out.tunnelDepth, 0);
});

Deno.test("decodeTransport() reads the IPv6 header an ICMPv6 error quotes, and not an echo", () => {
  const quoted = ipv6(6, tcp({ sport: 443, dport: 50000 }).slice(0, 8));
  const error = decodeOne(eth(0x86dd, ipv6(58, [1, 4, 0, 0, 0, 0, 0, 0, ...quoted])));
  assert.equal(error.status, DecodeStatus.Ok);
  assert.deepEqual([error.out.quoteProtocol, error.out.quoteSrcPort], [6, 443]);
  assert.deepEqual(layerNames(error.out, LAYER_NAMES), ["eth", "ipv6", "icmpv6", "ipv6", "tcp"]);
  const echo = decodeOne(eth(0x86dd, ipv6(58, [128, 0, 0, 0, 0, 1, 0, 1, ...quoted])));
  assert.equal(echo.out.quoteProtocol, 0);
  assert.equal(echo.out.quoteLayer, -1);
});

Deno.test("decodeTransport() tolerates an ICMP error whose quote is cut short", () => {
  const icmp = [11, 0, 0, 0, 0, 0, 0, 0, 0x45, 0, 0, 40];
  const { status, out } = decodeOne(eth(0x0800, ipv4({ protocol: 1 }, icmp)));
  assert.equal(status, DecodeStatus.Ok);
  assert.equal(out.quoteProtocol, 0);
  assert.deepEqual(layerNames(out, LAYER_NAMES), ["eth", "ipv4", "icmp"]);
});
