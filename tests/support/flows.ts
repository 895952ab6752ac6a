import {
  encodeBatch,
  type FlowBatch,
  type FlowRecord,
  WIRE_VERSION,
} from "../../appliance/wire/mod.ts";

/** A valid flow record; `over` changes fields. Times are µs. */
export function flowRecord(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    flowId: 1,
    startTime: Date.UTC(2026, 10, 25, 12, 0, 0) * 1000,
    endTime: Date.UTC(2026, 10, 25, 12, 0, 2) * 1000 + 345,
    ipVersion: 4,
    ip0: "10.1.0.5",
    ip1: "10.2.0.80",
    clientPort: 51000,
    serverPort: 80,
    protocol: 6,
    vlan: 0,
    packetTx: 6,
    packetRx: 5,
    byteTx: 700,
    byteRx: 4200,
    tcpFlagsBit0: 0x1b,
    tcpFlagsBit1: 0x1b,
    ...over,
  };
}

export function flowBatch(records: FlowRecord[], over: Partial<FlowBatch> = {}): FlowBatch {
  return {
    v: WIRE_VERSION,
    appliance: "test-1",
    stream: "flows",
    seq: 1,
    sentAt: 0,
    records,
    ...over,
  };
}

export function cborRequest(
  body: Uint8Array | FlowBatch,
  contentType = "application/cbor",
): RequestInit {
  const bytes = body instanceof Uint8Array ? body : encodeBatch(body);
  return { method: "POST", headers: { "content-type": contentType }, body: bytes as BodyInit };
}
