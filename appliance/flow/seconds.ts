/**
 * Per-second network counters (the `metrics_1s` stream, issue #9): each packet the flow table
 * counted, folded per (client IP, server IP, protocol, server port, capture point) and second.
 * Fed beside the table, not from inside it: `count()` takes the flow side `FlowTable.add()`
 * returned (slot and direction, so client and server follow the table's rule) and the slot's
 * flow id; `ended()` is told of each flow that ends (the table's `onFlowEnd`).
 *
 * Per packet it allocates nothing: counters live in typed arrays indexed by flow slot, with a
 * list of the slots touched this second. Seconds end by packet time (replay) or by `advance()`
 * (live, wall time); only then are the slots folded into one record per key (allocation per
 * flow per second, not per packet).
 */
import { type DecodedPacket, formatAddress } from "../decode/mod.ts";
import type { SecondRecord } from "../wire/mod.ts";

const SECOND_US = 1_000_000;
/** Counters per slot: packets tx/rx, bytes tx/rx, new flow, RST segments. */
const PACKETS = 0;
const BYTES = 2;
const NEW = 4;
const RST = 5;
const COUNTERS = 6;
/** Key fields per slot: IP version, protocol, server port. */
const META = 3;
const RST_FLAG = 0x04;
const IPV4_CACHE = 65_536;

export interface SecondCounterOptions {
  /** Observation point of the capture point (as the flow table's); `"rest"` by default. */
  observationPoint?: string;
  /** Capture point index of the records (the flow table's `add()` point). */
  captureNic?: number;
  /** Slots allocated up front; doubled as the flow table's slots grow. */
  initialCapacity?: number;
}

/** Folds counted packets into per-second records; see the file comment. */
export class SecondCounters {
  readonly #observationPoint: string;
  readonly #captureNic: number;
  #capacity = 0;
  /** Flow id each slot's key was taken from (0: none). */
  #flowId = new Float64Array(0);
  /** Client then server address, 16 bytes each. */
  #addr = new Uint8Array(0);
  #meta = new Uint32Array(0);
  #counts = new Float64Array(0);
  /** The second (index) a slot was last touched in; -1 when folded. */
  #stamp = new Float64Array(0);
  #touched = new Int32Array(0);
  #touchedCount = 0;
  /** Key text and addresses of each slot's flow, made at its first fold ("": not yet). */
  #keys: string[] = [];
  #ip0: string[] = [];
  #ip1: string[] = [];
  /** IPv4 text by address: flows repeat addresses (cleared when it grows past a bound). */
  #ipv4Text = new Map<number, string>();
  /** Start of the open second, µs; -1 before the first packet. */
  #second = -1;
  #open = new Map<string, SecondRecord>();
  #records: SecondRecord[] = [];

  constructor(options: SecondCounterOptions = {}) {
    this.#observationPoint = options.observationPoint ?? "rest";
    this.#captureNic = options.captureNic ?? 0;
    this.#grow(Math.max(16, options.initialCapacity ?? 1024));
  }

  /** Counts a packet `FlowTable.add()` returned `side` (≥ 0) for; `flowId` is its slot's. */
  count(p: DecodedPacket, side: number, flowId: number): void {
    const slot = side >> 1;
    const dir = side & 1;
    if (slot >= this.#capacity) this.#grow(slot + 1);
    const t = p.timestampUs;
    // A packet older than the open second (out of order) counts into it.
    if (t >= this.#second + SECOND_US || this.#second < 0) this.#roll(t - (t % SECOND_US));
    if (this.#flowId[slot] !== flowId) this.#begin(p, slot, dir, flowId);
    const c = slot * COUNTERS;
    if (this.#stamp[slot] !== this.#second) {
      this.#touch(slot, c);
    }
    this.#counts[c + PACKETS + dir]!++;
    this.#counts[c + BYTES + dir]! += p.frameLength;
    if (p.protocol === 6 && (p.tcpFlags & RST_FLAG) !== 0) this.#counts[c + RST]!++;
  }

  /** A flow ended at `nowUs` (the table's clock): counted closed, its slot may be reused. */
  ended(slot: number, nowUs: number): void {
    if (slot >= this.#capacity || this.#flowId[slot] === 0 || this.#second < 0) return;
    if (nowUs >= this.#second + SECOND_US && this.#second >= 0) {
      this.#roll(nowUs - (nowUs % SECOND_US));
    }
    const record = this.#fold(slot);
    record.closedFlow++;
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
    const out = this.#records;
    this.#records = [];
    return out;
  }

  /** The first packet of a flow (as seen here) in `slot`: its key, and one new flow. */
  #begin(p: DecodedPacket, slot: number, dir: number, flowId: number): void {
    this.#flowId[slot] = flowId;
    this.#keys[slot] = "";
    const a = slot * 32;
    const size = p.ipVersion === 4 ? 4 : 16;
    const client = dir === 0 ? p.srcOffset : p.dstOffset;
    const server = dir === 0 ? p.dstOffset : p.srcOffset;
    const b = p.buffer;
    const addr = this.#addr;
    for (let i = 0; i < size; i++) {
      addr[a + i] = b[client + i]!;
      addr[a + 16 + i] = b[server + i]!;
    }
    const m = slot * META;
    this.#meta[m] = p.ipVersion;
    this.#meta[m + 1] = p.protocol;
    const ports = p.protocol === 6 || p.protocol === 17;
    this.#meta[m + 2] = ports ? (dir === 0 ? p.dstPort : p.srcPort) : 0;
    const c = slot * COUNTERS;
    if (this.#stamp[slot] !== this.#second) {
      this.#touch(slot, c);
    }
    this.#counts[c + NEW]!++;
  }

  #ipText(at: number, version: number): string {
    if (version !== 4) return formatAddress(this.#addr, at, version);
    const a = this.#addr;
    const word = ((a[at]! << 24) | (a[at + 1]! << 16) | (a[at + 2]! << 8) | a[at + 3]!) >>> 0;
    let text = this.#ipv4Text.get(word);
    if (text === undefined) {
      if (this.#ipv4Text.size >= IPV4_CACHE) this.#ipv4Text.clear();
      text = formatAddress(a, at, 4);
      this.#ipv4Text.set(word, text);
    }
    return text;
  }

  #touch(slot: number, c: number): void {
    this.#stamp[slot] = this.#second;
    // A slot ended and reused within the second is listed again: rare, so the list may grow.
    if (this.#touchedCount === this.#touched.length) {
      const longer = new Int32Array(this.#touched.length * 2);
      longer.set(this.#touched);
      this.#touched = longer;
    }
    this.#touched[this.#touchedCount++] = slot;
    const n = this.#counts;
    n[c] = 0;
    n[c + 1] = 0;
    n[c + 2] = 0;
    n[c + 3] = 0;
    n[c + 4] = 0;
    n[c + 5] = 0;
  }

  /** Moves a slot's counts of the open second into its key's record (made if needed). */
  #fold(slot: number): SecondRecord {
    let key = this.#keys[slot]!;
    const m = slot * META;
    if (key === "") {
      const version = this.#meta[m]!;
      this.#ip0[slot] = this.#ipText(slot * 32, version);
      this.#ip1[slot] = this.#ipText(slot * 32 + 16, version);
      key = `${this.#ip0[slot]}|${this.#ip1[slot]}|${this.#meta[m + 1]}|${this.#meta[m + 2]}`;
      this.#keys[slot] = key;
    }
    let record = this.#open.get(key);
    if (record === undefined) {
      record = {
        time: this.#second,
        ipVersion: this.#meta[m]!,
        ip0: this.#ip0[slot]!,
        ip1: this.#ip1[slot]!,
        protocol: this.#meta[m + 1]!,
        serverPort: this.#meta[m + 2]!,
        captureNic: this.#captureNic,
        observationPoint: this.#observationPoint,
        packetTx: 0,
        packetRx: 0,
        byteTx: 0,
        byteRx: 0,
        newFlow: 0,
        closedFlow: 0,
        rstCount: 0,
      };
      this.#open.set(key, record);
    }
    if (this.#stamp[slot] === this.#second) {
      const c = slot * COUNTERS;
      const n = this.#counts;
      record.packetTx += n[c + PACKETS]!;
      record.packetRx += n[c + PACKETS + 1]!;
      record.byteTx += n[c + BYTES]!;
      record.byteRx += n[c + BYTES + 1]!;
      record.newFlow += n[c + NEW]!;
      record.rstCount += n[c + RST]!;
      this.#stamp[slot] = -1;
    }
    return record;
  }

  /** Ends the open second and opens the one starting at `second`. */
  #roll(second: number): void {
    if (this.#second >= 0) {
      for (let i = 0; i < this.#touchedCount; i++) {
        const slot = this.#touched[i]!;
        if (this.#stamp[slot] === this.#second) this.#fold(slot);
      }
      for (const record of this.#open.values()) this.#records.push(record);
      this.#open.clear();
    }
    this.#touchedCount = 0;
    this.#second = second;
  }

  #grow(needed: number): void {
    let capacity = Math.max(this.#capacity, 16);
    while (capacity < needed) capacity *= 2;
    if (capacity === this.#capacity) return;
    const grown = <T extends Float64Array | Uint8Array | Uint32Array | Int32Array>(
      old: T,
      make: (n: number) => T,
      per: number,
    ): T => {
      const next = make(capacity * per);
      next.set(old);
      return next;
    };
    this.#flowId = grown(this.#flowId, (n) => new Float64Array(n), 1);
    this.#addr = grown(this.#addr, (n) => new Uint8Array(n), 32);
    this.#meta = grown(this.#meta, (n) => new Uint32Array(n), META);
    this.#counts = grown(this.#counts, (n) => new Float64Array(n), COUNTERS);
    const stamp = grown(this.#stamp, (n) => new Float64Array(n), 1);
    stamp.fill(-1, this.#capacity);
    this.#stamp = stamp;
    // Plain arrays kept packed (no holes) as the typed ones grow.
    for (let i = this.#keys.length; i < capacity; i++) {
      this.#keys.push("");
      this.#ip0.push("");
      this.#ip1.push("");
    }
    if (this.#touched.length < capacity) {
      this.#touched = grown(this.#touched, (n) => new Int32Array(n), 1);
    }
    this.#capacity = capacity;
  }
}
