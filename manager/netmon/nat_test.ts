import assert from "node:assert/strict";
import type { FlowHop } from "./flows.ts";
import { scoreCandidate } from "./nat.ts";

function hop(over: Partial<FlowHop> & { byteTx?: number; byteRx?: number } = {}): FlowHop {
  const { byteTx = 1000, byteRx = 5000, ...rest } = over;
  return {
    ref: "npb-1:1767225600000:1",
    appliance: "npb-1",
    captureNic: 1,
    observationPoint: "c",
    flowId: 1,
    ip0: "198.51.100.10",
    clientPort: 50000,
    ip1: "203.0.113.10",
    serverPort: 443,
    protocol: 6,
    startUs: 1_767_225_601_000_000,
    endUs: 1_767_225_602_000_000,
    synSeq: 1111,
    synAckSeq: 2222,
    keepaliveSeq: 0,
    keepaliveAck: 0,
    closeType: 1,
    metrics: {
      byteTx,
      byteRx,
      packetTx: 10,
      packetRx: 10,
      retransTx: 0,
      retransRx: 0,
      zeroWin: 0,
      rtt: 0,
      rttClient: 0,
      rttServer: 0,
      srt: 0,
      art: 0,
    },
    ...rest,
  };
}

Deno.test("scoreCandidate() gives 100 to both ISNs, the same start and the same bytes", () => {
  const origin = hop();
  const other = hop({ captureNic: 2, ip0: "10.9.0.1", clientPort: 20000 });
  const { score, evidence } = scoreCandidate(origin, other);
  assert.equal(score, 100);
  assert.deepEqual(evidence, ["syn_seq", "syn_ack_seq", "timing", "bytes"]);
});

Deno.test("scoreCandidate() falls back to keep-alive numbers only without an ISN match", () => {
  const origin = hop({ synSeq: 0, synAckSeq: 0, keepaliveSeq: 77, keepaliveAck: 88 });
  const far = { startUs: origin.startUs + 5_000_000, byteTx: 1, byteRx: 1 };
  const ka = scoreCandidate(origin, hop({ synSeq: 0, synAckSeq: 0, keepaliveSeq: 77, ...far }));
  assert.deepEqual(ka, { score: 30, evidence: ["keepalive_seq"] });
  const both = scoreCandidate(
    origin,
    hop({ synSeq: 0, synAckSeq: 0, keepaliveSeq: 77, keepaliveAck: 88, ...far }),
  );
  assert.equal(both.score, 60);
  // With an ISN match, keep-alive numbers add nothing.
  const isn = hop({ keepaliveSeq: 77, keepaliveAck: 88 });
  const withIsn = scoreCandidate(
    isn,
    hop({ synAckSeq: 9, keepaliveSeq: 77, keepaliveAck: 88, ...far }),
  );
  assert.deepEqual(withIsn, { score: 40, evidence: ["syn_seq"] });
});

Deno.test("scoreCandidate() never matches unset numbers (0 = 0 is no evidence)", () => {
  const origin = hop({ synSeq: 0, synAckSeq: 0 });
  const r = scoreCandidate(
    origin,
    hop({ synSeq: 0, synAckSeq: 0, startUs: origin.startUs + 3_000_000, byteTx: 1, byteRx: 1 }),
  );
  assert.deepEqual(r, { score: 0, evidence: [] });
});

Deno.test("scoreCandidate() scales timing within 1 s and bytes above half alike", () => {
  const origin = hop({ synSeq: 0, synAckSeq: 0 });
  const half = scoreCandidate(origin, hop({ synSeq: 5, startUs: origin.startUs - 500_000 }));
  // 5 for timing (0.5 s apart), 10 for identical bytes.
  assert.deepEqual(half, { score: 15, evidence: ["timing", "bytes"] });
  const late = scoreCandidate(origin, hop({ startUs: origin.startUs + 1_000_000 }));
  assert.deepEqual(late.evidence, ["bytes"]);
  // Bytes 75 % alike each way: (0.75 - 0.5) × 2 × 10 = 5.
  const bytes = scoreCandidate(
    origin,
    hop({ startUs: origin.startUs + 2_000_000, byteTx: 750, byteRx: 3750 }),
  );
  assert.deepEqual(bytes, { score: 5, evidence: ["bytes"] });
  const unlike = scoreCandidate(
    origin,
    hop({ startUs: origin.startUs + 2_000_000, byteTx: 500, byteRx: 2500 }),
  );
  assert.deepEqual(unlike, { score: 0, evidence: [] });
});
