/**
 * Flow-log records as the table emits them: one fixed-width row per record in a
 * {@link RecordLog}, holding the fields of the wire's `FlowRecord` at the widths the store keeps
 * them. No object is made per record until a consumer asks for `FlowRecord` objects
 * ({@link FlowRecordBatch.toArray}): building ~50-field objects (and the heap numbers of their
 * float fields), and collecting them, cost more than counting the packets that made them.
 */
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

/**
 * A record row: 224 bytes, the fields of `FlowRecord` at their store widths (see `take`). Byte
 * offsets: f64 0–95, u32 96–195, u16 196–215, u8 216–220.
 */
const ROW_BYTES = 224;
const ROW_F64 = ROW_BYTES / 8;
const ROW_U32 = ROW_BYTES / 4;
// f64 fields.
const R_FLOW_ID = 0;
const R_START = 1;
const R_END = 2;
const R_DURATION = 3;
/** Pairs, as in the store: frame, L3 and L4 bytes. */
const R_BYTES = 4;
const R_L3 = 6;
const R_L4 = 8;
const R_SRT_SUM = 10;
const R_ART_SUM = 11;
// u32 fields.
const R_ADDR = 24;
const R_TUNNEL_ID = 32;
const R_PACKETS = 33;
const R_SYN_SEQ = 35;
const R_SYN_ACK_SEQ = 36;
const R_KEEPALIVE_SEQ = 37;
const R_KEEPALIVE_ACK = 38;
const R_RETRANS = 39;
const R_ZERO_WIN = 41;
const R_RTT_CLIENT = 43;
const R_RTT_SERVER = 44;
const R_SRT_COUNT = 45;
const R_SRT_MAX = 46;
const R_ART_COUNT = 47;
const R_ART_MAX = 48;
// u16 fields.
const R_PORTS = 98;
const R_VLAN = 100;
const R_POINT = 101;
const R_FLAGS = 102;
const R_SYN_COUNT = 104;
const R_SYNACK_COUNT = 105;
const R_RETRANS_SYN = 106;
const R_RETRANS_SYNACK = 107;
// u8 fields.
const R_IP_VERSION = 216;
const R_PROTOCOL = 217;
const R_TUNNEL_TYPE = 218;
const R_CLOSE_TYPE = 219;
const R_IS_NEW = 220;

/** Rows per chunk: 224 KiB. Chunks are never copied or grown, only added. */
const CHUNK_SHIFT = 10;
const CHUNK_ROWS = 1 << CHUNK_SHIFT;

/**
 * Chunks whose rows were made objects, kept for the next rows: touching fresh memory (a page
 * fault per 4 KiB) costs more than writing the rows, so a live table that drains every few
 * hundred ms reuses the same chunks. Bounded to 64 chunks (14 MiB).
 */
const spare: Chunk[] = [];
const MAX_SPARE = 64;

/** One chunk of rows and its views. */
class Chunk {
  readonly f64: Float64Array;
  readonly u32: Uint32Array;
  readonly u16: Uint16Array;
  readonly u8: Uint8Array;
  constructor() {
    const buffer = new ArrayBuffer(CHUNK_ROWS * ROW_BYTES);
    this.f64 = new Float64Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u8 = new Uint8Array(buffer);
  }
}

/**
 * Rows of emitted records, appended by {@link RecordLog.take} and handed over whole as a
 * {@link FlowRecordBatch}. Typed arrays only (no object per record, nothing for the garbage
 * collector to trace); chunks of fixed size, so nothing is copied as it grows. Fresh memory is
 * what a record costs most (each new page faults), hence rows of the fields' own widths.
 */
export class RecordLog {
  #chunks: Chunk[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /**
   * Appends the record of `slot` for the minute that starts at `minuteStart`. It marks the flow
   * as emitted (its next record is not new) and hands over a pending handshake RTT, which is
   * reported once.
   */
  take(s: FlowStore, slot: number, minuteStart: number, endTime: number, closeType: number): void {
    const i = this.#length;
    const c = i >> CHUNK_SHIFT;
    // Every field of a row is written below: a spare chunk's old rows need no clearing.
    if (c === this.#chunks.length) this.#chunks.push(spare.pop() ?? new Chunk());
    const chunk = this.#chunks[c]!;
    const row = i & (CHUNK_ROWS - 1);
    const f = slot * F.F64_STRIDE;
    const u = slot * F.U32_STRIDE;
    const h = u * 2;
    const b = u * 4;
    const { f64, u32, u16, u8 } = s;
    const bits = u16[h + F.BITS]!;
    const first = f64[f + F.FIRST_TIME]!;
    const startTime = first > minuteStart ? first : minuteStart;
    const rtt = (bits & Bit.RttPending) !== 0;
    u16[h + F.BITS] = (bits | Bit.Emitted) & ~Bit.RttPending;

    const of = row * ROW_F64;
    const o = chunk.f64;
    o[of + R_FLOW_ID] = f64[f + F.FLOW_ID]!;
    o[of + R_START] = startTime;
    o[of + R_END] = endTime > startTime ? endTime : startTime;
    o[of + R_DURATION] = f64[f + F.LAST_TIME]! - first;
    o[of + R_BYTES] = f64[f + F.BYTES]!;
    o[of + R_BYTES + 1] = f64[f + F.BYTES + 1]!;
    o[of + R_L3] = f64[f + F.L3_BYTES]!;
    o[of + R_L3 + 1] = f64[f + F.L3_BYTES + 1]!;
    o[of + R_L4] = f64[f + F.L4_BYTES]!;
    o[of + R_L4 + 1] = f64[f + F.L4_BYTES + 1]!;
    o[of + R_SRT_SUM] = f64[f + F.SRT_SUM]!;
    o[of + R_ART_SUM] = f64[f + F.ART_SUM]!;

    const ou = row * ROW_U32;
    const w = chunk.u32;
    const k = u + F.ADDR;
    for (let a = 0; a < 8; a++) w[ou + R_ADDR + a] = u32[k + a]!;
    w[ou + R_TUNNEL_ID] = u32[u + F.TUNNEL_ID]!;
    w[ou + R_PACKETS] = u32[u + F.PACKETS]!;
    w[ou + R_PACKETS + 1] = u32[u + F.PACKETS + 1]!;
    w[ou + R_SYN_SEQ] = u32[u + F.SYN_SEQ]!;
    w[ou + R_SYN_ACK_SEQ] = u32[u + F.SYN_ACK_SEQ]!;
    w[ou + R_KEEPALIVE_SEQ] = u32[u + F.KEEPALIVE_SEQ]!;
    w[ou + R_KEEPALIVE_ACK] = u32[u + F.KEEPALIVE_ACK]!;
    w[ou + R_RETRANS] = u32[u + F.RETRANS]!;
    w[ou + R_RETRANS + 1] = u32[u + F.RETRANS + 1]!;
    w[ou + R_ZERO_WIN] = u32[u + F.ZERO_WIN]!;
    w[ou + R_ZERO_WIN + 1] = u32[u + F.ZERO_WIN + 1]!;
    w[ou + R_RTT_CLIENT] = rtt ? u32[u + F.RTT_CLIENT]! : 0;
    w[ou + R_RTT_SERVER] = rtt ? u32[u + F.RTT_SERVER]! : 0;
    w[ou + R_SRT_COUNT] = u32[u + F.SRT_COUNT]!;
    w[ou + R_SRT_MAX] = u32[u + F.SRT_MAX]!;
    w[ou + R_ART_COUNT] = u32[u + F.ART_COUNT]!;
    w[ou + R_ART_MAX] = u32[u + F.ART_MAX]!;

    const oh = ou * 2;
    const v = chunk.u16;
    v[oh + R_PORTS] = u16[h + F.PORTS]!;
    v[oh + R_PORTS + 1] = u16[h + F.PORTS + 1]!;
    v[oh + R_VLAN] = u16[h + F.VLAN]!;
    v[oh + R_POINT] = u16[h + F.CAPTURE_POINT]!;
    v[oh + R_FLAGS] = u16[h + F.FLAGS]!;
    v[oh + R_FLAGS + 1] = u16[h + F.FLAGS + 1]!;
    v[oh + R_SYN_COUNT] = u16[h + F.SYN_COUNT]!;
    v[oh + R_SYNACK_COUNT] = u16[h + F.SYNACK_COUNT]!;
    v[oh + R_RETRANS_SYN] = u16[h + F.RETRANS_SYN]!;
    v[oh + R_RETRANS_SYNACK] = u16[h + F.RETRANS_SYNACK]!;

    const ob = ou * 4;
    const y = chunk.u8;
    y[ob + R_IP_VERSION] = u8[b + F.IP_VERSION]!;
    y[ob + R_PROTOCOL] = u8[b + F.PROTOCOL]!;
    y[ob + R_TUNNEL_TYPE] = u8[b + F.TUNNEL_TYPE]!;
    y[ob + R_CLOSE_TYPE] = closeType;
    y[ob + R_IS_NEW] = (bits & Bit.Emitted) === 0 ? 1 : 0;
    this.#length = i + 1;
  }

  /** Hands the rows over and starts empty. */
  takeBatch(observationPoints: readonly string[]): FlowRecordBatch {
    const batch = new FlowRecordBatch(this.#chunks, this.#length, observationPoints);
    this.#chunks = [];
    this.#length = 0;
    return batch;
  }
}

/**
 * Records emitted by a flow table, kept as rows until a consumer asks for objects. It gives its
 * objects once: {@link toArray} and {@link toSortedArray} hand the rows back for reuse and leave
 * the batch empty.
 */
export class FlowRecordBatch {
  #length: number;
  #chunks: Chunk[];
  readonly #observationPoints: readonly string[];

  constructor(chunks: Chunk[], length: number, observationPoints: readonly string[]) {
    this.#length = length;
    this.#chunks = chunks;
    this.#observationPoints = observationPoints;
  }

  /** Records in the batch (0 once their objects were made). */
  get length(): number {
    return this.#length;
  }

  #release(): void {
    for (const chunk of this.#chunks) if (spare.length < MAX_SPARE) spare.push(chunk);
    this.#chunks = [];
    this.#length = 0;
  }

  /** Start time of record `i`, µs. */
  startTime(i: number): number {
    return this.#chunks[i >> CHUNK_SHIFT]!.f64[(i & (CHUNK_ROWS - 1)) * ROW_F64 + R_START]!;
  }

  /** Flow id of record `i`. */
  flowId(i: number): number {
    return this.#chunks[i >> CHUNK_SHIFT]!.f64[(i & (CHUNK_ROWS - 1)) * ROW_F64 + R_FLOW_ID]!;
  }

  /** The records as objects, in the order they were emitted (the batch is then empty). */
  toArray(): FlowRecord[] {
    const out = new Array<FlowRecord>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.record(i);
    this.#release();
    return out;
  }

  /** The records as objects, by start time, flow id, emission order (the batch is then empty). */
  toSortedArray(): FlowRecord[] {
    const n = this.length;
    const starts = new Float64Array(n);
    const ids = new Float64Array(n);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      starts[i] = this.startTime(i);
      ids[i] = this.flowId(i);
      order[i] = i;
    }
    order.sort((a, b) => starts[a]! - starts[b]! || ids[a]! - ids[b]! || a - b);
    const out = new Array<FlowRecord>(n);
    for (let i = 0; i < n; i++) out[i] = this.record(order[i]!);
    this.#release();
    return out;
  }

  /** Record `i` as an object (a new one each call). */
  record(i: number): FlowRecord {
    const chunk = this.#chunks[i >> CHUNK_SHIFT]!;
    const row = i & (CHUNK_ROWS - 1);
    const f = row * ROW_F64;
    const u = row * ROW_U32;
    const h = u * 2;
    const b = u * 4;
    const { f64, u32, u16, u8 } = chunk;
    const k = u + R_ADDR;
    const version = u8[b + R_IP_VERSION]!;
    const rttClient = u32[u + R_RTT_CLIENT]!;
    const rttServer = u32[u + R_RTT_SERVER]!;
    const point = u16[h + R_POINT]!;
    return {
      flowId: f64[f + R_FLOW_ID]!,
      startTime: f64[f + R_START]!,
      endTime: f64[f + R_END]!,
      duration: f64[f + R_DURATION]!,
      isNewFlow: u8[b + R_IS_NEW]!,
      closeType: u8[b + R_CLOSE_TYPE]!,
      ipVersion: version,
      ip0: formatWords(version, u32[k]!, u32[k + 1]!, u32[k + 2]!, u32[k + 3]!),
      ip1: formatWords(version, u32[k + 4]!, u32[k + 5]!, u32[k + 6]!, u32[k + 7]!),
      clientPort: u16[h + R_PORTS]!,
      serverPort: u16[h + R_PORTS + 1]!,
      protocol: u8[b + R_PROTOCOL]!,
      vlan: u16[h + R_VLAN]!,
      tunnelType: u8[b + R_TUNNEL_TYPE]!,
      tunnelId: u32[u + R_TUNNEL_ID]!,
      captureNic: point,
      observationPoint: this.#observationPoints[point] ?? "rest",
      packetTx: u32[u + R_PACKETS]!,
      packetRx: u32[u + R_PACKETS + 1]!,
      byteTx: f64[f + R_BYTES]!,
      byteRx: f64[f + R_BYTES + 1]!,
      l3ByteTx: f64[f + R_L3]!,
      l3ByteRx: f64[f + R_L3 + 1]!,
      l4ByteTx: f64[f + R_L4]!,
      l4ByteRx: f64[f + R_L4 + 1]!,
      tcpFlagsBit0: u16[h + R_FLAGS]!,
      tcpFlagsBit1: u16[h + R_FLAGS + 1]!,
      synCount: u16[h + R_SYN_COUNT]!,
      synackCount: u16[h + R_SYNACK_COUNT]!,
      retransSyn: u16[h + R_RETRANS_SYN]!,
      retransSynack: u16[h + R_RETRANS_SYNACK]!,
      synSeq: u32[u + R_SYN_SEQ]!,
      synAckSeq: u32[u + R_SYN_ACK_SEQ]!,
      lastKeepaliveSeq: u32[u + R_KEEPALIVE_SEQ]!,
      lastKeepaliveAck: u32[u + R_KEEPALIVE_ACK]!,
      retransTx: u32[u + R_RETRANS]!,
      retransRx: u32[u + R_RETRANS + 1]!,
      zeroWinTx: u32[u + R_ZERO_WIN]!,
      zeroWinRx: u32[u + R_ZERO_WIN + 1]!,
      rtt: rttClient > 0 && rttServer > 0 ? rttClient + rttServer : 0,
      rttClient,
      rttServer,
      srtSum: f64[f + R_SRT_SUM]!,
      srtCount: u32[u + R_SRT_COUNT]!,
      srtMax: u32[u + R_SRT_MAX]!,
      artSum: f64[f + R_ART_SUM]!,
      artCount: u32[u + R_ART_COUNT]!,
      artMax: u32[u + R_ART_MAX]!,
    };
  }
}
