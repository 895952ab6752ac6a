import assert from "node:assert/strict";
import { corpusAvailable, corpusPath } from "../../tests/tools/corpus.ts";
import {
  ipFrame,
  makeHost,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  tcpSegment,
} from "../../tests/tools/_frames.ts";
import { pcapngOf, pcapngOfFile } from "../../tests/support/pcapng.ts";
import { testWithTools } from "../../tests/support/tools.ts";
import { type Decoded, followStream, printable, sequenceOf, sessionsOf } from "./analysis.ts";
import { dissect } from "./dissect.ts";
import { readPcapngPackets, subsetPcapng } from "./pcapng.ts";

function decodeAll(bytes: Uint8Array): Decoded[] {
  return readPcapngPackets(bytes).map((packet) => ({
    packet,
    d: dissect(packet.data, packet.linkType),
  }));
}

const GZIP = "zeek/http/get-gzip.pcap";

Deno.test({
  name:
    "sequenceOf() gives Wireshark's relative seq/ack and finds the retransmitted FIN (get-gzip.pcap)",
  ignore: !corpusAvailable(),
  fn: async () => {
    const decoded = decodeAll(await pcapngOfFile(corpusPath(GZIP)));
    const [s] = sessionsOf(decoded);
    assert.ok(s);
    assert.equal(s.key, "6:141.142.228.5:50153-54.243.118.187:80");
    assert.equal(s.packets, 14);
    assert.equal(s.flags, "FIN, SYN, PSH, ACK");
    const m = sequenceOf(decoded, s);
    // Frame: [from the client, flags, seq, ack, len] as `tshark -r get-gzip.pcap` prints them.
    const expected: [boolean, string, number, number | null, number][] = [
      [true, "SYN", 0, null, 0],
      [false, "SYN, ACK", 0, 1, 0],
      [true, "ACK", 1, 1, 0],
      [true, "PSH, ACK", 1, 1, 79],
      [false, "ACK", 1, 80, 0],
      [false, "PSH, ACK", 1, 80, 17],
      [true, "ACK", 80, 18, 0],
      [false, "PSH, ACK", 18, 80, 325],
      [true, "ACK", 80, 343, 0],
      [true, "FIN, ACK", 80, 343, 0],
      [false, "FIN, ACK", 343, 80, 0],
      [true, "FIN, ACK", 80, 344, 0],
      [false, "ACK", 344, 81, 0],
      [true, "ACK", 81, 344, 0],
    ];
    assert.deepEqual(
      m.arrows.map((a) => [a.fromLeft, a.flags, a.seq, a.ack, a.len]),
      expected,
    );
    assert.deepEqual(m.arrows.filter((a) => a.retransmission).map((a) => a.number), [12]);
    assert.equal(m.arrows.some((a) => a.reset), false);
    assert.equal(m.arrows[1]!.deltaUs, 22_791);
    // Follow stream: the GET, then the response (17 + 325 bytes), once each.
    const chunks = followStream(decoded, s);
    assert.deepEqual(chunks.map((c) => [c.fromLeft, c.bytes.length]), [[true, 79], [false, 342]]);
    assert.match(printable(chunks[0]!.bytes), /^GET \/gzip HTTP\/1\.1\r\n/);
  },
});

testWithTools(
  "sequenceOf() agrees with tshark's tcp.seq, tcp.ack, retransmissions and resets (tcp-reassembly.pcap)",
  ["tshark"],
  async () => {
    if (!corpusAvailable()) return;
    const path = corpusPath("pcapplusplus/examples_test/tcp-reassembly.pcap");
    const decoded = decodeAll(await pcapngOfFile(path));
    const out = await new Deno.Command("tshark", {
      args: [
        "-r",
        path,
        "-Y",
        "tcp and not icmp and not sflow",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "tcp.seq",
        "-e",
        "tcp.ack",
        "-e",
        "tcp.flags.ack",
        "-e",
        "tcp.analysis.retransmission",
        "-e",
        "tcp.flags.reset",
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    const truth = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => l.split("\t"));
    let compared = 0;
    for (const s of sessionsOf(decoded).filter((x) => x.protocol === 6)) {
      const arrows = sequenceOf(
        decoded.filter((x) => s.numbers.includes(x.packet.number)),
        s,
      ).arrows;
      for (const a of arrows) {
        const t = truth.find((r) => Number(r[0]) === a.number)!;
        assert.equal(a.seq, Number(t[1]), `frame ${a.number} seq`);
        if (t[3] === "1") assert.equal(a.ack, Number(t[2]), `frame ${a.number} ack`);
        assert.equal(a.retransmission, t[4] !== "", `frame ${a.number} retransmission`);
        assert.equal(a.reset, t[5] === "1", `frame ${a.number} reset`);
        compared++;
      }
    }
    assert.equal(compared, truth.length);
  },
);

Deno.test("sequenceOf() marks resets and a re-sent data segment; sessionsOf() names the SYN's sender the client", async () => {
  const c = makeHost("10.1.0.1"), s = makeHost("10.1.0.2");
  const data = new TextEncoder().encode("hello");
  const seg = (
    from: typeof c,
    to: typeof c,
    sp: number,
    dp: number,
    seq: number,
    ack: number,
    flags: number,
    payload?: Uint8Array,
  ) =>
    ipFrame(
      from,
      to,
      6,
      tcpSegment(from, to, { srcPort: sp, dstPort: dp, seq, ack, flags, window: 1000, payload }),
    );
  const t0 = 1_700_000_000_000_000;
  const frames = [
    // The server's stray packet first: the client is still the SYN's sender.
    seg(s, c, 80, 40000, 9000, 0, TCP_RST),
    seg(c, s, 40000, 80, 1000, 0, TCP_SYN),
    seg(s, c, 80, 40000, 5000, 1001, TCP_SYN | TCP_ACK),
    seg(c, s, 40000, 80, 1001, 5001, TCP_ACK | TCP_PSH, data),
    seg(c, s, 40000, 80, 1001, 5001, TCP_ACK | TCP_PSH, data),
    seg(s, c, 80, 40000, 5001, 1006, TCP_ACK),
    seg(c, s, 40000, 80, 1006, 5001, TCP_ACK | TCP_FIN),
    seg(s, c, 80, 40000, 5001, 1007, TCP_RST | TCP_ACK),
  ].map((frame, i) => ({ timeUs: t0 + i * 1000, frame }));
  const decoded = decodeAll(await pcapngOf(frames));
  const [session] = sessionsOf(decoded);
  assert.ok(session);
  assert.equal(session.ip0, "10.1.0.1");
  assert.equal(session.port0, 40000);
  assert.equal(session.packets, 8);
  const m = sequenceOf(decoded, session);
  assert.deepEqual(m.arrows.map((a) => a.reset), [
    true,
    false,
    false,
    false,
    false,
    false,
    false,
    true,
  ]);
  assert.deepEqual(m.arrows.map((a) => a.retransmission), [
    false,
    false,
    false,
    false,
    true,
    false,
    false,
    false,
  ]);
  assert.deepEqual(m.arrows.slice(1).map((a) => [a.seq, a.ack]), [
    [0, null],
    [0, 1],
    [1, 1],
    [1, 1],
    [1, 6],
    [6, 1],
    [1, 7],
  ]);
  assert.equal(m.arrows[7]!.deltaUs, 1000);
  assert.deepEqual(followStream(decoded, session).map((k) => printable(k.bytes)), ["hello"]);
});

Deno.test("readPcapngPackets() reads times and lengths; subsetPcapng() keeps the chosen frames (all: the same bytes)", async () => {
  const c = makeHost("10.2.0.1"), s = makeHost("10.2.0.2");
  const frames = [1, 2, 3].map((i) => ({
    timeUs: 1_700_000_000_123_456 + i,
    frame: ipFrame(
      c,
      s,
      6,
      tcpSegment(c, s, { srcPort: 1, dstPort: 2, seq: i, ack: 0, flags: TCP_SYN, window: 1 }),
    ),
  }));
  const bytes = await pcapngOf(frames);
  const packets = readPcapngPackets(bytes);
  assert.deepEqual(packets.map((p) => p.timeUs), frames.map((f) => f.timeUs));
  assert.deepEqual(packets.map((p) => p.capturedLength), frames.map((f) => f.frame.length));
  assert.equal(subsetPcapng(bytes, packets, new Set([1, 2, 3])), bytes);
  const two = readPcapngPackets(subsetPcapng(bytes, packets, new Set([1, 3])));
  assert.deepEqual(two.map((p) => p.timeUs), [frames[0]!.timeUs, frames[2]!.timeUs]);
  assert.deepEqual(two[1]!.data, frames[2]!.frame);
  assert.throws(() => readPcapngPackets(new Uint8Array(40)), /not a pcapng file/);
  assert.throws(
    () => readPcapngPackets(bytes.subarray(0, bytes.length - 10)),
    /runs past the file/,
  );
});
