import assert from "node:assert/strict";
import { generate } from "../../tests/tools/gen_pcap.ts";
import { readPcap } from "../capture/mod.ts";
import { DecodedPacket } from "../decode/mod.ts";
import { buildFlows } from "../pipeline.ts";
import { CloseType, type FlowRecord } from "../wire/mod.ts";
import { FlowTable, senderIsClient } from "./mod.ts";

interface Sent {
  src: number[];
  dst: number[];
  sport?: number;
  dport?: number;
  protocol?: number;
  flags?: number;
  seq?: number;
  ack?: number;
  window?: number;
  /** µs since the epoch. */
  time?: number;
  length?: number;
  payload?: number;
  vlan?: number;
  tunnelId?: number;
}

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0) * 1000;

/** A decoded packet over a buffer holding just the two addresses. */
function packet(s: Sent): DecodedPacket {
  const p = new DecodedPacket();
  p.buffer = new Uint8Array([...s.src, ...s.dst]);
  p.ipVersion = s.src.length === 4 ? 4 : 6;
  p.srcOffset = 0;
  p.dstOffset = s.src.length;
  p.protocol = s.protocol ?? 6;
  p.hasTransport = true;
  p.srcPort = s.sport ?? 0;
  p.dstPort = s.dport ?? 0;
  p.tcpFlags = s.flags ?? 0;
  p.tcpSeq = s.seq ?? 0;
  p.tcpAck = s.ack ?? 0;
  p.tcpWindow = s.window ?? 500;
  p.timestampUs = T0 + (s.time ?? 0);
  p.frameLength = s.length ?? 60;
  p.payloadLength = s.payload ?? 0;
  p.transportLength = (p.protocol === 6 ? 20 : 8) + p.payloadLength;
  p.vlan = s.vlan ?? 0;
  p.tunnelId = s.tunnelId ?? 0;
  return p;
}

const A = [10, 1, 0, 7];
const B = [10, 0, 0, 80];
const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;
const FIN_ACK = 0x11;
const RST = 0x04;

/** Packets of one client (A:40000) ↔ server (B:80) connection, `time` in µs from T0. */
const c2s = (o: Partial<Sent>) => packet({ src: A, dst: B, sport: 40000, dport: 80, ...o });
const s2c = (o: Partial<Sent>) => packet({ src: B, dst: A, sport: 80, dport: 40000, ...o });

function run(packets: DecodedPacket[], table = new FlowTable()): FlowRecord[] {
  for (const p of packets) table.add(p);
  table.finish();
  return table.drain();
}

Deno.test("FlowTable.add() counts both directions of a TCP connection into one flow", () => {
  const [flow, ...rest] = run([
    c2s({ flags: SYN, seq: 100, time: 10, length: 66 }),
    s2c({ flags: SYN | ACK, seq: 900, ack: 101, time: 810, length: 66 }),
    c2s({ flags: ACK, seq: 101, ack: 901, time: 1010 }),
    c2s({ flags: PSH_ACK, seq: 101, ack: 901, time: 1030, length: 300, payload: 246 }),
    s2c({ flags: PSH_ACK, seq: 901, ack: 347, time: 3030, length: 1000, payload: 946 }),
    c2s({ flags: FIN_ACK, seq: 347, ack: 1847, time: 4000 }),
    s2c({ flags: FIN_ACK, seq: 1847, ack: 348, time: 4500 }),
    c2s({ flags: ACK, seq: 348, ack: 1848, time: 4600 }),
  ]);
  assert.deepEqual(rest, []);
  assert.deepEqual(flow, {
    flowId: 1,
    startTime: T0 + 10,
    endTime: T0 + 4600,
    duration: 4590,
    isNewFlow: 1,
    closeType: CloseType.Normal,
    ipVersion: 4,
    ip0: "10.1.0.7",
    ip1: "10.0.0.80",
    clientPort: 40000,
    serverPort: 80,
    protocol: 6,
    vlan: 0,
    tunnelType: 0,
    tunnelId: 0,
    captureNic: 0,
    observationPoint: "rest",
    packetTx: 5,
    packetRx: 3,
    byteTx: 66 + 60 + 300 + 60 + 60,
    byteRx: 66 + 1000 + 60,
    l3ByteTx: 20 * 5 + 246,
    l3ByteRx: 20 * 3 + 946,
    l4ByteTx: 246,
    l4ByteRx: 946,
    tcpFlagsBit0: SYN | PSH_ACK | FIN_ACK,
    tcpFlagsBit1: SYN | PSH_ACK | FIN_ACK,
    synCount: 1,
    synackCount: 1,
    retransSyn: 0,
    retransSynack: 0,
    synSeq: 100,
    synAckSeq: 900,
    lastKeepaliveSeq: 0,
    lastKeepaliveAck: 0,
    retransTx: 0,
    retransRx: 0,
    zeroWinTx: 0,
    zeroWinRx: 0,
    rtt: 1000,
    rttClient: 200,
    rttServer: 800,
    srtSum: 0,
    srtCount: 0,
    srtMax: 0,
    artSum: 2000,
    artCount: 1,
    artMax: 2000,
  });
});

Deno.test("FlowTable.add() makes the SYN-ACK sender the server when the SYN was missed", () => {
  const table = new FlowTable();
  table.add(packet({ src: B, dst: A, sport: 5000, dport: 6000, flags: SYN | ACK }));
  const [flow] = run([], table);
  assert.equal(flow?.ip0, "10.1.0.7");
  assert.equal(flow?.serverPort, 5000);
  assert.equal(flow?.packetRx, 1);
  assert.equal(flow?.synackCount, 1);
  assert.equal(flow?.rtt, 0, "no SYN, no RTT");
});

Deno.test("senderIsClient() falls back from SYN to service ports to the first sender", () => {
  assert.equal(
    senderIsClient({ protocol: 6, srcPort: 80, dstPort: 40000, tcpFlags: 0x02, icmpType: 0 }),
    true,
    "SYN wins over ports",
  );
  assert.equal(
    senderIsClient({ protocol: 6, srcPort: 80, dstPort: 40000, tcpFlags: 0x10, icmpType: 0 }),
    false,
    "port 80 is the server",
  );
  assert.equal(
    senderIsClient({ protocol: 17, srcPort: 53, dstPort: 5353, tcpFlags: 0, icmpType: 0 }),
    false,
  );
  assert.equal(
    senderIsClient({ protocol: 6, srcPort: 51000, dstPort: 5432, tcpFlags: 0x18, icmpType: 0 }),
    true,
    "5432 is a service port",
  );
  assert.equal(
    senderIsClient({ protocol: 17, srcPort: 123, dstPort: 53, tcpFlags: 0, icmpType: 0 }),
    true,
    "both well known: the lower is the server",
  );
  assert.equal(
    senderIsClient({ protocol: 17, srcPort: 40000, dstPort: 50000, tcpFlags: 0, icmpType: 0 }),
    true,
    "no hint: first sender",
  );
  assert.equal(
    senderIsClient({ protocol: 17, srcPort: 50000, dstPort: 40000, tcpFlags: 0, icmpType: 0 }),
    true,
  );
  assert.equal(
    senderIsClient({ protocol: 1, srcPort: 0, dstPort: 0, tcpFlags: 0, icmpType: 0 }),
    false,
    "ICMP echo reply comes from the server",
  );
  assert.equal(
    senderIsClient({ protocol: 58, srcPort: 0, dstPort: 0, tcpFlags: 0, icmpType: 128 }),
    true,
    "ICMPv6 echo request",
  );
});

Deno.test("FlowTable.add() keeps VLANs, IP versions, protocols, tunnels and capture points apart", () => {
  const table = new FlowTable({ observationPoints: ["rest", "s"] });
  const udp = { src: A, dst: B, sport: 40001, dport: 40002, protocol: 17 };
  table.add(packet(udp));
  table.add(packet({ ...udp, vlan: 10 }));
  table.add(packet({ ...udp, protocol: 6 }));
  table.add(packet({ ...udp, tunnelId: 5001 }));
  table.add(packet(udp), 1);
  const v6a = [0xfd, 0, ...new Array(13).fill(0), 1];
  const v6b = [0xfd, 0, ...new Array(13).fill(0), 2];
  table.add(packet({ src: v6a, dst: v6b, sport: 40001, dport: 40002, protocol: 17 }));
  table.add(packet({ src: v6b, dst: v6a, sport: 40002, dport: 40001, protocol: 17 }));
  table.add(packet({ ...udp, time: 5 }));
  assert.equal(table.size, 6);
  const records = run([], table);
  assert.deepEqual(records.map((r) => r.vlan), [0, 10, 0, 0, 0, 0]);
  assert.deepEqual(records.map((r) => r.tunnelId), [0, 0, 0, 5001, 0, 0]);
  assert.deepEqual(records.map((r) => [r.captureNic, r.observationPoint]).slice(3, 5), [
    [0, "rest"],
    [1, "s"],
  ]);
  assert.deepEqual(records[0]?.packetTx, 2);
  assert.deepEqual(records[5]?.ip0, "fd00::1");
  assert.deepEqual([records[5]?.packetTx, records[5]?.packetRx], [1, 1]);
});

Deno.test("FlowTable.add() counts fragments in their datagram's flow, orphans nowhere", () => {
  const table = new FlowTable();
  const udp = { src: A, dst: B, sport: 5353, dport: 53, protocol: 17 };
  const first = packet({ ...udp, length: 1514, payload: 1472 });
  first.moreFragments = true;
  table.add(first);
  const middle = packet({ ...udp, length: 1514 });
  middle.hasTransport = false;
  middle.portsFromFirstFragment = true;
  middle.moreFragments = true;
  middle.fragmentOffset = 1480;
  table.add(middle);
  // The last fragment completes the datagram: the decoder hands over the whole of it.
  const last = packet({ ...udp, length: 434, payload: 3352 });
  last.reassembled = true;
  table.add(last);
  const orphan = packet({ src: A, dst: B, protocol: 17 });
  orphan.hasTransport = false;
  orphan.fragmentOffset = 8;
  table.add(orphan);
  const [flow, ...rest] = run([], table);
  assert.equal(rest.length, 0);
  assert.deepEqual(
    [flow?.packetTx, flow?.byteTx, flow?.l3ByteTx, flow?.l4ByteTx],
    [3, 1514 + 1514 + 434, 3360, 3352],
    "L3/L4 bytes count the datagram once, when it is complete",
  );
  assert.deepEqual(table.stats, {
    packets: 3,
    bytes: 3462,
    fragments: 3,
    fragmentsMatched: 1,
    fragmentsUnmatched: 1,
    flows: 1,
    evicted: 0,
    records: 1,
  });
});

Deno.test("FlowTable emits one record per natural minute, the close type on the last", () => {
  const minute = 60_000_000;
  const start = 50 * 1e6; // 12:00:50
  const records = run([
    c2s({ flags: SYN, seq: 1, time: start }),
    s2c({ flags: SYN | ACK, seq: 5, ack: 2, time: start + 500 }),
    c2s({ flags: ACK, seq: 2, ack: 6, time: start + 700 }),
    c2s({ flags: PSH_ACK, seq: 2, ack: 6, payload: 10, time: minute + 5e6 }), // 12:01:05
    s2c({ flags: PSH_ACK, seq: 6, ack: 12, payload: 20, time: minute + 6e6 }),
    c2s({ flags: PSH_ACK, seq: 12, ack: 26, payload: 10, time: 3 * minute + 1e6 }), // 12:03:01
    c2s({ flags: RST, seq: 22, time: 3 * minute + 2e6 }),
  ]);
  assert.deepEqual(
    records.map((r) => [
      r.startTime - T0,
      r.endTime - T0,
      r.duration,
      r.isNewFlow,
      r.closeType,
      r.packetTx,
      r.packetRx,
      r.rtt,
      r.artCount,
    ]),
    [
      [start, minute, 700, 1, 0, 2, 1, 700, 0],
      [minute, 2 * minute, minute + 6e6 - start, 0, 0, 1, 1, 0, 1],
      [3 * minute, 3 * minute + 2e6, 3 * minute + 2e6 - start, 0, CloseType.ClientRst, 2, 0, 0, 0],
    ],
  );
  assert.ok(records.every((r) => r.flowId === 1 && r.synSeq === 1 && r.synAckSeq === 5));
});

Deno.test("FlowTable ends an idle flow at its timeout, by packet time", () => {
  const dns = { src: A, dst: B, sport: 40000, dport: 53, protocol: 17 };
  const other = { src: B, dst: A, sport: 123, dport: 123, protocol: 17 };
  const records = run([
    packet({ ...dns, time: 0 }),
    packet({ ...dns, src: B, dst: A, sport: 53, dport: 40000, time: 2_000 }),
    packet({ ...other, time: 29e6 }),
    packet({ ...other, time: 31e6 }), // the clock passes 30 s after the DNS answer
    packet({ ...dns, time: 40e6 }), // the same ports again: a new flow
  ]);
  const byId = (id: number) => records.filter((r) => r.flowId === id);
  assert.deepEqual(
    byId(1).map((r) => [r.closeType, r.endTime - T0, r.packetTx, r.packetRx]),
    [[CloseType.Timeout, 30_002_000, 1, 1]],
  );
  assert.deepEqual(byId(3).map((r) => [r.closeType, r.packetTx]), [[CloseType.ForceReport, 1]]);
  assert.deepEqual(byId(2).map((r) => r.closeType), [CloseType.ForceReport]);

  const custom = run(
    [packet({ ...dns, time: 0 }), packet({ ...other, time: 5e6 })],
    new FlowTable({ timeouts: { udp: 4 } }),
  );
  assert.deepEqual(custom.map((r) => [r.flowId, r.closeType, r.endTime - T0]), [
    [1, CloseType.Timeout, 4e6],
    [2, CloseType.ForceReport, 5e6],
  ]);
});

Deno.test("FlowTable.advance() ends flows and minutes by the wall clock when no packet comes", () => {
  const table = new FlowTable();
  table.add(c2s({ flags: SYN, seq: 7, time: 0 }));
  table.advance(T0 + 4e6);
  assert.deepEqual(table.drain(), []);
  assert.equal(table.size, 1);
  table.advance(T0 + 61e6);
  const [record, ...rest] = table.drain();
  assert.deepEqual(rest, []);
  assert.equal(record?.closeType, CloseType.ClientSynRepeat);
  assert.equal(record?.endTime, T0 + 5e6, "ends at the 5 s opening timeout");
  assert.equal(table.size, 0);
});

Deno.test("FlowTable keeps at most maxFlows, reporting the oldest idle one as Force Report", () => {
  const table = new FlowTable({ maxFlows: 3, initialCapacity: 2 });
  for (let i = 0; i < 3; i++) {
    table.add(packet({ src: A, dst: B, sport: 50000 + i, dport: 53, protocol: 17, time: i }));
  }
  // The first flow speaks again: the second is now the oldest idle one.
  table.add(packet({ src: A, dst: B, sport: 50000, dport: 53, protocol: 17, time: 10 }));
  table.add(packet({ src: A, dst: B, sport: 50009, dport: 53, protocol: 17, time: 11 }));
  assert.equal(table.size, 3);
  assert.equal(table.stats.evicted, 1);
  const [evicted] = table.drain();
  assert.deepEqual([evicted?.clientPort, evicted?.closeType, evicted?.endTime], [
    50001,
    CloseType.ForceReport,
    T0 + 11,
  ]);
  const rest = run([], table);
  assert.deepEqual(rest.map((r) => r.clientPort).sort(), [50000, 50002, 50009]);
});

Deno.test("FlowTable starts a new flow for a SYN on the ports of a closed connection", () => {
  const records = run([
    c2s({ flags: SYN, seq: 1, time: 0 }),
    s2c({ flags: SYN | ACK, seq: 50, ack: 2, time: 10 }),
    c2s({ flags: ACK, seq: 2, ack: 51, time: 20 }),
    c2s({ flags: FIN_ACK, seq: 2, ack: 51, time: 30 }),
    s2c({ flags: FIN_ACK, seq: 51, ack: 3, time: 40 }),
    c2s({ flags: ACK, seq: 3, ack: 52, time: 50 }),
    c2s({ flags: SYN, seq: 9000, time: 1000 }),
    s2c({ flags: ACK, seq: 52, ack: 3, time: 1100 }),
    c2s({ flags: RST, seq: 3, time: 1200 }),
  ]);
  assert.deepEqual(records.map((r) => [r.flowId, r.closeType, r.synSeq, r.packetTx, r.packetRx]), [
    [1, CloseType.Normal, 1, 4, 2],
    [2, CloseType.ClientPortReuse, 9000, 2, 1],
  ]);
});

Deno.test("FlowTable counts a resend, not a wrap of the sequence space, as a retransmission", () => {
  const top = 0xffffff00;
  const records = run([
    c2s({ flags: ACK, seq: top, ack: 1, time: 0 }),
    c2s({ flags: PSH_ACK, seq: top, ack: 1, payload: 0x200, time: 10 }),
    c2s({ flags: PSH_ACK, seq: 0x100, ack: 1, payload: 100, time: 20 }), // wrapped: new data
    c2s({ flags: PSH_ACK, seq: top, ack: 1, payload: 0x200, time: 30 }), // resent
    c2s({ flags: ACK, seq: 0x163, ack: 1, time: 40 }), // keep-alive: one below next
    s2c({ flags: ACK, seq: 1, ack: 0x164, window: 0, time: 50 }),
    s2c({ flags: ACK | 0x01, seq: 1, ack: 0x164, window: 0, time: 60 }), // FIN: not counted
    packet({ src: A, dst: B, sport: 40000, dport: 80, flags: 0x3f, time: 70 }), // every flag
  ]);
  assert.deepEqual(
    records.map((r) => [
      r.retransTx,
      r.retransRx,
      r.zeroWinRx,
      r.lastKeepaliveSeq,
      r.lastKeepaliveAck,
    ]),
    [[1, 0, 1, 0x163, 1]],
  );
});

Deno.test("FlowTable skips a TCP packet without ports and a SYN from the server side", () => {
  const table = new FlowTable();
  const bare = c2s({ flags: SYN });
  bare.hasTransport = false;
  table.add(bare);
  table.add(s2c({ flags: SYN, seq: 5, time: 1 })); // the first sender of these ports is the client
  table.add(c2s({ flags: SYN, seq: 9, time: 2 }));
  const records = run([], table);
  assert.equal(table.stats.fragmentsUnmatched, 1);
  assert.equal(records.length, 1);
  assert.deepEqual([records[0]?.synCount, records[0]?.packetRx, records[0]?.packetTx], [1, 1, 1]);
});

Deno.test("buildFlows() reports exactly the flow-log records the generator made", () => {
  const { bytes, summary } = generate({ flows: 150, seed: 3 });
  const result = buildFlows(readPcap(bytes));
  assert.equal(result.packets, summary.packets);
  assert.equal(result.bytes, summary.bytes);
  assert.equal(result.notIp, summary.arpPackets);
  assert.equal(result.flows, summary.flows);
  assert.deepEqual(result.decodeErrors, {});
  assert.deepEqual(result.records, summary.expected);
});
