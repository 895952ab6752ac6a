import assert from "node:assert/strict";
import { generate } from "../../tests/tools/gen_pcap.ts";
import { readPcap } from "../capture/mod.ts";
import { buildFlows } from "../pipeline.ts";
import { CloseType, type FlowRecord } from "../wire/mod.ts";

const capture = generate({ flows: 0, scenarios: true });
const result = buildFlows(readPcap(capture.bytes));

/** The records of one scenario flow, by name. */
function recordsOf(name: string): FlowRecord[] {
  const scenario = capture.summary.scenarios.find((s) => s.name === name);
  assert.ok(scenario, `no scenario ${name}`);
  return result.records.filter((r) => r.flowId === scenario.flowId);
}

function total(records: FlowRecord[], key: keyof FlowRecord): number {
  return records.reduce((sum, r) => sum + (r[key] as number), 0);
}

Deno.test("buildFlows() reports exactly the records the generator's scenarios made", () => {
  assert.deepEqual(result.decodeErrors, {});
  assert.equal(result.flows, capture.summary.flows);
  assert.deepEqual(result.records, capture.summary.expected);
});

Deno.test("FlowTable gives each scenario the close type it was built for", () => {
  const closeTypes = Object.fromEntries(
    capture.summary.scenarios.map((s) => [s.name, recordsOf(s.name).at(-1)?.closeType]),
  );
  assert.deepEqual(closeTypes, {
    "normal": CloseType.Normal,
    "server-rst": CloseType.ServerRst,
    "client-rst": CloseType.ClientRst,
    "timeout": CloseType.Timeout,
    "client-syn-repeat": CloseType.ClientSynRepeat,
    "server-half-close": CloseType.ServerHalfClose,
    "server-synack-repeat": CloseType.ServerSynRepeat,
    "client-half-close": CloseType.ClientHalfClose,
    "port-reuse#1": CloseType.Normal,
    "port-reuse#2": CloseType.ClientPortReuse,
    "port-reuse#3": CloseType.Normal,
    "server-direct-rst": CloseType.ServerDirectRst,
    "server-queue-overflow": CloseType.ServerQueueOverflow,
    "client-other-rst": CloseType.ClientOtherRst,
    "server-other-rst": CloseType.ServerOtherRst,
    "health-check": CloseType.NormalClientRst,
    "zero-window": CloseType.Normal,
    "long-flow": CloseType.Normal,
    "idle-resume#1": CloseType.Timeout,
    "idle-resume#2": CloseType.Normal,
    "live-at-end": CloseType.ForceReport,
  });
  // Every record but a flow's last has close type 0; only the first is new.
  for (const scenario of capture.summary.scenarios) {
    const records = recordsOf(scenario.name);
    assert.deepEqual(records.map((r) => r.isNewFlow), records.map((_, i) => (i === 0 ? 1 : 0)));
    assert.ok(records.slice(0, -1).every((r) => r.closeType === 0), scenario.name);
  }
});

Deno.test("FlowTable counts the handshake: SYN/SYN-ACK repeats, ISNs and RTT", () => {
  const [syn] = recordsOf("client-syn-repeat");
  assert.deepEqual([syn?.synCount, syn?.retransSyn, syn?.retransTx, syn?.synackCount], [
    3,
    2,
    2,
    0,
  ]);
  assert.equal(syn?.endTime, syn!.startTime + 3_000_000 + 5_000_000, "the last SYN + 5 s");
  const [synAck] = recordsOf("server-synack-repeat");
  assert.deepEqual(
    [synAck?.synCount, synAck?.synackCount, synAck?.retransSynack, synAck?.retransRx],
    [1, 3, 2, 2],
  );
  assert.deepEqual([synAck?.rttServer, synAck?.rttClient, synAck?.rtt], [800, 0, 0]);
  const [normal] = recordsOf("normal");
  assert.deepEqual([normal?.rttServer, normal?.rttClient, normal?.rtt], [800, 200, 1000]);
  assert.ok(normal!.synSeq > 0 && normal!.synAckSeq > 0);
  const [queue] = recordsOf("server-queue-overflow");
  assert.deepEqual([queue?.retransSynack, queue?.retransRx, queue?.retransTx], [2, 2, 1]);
});

Deno.test("FlowTable counts retransmissions, zero windows, keep-alives, SRT and ART", () => {
  const [zero] = recordsOf("zero-window");
  assert.deepEqual([zero?.zeroWinTx, zero?.zeroWinRx, zero?.retransTx, zero?.retransRx], [
    1,
    1,
    0,
    0,
  ]);
  assert.deepEqual([zero?.srtCount, zero?.srtSum, zero?.artCount], [1, 400, 2]);
  const [normal] = recordsOf("normal");
  assert.deepEqual([normal?.srtCount, normal?.srtSum, normal?.srtMax], [1, 150, 150]);
  assert.deepEqual([normal?.artCount, normal?.artSum], [1, 2_150]);
  const long = recordsOf("long-flow");
  assert.equal(long.length, 5, "about 3.5 minutes from 00:00:40: five natural minutes");
  assert.deepEqual([total(long, "retransTx"), total(long, "retransRx")], [1, 1]);
  assert.equal(total(long, "artCount"), 10);
  const last = long.at(-1)!;
  assert.ok(last.lastKeepaliveSeq > 0 && last.lastKeepaliveAck > 0, "the server's keep-alive");
  assert.equal(long[0]?.lastKeepaliveSeq, 0, "no keep-alive in the first minute");
  // Handshake 3, requests 10 + 1 resent, response segments 4 × 1 + 5 × 2 + 3 (one resent),
  // client ACKs 10, keep-alives 2, close 3.
  assert.equal(total(long, "packetTx") + total(long, "packetRx"), 3 + 11 + 17 + 10 + 2 + 3);
});

Deno.test("FlowTable reports an idle flow as Timeout at its timeout, in a later minute", () => {
  const [active, timedOut] = recordsOf("timeout");
  assert.deepEqual([active?.closeType, timedOut?.closeType], [0, CloseType.Timeout]);
  assert.equal(timedOut?.packetTx, 0, "no packets in the minute of the timeout");
  assert.equal(timedOut?.endTime, active!.startTime + active!.duration + 300_000_000);
  const [resumed] = recordsOf("idle-resume#2");
  assert.deepEqual([resumed?.synCount, resumed?.synSeq, resumed?.isNewFlow], [0, 0, 1]);
});
