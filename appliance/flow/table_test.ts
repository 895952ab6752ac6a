import assert from "node:assert/strict";
import { generate } from "../../tests/tools/gen_pcap.ts";
import { readPcap } from "../capture/mod.ts";
import { DecodedPacket } from "../decode/mod.ts";
import { buildFlows } from "../pipeline.ts";
import { FlowTable, senderIsClient } from "./mod.ts";

interface Sent {
  src: number[];
  dst: number[];
  sport?: number;
  dport?: number;
  protocol?: number;
  flags?: number;
  time?: number;
  length?: number;
  vlan?: number;
}

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
  p.timestampUs = s.time ?? 0;
  p.frameLength = s.length ?? 60;
  p.vlan = s.vlan ?? 0;
  return p;
}

const A = [10, 1, 0, 7];
const B = [10, 0, 0, 80];

Deno.test("FlowTable.add() counts both directions of a TCP connection into one flow", () => {
  const table = new FlowTable();
  table.add(packet({ src: A, dst: B, sport: 40000, dport: 80, flags: 0x02, time: 10, length: 66 }));
  table.add(packet({ src: B, dst: A, sport: 80, dport: 40000, flags: 0x12, time: 20, length: 66 }));
  table.add(
    packet({ src: A, dst: B, sport: 40000, dport: 80, flags: 0x18, time: 30, length: 300 }),
  );
  table.add(packet({ src: B, dst: A, sport: 80, dport: 40000, flags: 0x11, time: 45, length: 60 }));
  assert.deepEqual(table.records(), [{
    flowId: 1,
    startTime: 10,
    endTime: 45,
    ipVersion: 4,
    ip0: "10.1.0.7",
    ip1: "10.0.0.80",
    clientPort: 40000,
    serverPort: 80,
    protocol: 6,
    vlan: 0,
    packetTx: 2,
    packetRx: 2,
    byteTx: 366,
    byteRx: 126,
    tcpFlagsBit0: 0x1a,
    tcpFlagsBit1: 0x13,
  }]);
});

Deno.test("FlowTable.add() makes the SYN-ACK sender the server when the SYN was missed", () => {
  const table = new FlowTable();
  table.add(packet({ src: B, dst: A, sport: 5000, dport: 6000, flags: 0x12 }));
  const [flow] = table.records();
  assert.equal(flow?.ip0, "10.1.0.7");
  assert.equal(flow?.serverPort, 5000);
  assert.equal(flow?.packetRx, 1);
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

Deno.test("FlowTable.add() keeps VLANs, IP versions and protocols apart", () => {
  const table = new FlowTable();
  table.add(packet({ src: A, dst: B, sport: 40001, dport: 40002, protocol: 17 }));
  table.add(packet({ src: A, dst: B, sport: 40001, dport: 40002, protocol: 17, vlan: 10 }));
  table.add(packet({ src: A, dst: B, sport: 40001, dport: 40002, protocol: 6 }));
  const v6a = [0xfd, 0, ...new Array(13).fill(0), 1];
  const v6b = [0xfd, 0, ...new Array(13).fill(0), 2];
  table.add(packet({ src: v6a, dst: v6b, sport: 40001, dport: 40002, protocol: 17 }));
  table.add(packet({ src: v6b, dst: v6a, sport: 40002, dport: 40001, protocol: 17 }));
  const records = table.records();
  assert.equal(records.length, 4);
  assert.deepEqual(records.map((r) => r.vlan), [0, 10, 0, 0]);
  assert.deepEqual(records[3]?.ip0, "fd00::1");
  assert.deepEqual([records[3]?.packetTx, records[3]?.packetRx], [1, 1]);
});

Deno.test("FlowTable.add() counts a later fragment in its first fragment's flow", () => {
  const table = new FlowTable();
  const first = packet({ src: A, dst: B, sport: 5353, dport: 53, protocol: 17, length: 1514 });
  first.moreFragments = true;
  first.fragmentId = 99;
  table.add(first);
  const later = packet({ src: A, dst: B, protocol: 17, length: 400 });
  later.hasTransport = false;
  later.fragmentOffset = 1480;
  later.fragmentId = 99;
  table.add(later);
  const orphan = packet({ src: A, dst: B, protocol: 17 });
  orphan.hasTransport = false;
  orphan.fragmentOffset = 8;
  orphan.fragmentId = 100;
  table.add(orphan);
  assert.equal(table.records()[0]?.packetTx, 2);
  assert.equal(table.records()[0]?.byteTx, 1914);
  assert.deepEqual(table.stats, {
    packets: 2,
    bytes: 1914,
    fragments: 3,
    fragmentsMatched: 1,
    fragmentsUnmatched: 1,
  });
});

Deno.test("buildFlows() reports exactly the flows the generator made", () => {
  const { bytes, summary } = generate({ flows: 150, seed: 3 });
  const result = buildFlows(readPcap(bytes));
  assert.equal(result.packets, summary.packets);
  assert.equal(result.bytes, summary.bytes);
  assert.equal(result.notIp, summary.arpPackets);
  assert.deepEqual(result.decodeErrors, {});
  const got = result.records.map(({ flowId: _id, ...rest }) => rest);
  assert.deepEqual(got, summary.expected);
  assert.deepEqual(result.records.map((r) => r.flowId), summary.expected.map((_, i) => i + 1));
});
