import {
  CloseType,
  encodeBatch,
  type FlowBatch,
  type FlowRecord,
  type FlowRecordV1,
  WIRE_VERSION,
} from "../../appliance/wire/mod.ts";

/** A valid flow record (a whole HTTP connection in one minute); `over` changes fields. Times are µs. */
export function flowRecord(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    flowId: 1,
    startTime: Date.UTC(2026, 10, 25, 12, 0, 0) * 1000,
    endTime: Date.UTC(2026, 10, 25, 12, 0, 2) * 1000 + 345,
    duration: 2_000_345,
    isNewFlow: 1,
    closeType: CloseType.Normal,
    ipVersion: 4,
    ip0: "10.1.0.5",
    ip1: "10.2.0.80",
    clientPort: 51000,
    serverPort: 80,
    protocol: 6,
    vlan: 0,
    tunnelType: 0,
    tunnelId: 0,
    captureNic: 0,
    observationPoint: "rest",
    packetTx: 6,
    packetRx: 5,
    byteTx: 700,
    byteRx: 4200,
    l3ByteTx: 500,
    l3ByteRx: 3900,
    l4ByteTx: 380,
    l4ByteRx: 3800,
    tcpFlagsBit0: 0x1b,
    tcpFlagsBit1: 0x1b,
    synCount: 1,
    synackCount: 1,
    retransSyn: 0,
    retransSynack: 0,
    synSeq: 3_000_000_001,
    synAckSeq: 12_345,
    lastKeepaliveSeq: 0,
    lastKeepaliveAck: 0,
    retransTx: 1,
    retransRx: 0,
    zeroWinTx: 0,
    zeroWinRx: 2,
    rtt: 1_200,
    rttClient: 200,
    rttServer: 1_000,
    srtSum: 300,
    srtCount: 1,
    srtMax: 300,
    artSum: 45_000,
    artCount: 2,
    artMax: 30_000,
    ...over,
  };
}

/** The same record as wire v1 sent it (no v2 fields). */
export function flowRecordV1(over: Partial<FlowRecordV1> = {}): FlowRecordV1 {
  const r = flowRecord(over);
  return {
    flowId: r.flowId,
    startTime: r.startTime,
    endTime: r.endTime,
    ipVersion: r.ipVersion,
    ip0: r.ip0,
    ip1: r.ip1,
    clientPort: r.clientPort,
    serverPort: r.serverPort,
    protocol: r.protocol,
    vlan: r.vlan,
    packetTx: r.packetTx,
    packetRx: r.packetRx,
    byteTx: r.byteTx,
    byteRx: r.byteRx,
    tcpFlagsBit0: r.tcpFlagsBit0,
    tcpFlagsBit1: r.tcpFlagsBit1,
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
