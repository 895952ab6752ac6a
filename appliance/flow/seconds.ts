/**
 * Per-second network counters (the `metrics_1s` stream, issue #9): each packet the flow table
 * counted, folded per (client IP, server IP, protocol, server port, capture point) and second.
 * Fed beside the table, not from inside it: `count()` takes the flow side `FlowTable.add()`
 * returned (slot and direction, so client and server follow the table's rule) and the slot's
 * flow id; `ended()` is told of each flow that ends (the table's `onFlowEnd`).
 *
 * Nothing is allocated per packet or per flow: a flow's key is looked up once, at its first
 * packet, in an open-addressing table of keys (typed arrays, no strings), and its packets are
 * counted straight into the key's counters for the open second. Seconds end by packet time
 * (replay) or by `advance()` (live, wall time); only then is one record made per key touched
 * in that second, kept as a row until `drain()` makes the objects. Keys unused for a while
 * are forgotten: the key table is emptied at a second's end once it holds more than
 * {@link MAX_KEYS}, and flows look their key up again.
 */
import { type DecodedPacket, formatAddress } from "../decode/mod.ts";
import type { SecondRecord } from "../wire/mod.ts";

const SECOND_US = 1_000_000;
/** Counters per key: packets tx/rx, bytes tx/rx, new flows, closed flows, RST segments. */
const PACKETS = 0;
const BYTES = 2;
const NEW = 4;
const CLOSED = 5;
const RST = 6;
const COUNTERS = 7;
/** Key fields besides the addresses: IP version, protocol, server port. */
const META = 3;
/** Address words per slot and per key: client then server, 16 bytes each. */
const WORDS = 8;
/** Numbers per record row: time, IP version, protocol, server port, then the counters. */
const ROW = 4 + COUNTERS;
const RST_FLAG = 0x04;
const IPV4_CACHE = 65_536;
/** Keys kept across seconds; past it the table is emptied at the next second's end. */
export const MAX_KEYS = 1 << 18;

/** Record rows per chunk (360 KiB of numbers). */
const CHUNK_SHIFT = 12;
const CHUNK_ROWS = 1 << CHUNK_SHIFT;

/** Rows of ended seconds' records: numbers, and the address texts (shared strings). */
class RowChunk {
  readonly rows = new Float64Array(CHUNK_ROWS * ROW);
  readonly ip0: string[] = new Array<string>(CHUNK_ROWS).fill("");
  readonly ip1: string[] = new Array<string>(CHUNK_ROWS).fill("");
}

/**
 * Chunks drained, kept for the next counters' rows: fresh memory (a page fault per 4 KiB) costs
 * more than the rows written into it. Bounded to 16 chunks (5.6 MiB).
 */
const spare: RowChunk[] = [];
const MAX_SPARE = 16;

/** Hash of a key: address words `addr[w…w+8)` and fields `meta[m…m+3)`. */
function hashKey(addr: Uint32Array, w: number, meta: Uint32Array, m: number): number {
  let h = Math.imul(meta[m]! ^ (meta[m + 1]! << 8) ^ (meta[m + 2]! << 16), 0x9e3779b1);
  for (let i = 0; i < WORDS; i++) h = Math.imul(h ^ addr[w + i]!, 0x85ebca6b) ^ (h >>> 13);
  return h ^ (h >>> 16);
}

export interface SecondCounterOptions {
  /** Observation point of the capture point (as the flow table's); `"rest"` by default. */
  observationPoint?: string;
  /** Capture point index of the records (the flow table's `add()` point). */
  captureNic?: number;
  /** Slots allocated up front; doubled as the flow table's slots grow. */
  initialCapacity?: number;
  /** Keys kept across seconds (default {@link MAX_KEYS}). */
  maxKeys?: number;
}

/** Folds counted packets into per-second records; see the file comment. */
export class SecondCounters {
  readonly #observationPoint: string;
  readonly #captureNic: number;
  readonly #maxKeys: number;
  // By flow slot.
  #capacity = 0;
  /** Flow id each slot's key was taken from (0: none). */
  #flowId = new Float64Array(0);
  /** Client then server address of the slot's flow (IPv4 in the first word, the rest zero). */
  #addr = new Uint32Array(0);
  #addrBytes = new Uint8Array(0);
  #meta = new Uint32Array(0);
  /** Key of the slot's flow; -1 when it must be looked up (again). */
  #slotKey = new Int32Array(0);
  // By key.
  #keyCapacity = 0;
  #keyCount = 0;
  #keyAddr = new Uint32Array(0);
  #keyMeta = new Uint32Array(0);
  #counts = new Float64Array(0);
  /** The second a key was last touched in (-1: not in the open one). */
  #stamp = new Float64Array(0);
  /** Address texts of each key, made at its first record ("": not yet). */
  #ip0: string[] = [];
  #ip1: string[] = [];
  /** Open addressing: key index + 1, 0 when empty; twice the key capacity (a power of two). */
  #index = new Int32Array(0);
  #touched = new Int32Array(0);
  #touchedCount = 0;
  /** IPv4 text by address: keys repeat addresses (cleared when it grows past a bound). */
  #ipv4Text = new Map<number, string>();
  /** Start of the open second, µs; -1 before the first packet. */
  #second = -1;
  /**
   * Records of ended seconds not yet drained, as rows (time, IP version, protocol, server port,
   * then the key's counters) and their address texts: objects are made only by `drain()`.
   */
  #chunks: RowChunk[] = [];
  #rowCount = 0;

  constructor(options: SecondCounterOptions = {}) {
    this.#observationPoint = options.observationPoint ?? "rest";
    this.#captureNic = options.captureNic ?? 0;
    this.#maxKeys = options.maxKeys ?? MAX_KEYS;
    this.#growSlots(Math.max(16, options.initialCapacity ?? 1024));
    this.#growKeys(256);
  }

  /** Counts a packet `FlowTable.add()` returned `side` (≥ 0) for; `flowId` is its slot's. */
  count(p: DecodedPacket, side: number, flowId: number): void {
    const slot = side >> 1;
    const dir = side & 1;
    if (slot >= this.#capacity) this.#growSlots(slot + 1);
    const t = p.timestampUs;
    // A packet older than the open second (out of order) counts into it.
    if (t >= this.#second + SECOND_US || this.#second < 0) this.#roll(t - (t % SECOND_US));
    let k: number;
    if (this.#flowId[slot] !== flowId) k = this.#begin(p, slot, dir, flowId);
    else {
      k = this.#slotKey[slot]!;
      if (k < 0) k = this.#keyOf(slot);
      if (this.#stamp[k] !== this.#second) this.#touch(k);
    }
    const c = k * COUNTERS;
    const n = this.#counts;
    n[c + PACKETS + dir]!++;
    n[c + BYTES + dir]! += p.frameLength;
    if (p.protocol === 6 && (p.tcpFlags & RST_FLAG) !== 0) n[c + RST]!++;
  }

  /** A flow ended at `nowUs` (the table's clock): counted closed, its slot may be reused. */
  ended(slot: number, nowUs: number): void {
    if (slot >= this.#capacity || this.#flowId[slot] === 0 || this.#second < 0) return;
    if (nowUs >= this.#second + SECOND_US) this.#roll(nowUs - (nowUs % SECOND_US));
    let k = this.#slotKey[slot]!;
    if (k < 0) k = this.#keyOf(slot);
    if (this.#stamp[k] !== this.#second) this.#touch(k);
    this.#counts[k * COUNTERS + CLOSED]!++;
    this.#flowId[slot] = 0;
  }

  /** Ends the seconds before the one holding `nowUs` (live capture: wall time). */
  advance(nowUs: number): void {
    if (this.#second >= 0 && nowUs >= this.#second + SECOND_US) {
      this.#roll(nowUs - (nowUs % SECOND_US));
    }
  }

  /** Ends the open second (the input is over). */
  finish(): void {
    if (this.#second >= 0) this.#roll(this.#second + SECOND_US);
  }

  /** The records of the seconds ended since the last call, oldest first. */
  drain(): SecondRecord[] {
    const out: SecondRecord[] = new Array(this.#rowCount);
    for (let r = 0; r < this.#rowCount; r++) {
      const chunk = this.#chunks[r >> CHUNK_SHIFT]!;
      const i = r & (CHUNK_ROWS - 1);
      const row = chunk.rows;
      const at = i * ROW;
      out[r] = {
        time: row[at]!,
        ipVersion: row[at + 1]!,
        ip0: chunk.ip0[i]!,
        ip1: chunk.ip1[i]!,
        protocol: row[at + 2]!,
        serverPort: row[at + 3]!,
        captureNic: this.#captureNic,
        observationPoint: this.#observationPoint,
        packetTx: row[at + 4 + PACKETS]!,
        packetRx: row[at + 4 + PACKETS + 1]!,
        byteTx: row[at + 4 + BYTES]!,
        byteRx: row[at + 4 + BYTES + 1]!,
        newFlow: row[at + 4 + NEW]!,
        closedFlow: row[at + 4 + CLOSED]!,
        rstCount: row[at + 4 + RST]!,
      };
    }
    this.#rowCount = 0;
    // The first chunk stays (a live capture drains every ~250 ms); the others go back.
    while (this.#chunks.length > 1) {
      const chunk = this.#chunks.pop()!;
      if (spare.length < MAX_SPARE) spare.push(chunk);
    }
    return out;
  }

  #addChunk(): RowChunk {
    const chunk = spare.pop() ?? new RowChunk();
    this.#chunks.push(chunk);
    return chunk;
  }

  /** The first packet of a flow (as seen here) in `slot`: its key, and one new flow. */
  #begin(p: DecodedPacket, slot: number, dir: number, flowId: number): number {
    this.#flowId[slot] = flowId;
    const a = slot * WORDS * 4;
    const size = p.ipVersion === 4 ? 4 : 16;
    const client = dir === 0 ? p.srcOffset : p.dstOffset;
    const server = dir === 0 ? p.dstOffset : p.srcOffset;
    const b = p.buffer;
    const addr = this.#addrBytes;
    let i = 0;
    for (; i < size; i++) {
      addr[a + i] = b[client + i]!;
      addr[a + 16 + i] = b[server + i]!;
    }
    for (; i < 16; i++) {
      addr[a + i] = 0;
      addr[a + 16 + i] = 0;
    }
    const m = slot * META;
    this.#meta[m] = p.ipVersion;
    this.#meta[m + 1] = p.protocol;
    const ports = p.protocol === 6 || p.protocol === 17;
    this.#meta[m + 2] = ports ? (dir === 0 ? p.dstPort : p.srcPort) : 0;
    const k = this.#keyOf(slot);
    if (this.#stamp[k] !== this.#second) this.#touch(k);
    this.#counts[k * COUNTERS + NEW]!++;
    return k;
  }

  /** The key of the flow in `slot` (added if new), remembered for the slot. */
  #keyOf(slot: number): number {
    const addr = this.#addr;
    const meta = this.#meta;
    const w = slot * WORDS;
    const m = slot * META;
    const h = hashKey(addr, w, meta, m);
    const index = this.#index;
    const mask = index.length - 1;
    const keyAddr = this.#keyAddr;
    const keyMeta = this.#keyMeta;
    for (let at = h & mask;; at = (at + 1) & mask) {
      const entry = index[at]!;
      if (entry === 0) break;
      const k = entry - 1;
      const kw = k * WORDS;
      const km = k * META;
      if (
        keyMeta[km] === meta[m] && keyMeta[km + 1] === meta[m + 1] &&
        keyMeta[km + 2] === meta[m + 2] && keyAddr[kw] === addr[w] &&
        keyAddr[kw + 1] === addr[w + 1] && keyAddr[kw + 2] === addr[w + 2] &&
        keyAddr[kw + 3] === addr[w + 3] && keyAddr[kw + 4] === addr[w + 4] &&
        keyAddr[kw + 5] === addr[w + 5] && keyAddr[kw + 6] === addr[w + 6] &&
        keyAddr[kw + 7] === addr[w + 7]
      ) {
        this.#slotKey[slot] = k;
        return k;
      }
    }
    if (this.#keyCount === this.#keyCapacity) this.#growKeys(this.#keyCapacity * 2);
    const k = this.#keyCount++;
    this.#keyAddr.set(addr.subarray(w, w + WORDS), k * WORDS);
    this.#keyMeta[k * META] = meta[m]!;
    this.#keyMeta[k * META + 1] = meta[m + 1]!;
    this.#keyMeta[k * META + 2] = meta[m + 2]!;
    this.#ip0[k] = "";
    this.#ip1[k] = "";
    this.#stamp[k] = -1;
    this.#insert(k);
    this.#slotKey[slot] = k;
    return k;
  }

  /** Puts key `k` into the open-addressing index. */
  #insert(k: number): void {
    const h = hashKey(this.#keyAddr, k * WORDS, this.#keyMeta, k * META);
    const index = this.#index;
    const mask = index.length - 1;
    let at = h & mask;
    while (index[at] !== 0) at = (at + 1) & mask;
    index[at] = k + 1;
  }

  /** Key `k` joins the open second with zero counts. */
  #touch(k: number): void {
    this.#stamp[k] = this.#second;
    this.#touched[this.#touchedCount++] = k;
    const c = k * COUNTERS;
    this.#counts.fill(0, c, c + COUNTERS);
  }

  #ipText(k: number, server: boolean, version: number): string {
    const words = this.#keyAddr;
    const w = k * WORDS + (server ? 4 : 0);
    if (version !== 4) {
      return formatAddress(new Uint8Array(words.buffer, w * 4, 16), 0, version);
    }
    const bytes = new Uint8Array(words.buffer, w * 4, 4);
    const word = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    let text = this.#ipv4Text.get(word);
    if (text === undefined) {
      if (this.#ipv4Text.size >= IPV4_CACHE) this.#ipv4Text.clear();
      text = formatAddress(bytes, 0, 4);
      this.#ipv4Text.set(word, text);
    }
    return text;
  }

  /** Ends the open second (one record per key touched in it) and opens the one at `second`. */
  #roll(second: number): void {
    if (this.#second >= 0) {
      const n = this.#counts;
      for (let i = 0; i < this.#touchedCount; i++) {
        const k = this.#touched[i]!;
        const m = k * META;
        const version = this.#keyMeta[m]!;
        if (this.#ip0[k] === "") {
          this.#ip0[k] = this.#ipText(k, false, version);
          this.#ip1[k] = this.#ipText(k, true, version);
        }
        const c = k * COUNTERS;
        const r = this.#rowCount++;
        const chunk = this.#chunks[r >> CHUNK_SHIFT] ?? this.#addChunk();
        const x = r & (CHUNK_ROWS - 1);
        const row = chunk.rows;
        const at = x * ROW;
        row[at] = this.#second;
        row[at + 1] = version;
        row[at + 2] = this.#keyMeta[m + 1]!;
        row[at + 3] = this.#keyMeta[m + 2]!;
        for (let j = 0; j < COUNTERS; j++) row[at + 4 + j] = n[c + j]!;
        chunk.ip0[x] = this.#ip0[k]!;
        chunk.ip1[x] = this.#ip1[k]!;
        this.#stamp[k] = -1;
      }
    }
    this.#touchedCount = 0;
    this.#second = second;
    if (this.#keyCount > this.#maxKeys) this.#forgetKeys();
  }

  /** Empties the key table (between seconds): flows look their keys up again. */
  #forgetKeys(): void {
    this.#keyCount = 0;
    this.#index.fill(0);
    this.#slotKey.fill(-1);
  }

  #growSlots(needed: number): void {
    let capacity = Math.max(this.#capacity, 16);
    while (capacity < needed) capacity *= 2;
    if (capacity === this.#capacity) return;
    const flowId = new Float64Array(capacity);
    flowId.set(this.#flowId);
    const addr = new Uint32Array(capacity * WORDS);
    addr.set(this.#addr);
    const meta = new Uint32Array(capacity * META);
    meta.set(this.#meta);
    const slotKey = new Int32Array(capacity).fill(-1);
    slotKey.set(this.#slotKey);
    this.#flowId = flowId;
    this.#addr = addr;
    this.#addrBytes = new Uint8Array(addr.buffer);
    this.#meta = meta;
    this.#slotKey = slotKey;
    this.#capacity = capacity;
  }

  #growKeys(capacity: number): void {
    const keyAddr = new Uint32Array(capacity * WORDS);
    keyAddr.set(this.#keyAddr);
    const keyMeta = new Uint32Array(capacity * META);
    keyMeta.set(this.#keyMeta);
    const counts = new Float64Array(capacity * COUNTERS);
    counts.set(this.#counts);
    const stamp = new Float64Array(capacity).fill(-1);
    stamp.set(this.#stamp);
    const touched = new Int32Array(capacity);
    touched.set(this.#touched);
    this.#keyAddr = keyAddr;
    this.#keyMeta = keyMeta;
    this.#counts = counts;
    this.#stamp = stamp;
    this.#touched = touched;
    this.#keyCapacity = capacity;
    this.#index = new Int32Array(capacity * 2);
    for (let k = 0; k < this.#keyCount; k++) this.#insert(k);
  }
}
