/** A slot's flow-log record: the minute's counters and the flow's values, as the wire has them. */
import { formatAddress } from "../decode/mod.ts";
import type { FlowRecord } from "../wire/mod.ts";
import { Bit, type FlowStore } from "./store.ts";

const scratch = new Uint8Array(16);
const scratchView = new DataView(scratch.buffer);
/** IPv4 texts already made: servers and busy clients recur in record after record. */
const ipv4Texts = new Map<number, string>();
const MAX_CACHED_TEXTS = 65_536;

/** Text of an address kept as four words (IPv4 uses the first); allocates the string only. */
function formatWords(version: number, w0: number, w1: number, w2: number, w3: number): string {
  if (version === 4) {
    let text = ipv4Texts.get(w0);
    if (text === undefined) {
      if (ipv4Texts.size >= MAX_CACHED_TEXTS) ipv4Texts.clear();
      text = `${w0 >>> 24}.${(w0 >>> 16) & 0xff}.${(w0 >>> 8) & 0xff}.${w0 & 0xff}`;
      ipv4Texts.set(w0, text);
    }
    return text;
  }
  scratchView.setUint32(0, w0);
  scratchView.setUint32(4, w1);
  scratchView.setUint32(8, w2);
  scratchView.setUint32(12, w3);
  return formatAddress(scratch, 0, version);
}

export interface RecordWindow {
  /** Start of the minute the record covers (µs); the record starts later for a new flow. */
  minuteStart: number;
  endTime: number;
  closeType: number;
  observationPoint: string;
}

/**
 * The record of `slot` for one minute. It marks the flow as emitted (its next record is not
 * new) and hands over a pending handshake RTT, which is reported once.
 */
export function takeRecord(s: FlowStore, slot: number, w: RecordWindow): FlowRecord {
  const a = slot * 2;
  const b = a + 1;
  const k = slot * 8;
  const addr = s.addr;
  const version = s.ipVersion[slot]!;
  const bits = s.bits[slot]!;
  const first = s.firstTime[slot]!;
  const startTime = first > w.minuteStart ? first : w.minuteStart;
  const rtt = (bits & Bit.RttPending) !== 0;
  const rttClient = rtt ? s.rttClient[slot]! : 0;
  const rttServer = rtt ? s.rttServer[slot]! : 0;
  s.bits[slot] = (bits | Bit.Emitted) & ~Bit.RttPending;
  return {
    flowId: s.flowId[slot]!,
    startTime,
    endTime: w.endTime > startTime ? w.endTime : startTime,
    duration: s.lastTime[slot]! - first,
    isNewFlow: (bits & Bit.Emitted) === 0 ? 1 : 0,
    closeType: w.closeType,
    ipVersion: version,
    ip0: formatWords(version, addr[k]!, addr[k + 1]!, addr[k + 2]!, addr[k + 3]!),
    ip1: formatWords(version, addr[k + 4]!, addr[k + 5]!, addr[k + 6]!, addr[k + 7]!),
    clientPort: s.ports[a]!,
    serverPort: s.ports[b]!,
    protocol: s.protocol[slot]!,
    vlan: s.vlan[slot]!,
    tunnelType: s.tunnelType[slot]!,
    tunnelId: s.tunnelId[slot]!,
    captureNic: s.capturePoint[slot]!,
    observationPoint: w.observationPoint,
    packetTx: s.packets[a]!,
    packetRx: s.packets[b]!,
    byteTx: s.bytes[a]!,
    byteRx: s.bytes[b]!,
    l3ByteTx: s.l3Bytes[a]!,
    l3ByteRx: s.l3Bytes[b]!,
    l4ByteTx: s.l4Bytes[a]!,
    l4ByteRx: s.l4Bytes[b]!,
    tcpFlagsBit0: s.flags[a]!,
    tcpFlagsBit1: s.flags[b]!,
    synCount: s.synCount[slot]!,
    synackCount: s.synackCount[slot]!,
    retransSyn: s.retransSyn[slot]!,
    retransSynack: s.retransSynack[slot]!,
    synSeq: s.synSeq[slot]!,
    synAckSeq: s.synAckSeq[slot]!,
    lastKeepaliveSeq: s.keepaliveSeq[slot]!,
    lastKeepaliveAck: s.keepaliveAck[slot]!,
    retransTx: s.retrans[a]!,
    retransRx: s.retrans[b]!,
    zeroWinTx: s.zeroWin[a]!,
    zeroWinRx: s.zeroWin[b]!,
    rtt: rttClient > 0 && rttServer > 0 ? rttClient + rttServer : 0,
    rttClient,
    rttServer,
    srtSum: s.srtSum[slot]!,
    srtCount: s.srtCount[slot]!,
    srtMax: s.srtMax[slot]!,
    artSum: s.artSum[slot]!,
    artCount: s.artCount[slot]!,
    artMax: s.artMax[slot]!,
  };
}
