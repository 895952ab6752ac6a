import assert from "node:assert/strict";
import { eth, hex, ipv4, ipv6, layerNames, packetOf, udp } from "./_testing.ts";
import {
  Decoder,
  type DecoderOptions,
  DecodeStatus,
  formatAddress,
  LAYER_NAMES,
  TunnelType,
} from "./mod.ts";

const DATA = new Array(40).fill(0).map((_, i) => i);
const DATAGRAM = udp(5000, 53, DATA); // 48 bytes

/** IPv4 fragments of `payload`, cut every `size` bytes (a multiple of 8). */
function fragments4(payload: number[], size: number, id = 0x77, protocol = 17): number[][] {
  const parts: number[][] = [];
  for (let at = 0; at < payload.length; at += size) {
    const more = at + size < payload.length;
    parts.push(ipv4({ protocol, id, offset: at, more }, payload.slice(at, at + size)));
  }
  return parts;
}

function feed(decoder: Decoder, frames: number[][], timeUs = 0): DecodeStatus[] {
  return frames.map((frame, i) => decoder.decode(packetOf(frame, { number: i + 1, timeUs })));
}

function decoderWith(options: DecoderOptions = {}): Decoder {
  return new Decoder(options);
}

Deno.test("Reassembler gives later fragments the first one's ports and decodes the whole datagram", () => {
  const decoder = decoderWith();
  const out = decoder.out;
  const [first, middle, last] = fragments4(DATAGRAM, 16).map((f) => eth(0x0800, f));
  assert.equal(decoder.decode(packetOf(first!)), DecodeStatus.Ok);
  assert.ok(out.isFragment && out.hasTransport && !out.reassembled);
  assert.deepEqual([out.srcPort, out.dstPort], [5000, 53]);
  assert.equal(decoder.decode(packetOf(middle!)), DecodeStatus.Ok);
  assert.ok(out.isLaterFragment && !out.hasTransport && out.portsFromFirstFragment);
  assert.deepEqual([out.srcPort, out.dstPort], [5000, 53]);
  assert.equal(decoder.decode(packetOf(last!)), DecodeStatus.Ok);
  assert.ok(out.reassembled && out.hasTransport && !out.isFragment);
  assert.deepEqual([out.srcPort, out.dstPort, out.payloadLength], [5000, 53, 40]);
  assert.deepEqual([...out.buffer.subarray(out.payloadOffset, out.payloadOffset + 40)], DATA);
  assert.notEqual(out.buffer, out.frameBuffer);
  assert.deepEqual(layerNames(out, LAYER_NAMES), ["eth", "ipv4", "udp"]);
  assert.equal(out.reassemblyLayer, 1);
  assert.equal(out.layerBuffer(0), out.frameBuffer);
  assert.equal(out.layerBuffer(1), out.buffer);
  assert.equal(formatAddress(out.buffer, out.srcOffset, 4), "10.0.0.1");
  assert.equal(decoder.reassembly!.completed, 1);
  assert.equal(decoder.reassembly!.pending, 0);
});

Deno.test("Reassembler completes a datagram whose fragments arrive out of order", () => {
  const decoder = decoderWith();
  const [first, middle, last] = fragments4(DATAGRAM, 16).map((f) => eth(0x0800, f));
  feed(decoder, [last!, first!]);
  assert.equal(decoder.out.reassembled, false);
  feed(decoder, [middle!]);
  assert.ok(decoder.out.reassembled);
  assert.equal(decoder.out.payloadLength, 40);
});

Deno.test("Reassembler reassembles IPv6 fragments", () => {
  const decoder = decoderWith();
  const fragment = (offset: number, more: boolean, bytes: number[]) =>
    eth(
      0x86dd,
      ipv6(44, [
        17,
        0,
        (offset >> 8) & 0xff,
        (offset & 0xf8) | (more ? 1 : 0),
        0,
        0,
        0,
        9,
        ...bytes,
      ]),
    );
  feed(decoder, [fragment(0, true, DATAGRAM.slice(0, 24))]);
  assert.ok(decoder.out.isFragment && decoder.out.srcPort === 5000);
  feed(decoder, [fragment(24, false, DATAGRAM.slice(24))]);
  const out = decoder.out;
  assert.ok(out.reassembled);
  assert.deepEqual([out.ipVersion, out.protocol, out.dstPort, out.payloadLength], [6, 17, 53, 40]);
  assert.equal(out.fragmentId, 9);
});

Deno.test("Reassembler hands a reassembled outer datagram to the tunnel inside it", () => {
  const inner = eth(0x0800, ipv4({ protocol: 17, src: [172, 16, 0, 9] }, udp(7, 9, DATA)));
  const vxlan = udp(50000, 4789, [...hex("08000000 00000500"), ...inner]);
  const decoder = decoderWith();
  feed(decoder, fragments4(vxlan, 48).map((f) => eth(0x0800, f)));
  const out = decoder.out;
  assert.ok(out.reassembled);
  assert.deepEqual([out.tunnelType, out.tunnelId, out.dstPort], [TunnelType.Vxlan, 5, 9]);
  assert.equal(formatAddress(out.buffer, out.srcOffset, 4), "172.16.0.9");
  assert.equal(out.outer.buffer, out.buffer, "the outer headers come from the reassembled copy");
});

Deno.test("Reassembler reassembles fragments of a tunnelled packet, keeping the outer headers", () => {
  const decoder = decoderWith();
  const wrap = (fragment: number[]) =>
    eth(
      0x0800,
      ipv4(
        { protocol: 17 },
        udp(50000, 4789, [...hex("08000000 00000600"), ...eth(0x0800, fragment)]),
      ),
    );
  feed(decoder, fragments4(DATAGRAM, 24).map(wrap));
  const out = decoder.out;
  assert.ok(out.reassembled);
  assert.deepEqual([out.tunnelId, out.srcPort, out.payloadLength], [6, 5000, 40]);
  assert.equal(out.outer.buffer, out.frameBuffer);
  assert.equal(formatAddress(out.outer.buffer, out.outer.srcOffset, 4), "10.0.0.1");
  assert.deepEqual(layerNames(out, LAYER_NAMES), [
    "eth",
    "ipv4",
    "udp",
    "vxlan",
    "eth",
    "ipv4",
    "udp",
  ]);
  assert.equal(out.reassemblyLayer, 5);
});

Deno.test("Reassembler evicts the oldest datagram at maxDatagrams and drops expired ones", () => {
  const decoder = decoderWith({ reassembly: { maxDatagrams: 2, timeoutUs: 1_000_000 } });
  const firsts = [1, 2, 3].map((id) => eth(0x0800, fragments4(DATAGRAM, 16, id)[0]!));
  feed(decoder, firsts);
  const stats = decoder.reassembly!;
  assert.deepEqual([stats.evicted, stats.pending], [1, 2]);
  feed(decoder, [eth(0x0800, fragments4(DATAGRAM, 16, 4)[0]!)], 2_000_000);
  assert.deepEqual([stats.timedOut, stats.pending], [2, 1]);
  // Datagram 1 was evicted: its last fragments cannot complete it.
  feed(decoder, fragments4(DATAGRAM, 16, 1).slice(1).map((f) => eth(0x0800, f)), 2_000_000);
  assert.equal(decoder.out.reassembled, false);
  assert.equal(stats.completed, 0);
});

Deno.test("Reassembler bounds the bytes it holds and the size of a datagram", () => {
  const decoder = decoderWith({ reassembly: { maxBytes: 40 } });
  const stats = decoder.reassembly!;
  feed(decoder, [1, 2, 3].map((id) => eth(0x0800, fragments4(DATAGRAM, 16, id)[0]!)));
  assert.ok(stats.bytesHeld <= 40);
  assert.equal(stats.evicted, 1);
  const huge = eth(
    0x0800,
    ipv4({ protocol: 17, id: 9, offset: 65528, more: false }, DATA.slice(0, 16)),
  );
  feed(decoder, [huge]);
  assert.equal(stats.tooLarge, 1);
});

Deno.test("Reassembler counts fragments cut by the snap length and overlapping ones", () => {
  const decoder = decoderWith();
  const stats = decoder.reassembly!;
  const [first] = fragments4(DATAGRAM, 16).map((f) => eth(0x0800, f));
  decoder.decode(packetOf(first!.slice(0, 40), { originalLength: first!.length }));
  assert.equal(stats.truncated, 1);
  feed(decoder, [first!, first!]);
  assert.equal(stats.overlapping, 1);
  const malformed = decoder.malformed;
  assert.equal(malformed, 0, "fragments are never malformed for being fragments");
});

Deno.test("Decoder with reassembly off leaves fragments as they are", () => {
  const decoder = decoderWith({ reassembly: false });
  feed(decoder, fragments4(DATAGRAM, 16).map((f) => eth(0x0800, f)));
  assert.equal(decoder.reassembly, undefined);
  assert.ok(decoder.out.isLaterFragment && !decoder.out.reassembled);
  assert.equal(decoder.out.portsFromFirstFragment, false);
});
