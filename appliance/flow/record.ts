/** A slot's flow-log record: the minute's counters and the flow's values, as the wire has them. */
import { formatAddress } from "../decode/mod.ts";
import type { FlowRecord } from "../wire/mod.ts";
import * as F from "./store.ts";
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
  const f = slot * F.F64_STRIDE;
  const u = slot * F.U32_STRIDE;
  const h = u * 2;
  const b = u * 4;
  const { f64, u32, u16, u8 } = s;
  const k = u + F.ADDR;
  const version = u8[b + F.IP_VERSION]!;
  const bits = u16[h + F.BITS]!;
  const first = f64[f + F.FIRST_TIME]!;
  const startTime = first > w.minuteStart ? first : w.minuteStart;
  const rtt = (bits & Bit.RttPending) !== 0;
  const rttClient = rtt ? u32[u + F.RTT_CLIENT]! : 0;
  const rttServer = rtt ? u32[u + F.RTT_SERVER]! : 0;
  u16[h + F.BITS] = (bits | Bit.Emitted) & ~Bit.RttPending;
  return {
    flowId: f64[f + F.FLOW_ID]!,
    startTime,
    endTime: w.endTime > startTime ? w.endTime : startTime,
    duration: f64[f + F.LAST_TIME]! - first,
    isNewFlow: (bits & Bit.Emitted) === 0 ? 1 : 0,
    closeType: w.closeType,
    ipVersion: version,
    ip0: formatWords(version, u32[k]!, u32[k + 1]!, u32[k + 2]!, u32[k + 3]!),
    ip1: formatWords(version, u32[k + 4]!, u32[k + 5]!, u32[k + 6]!, u32[k + 7]!),
    clientPort: u16[h + F.PORTS]!,
    serverPort: u16[h + F.PORTS + 1]!,
    protocol: u8[b + F.PROTOCOL]!,
    vlan: u16[h + F.VLAN]!,
    tunnelType: u8[b + F.TUNNEL_TYPE]!,
    tunnelId: u32[u + F.TUNNEL_ID]!,
    captureNic: u16[h + F.CAPTURE_POINT]!,
    observationPoint: w.observationPoint,
    packetTx: u32[u + F.PACKETS]!,
    packetRx: u32[u + F.PACKETS + 1]!,
    byteTx: f64[f + F.BYTES]!,
    byteRx: f64[f + F.BYTES + 1]!,
    l3ByteTx: f64[f + F.L3_BYTES]!,
    l3ByteRx: f64[f + F.L3_BYTES + 1]!,
    l4ByteTx: f64[f + F.L4_BYTES]!,
    l4ByteRx: f64[f + F.L4_BYTES + 1]!,
    tcpFlagsBit0: u16[h + F.FLAGS]!,
    tcpFlagsBit1: u16[h + F.FLAGS + 1]!,
    synCount: u16[h + F.SYN_COUNT]!,
    synackCount: u16[h + F.SYNACK_COUNT]!,
    retransSyn: u16[h + F.RETRANS_SYN]!,
    retransSynack: u16[h + F.RETRANS_SYNACK]!,
    synSeq: u32[u + F.SYN_SEQ]!,
    synAckSeq: u32[u + F.SYN_ACK_SEQ]!,
    lastKeepaliveSeq: u32[u + F.KEEPALIVE_SEQ]!,
    lastKeepaliveAck: u32[u + F.KEEPALIVE_ACK]!,
    retransTx: u32[u + F.RETRANS]!,
    retransRx: u32[u + F.RETRANS + 1]!,
    zeroWinTx: u32[u + F.ZERO_WIN]!,
    zeroWinRx: u32[u + F.ZERO_WIN + 1]!,
    rtt: rttClient > 0 && rttServer > 0 ? rttClient + rttServer : 0,
    rttClient,
    rttServer,
    srtSum: f64[f + F.SRT_SUM]!,
    srtCount: u32[u + F.SRT_COUNT]!,
    srtMax: u32[u + F.SRT_MAX]!,
    artSum: f64[f + F.ART_SUM]!,
    artCount: u32[u + F.ART_COUNT]!,
    artMax: u32[u + F.ART_MAX]!,
  };
}
