/**
 * The flow table's memory: one 280-byte record per live flow in one ArrayBuffer, read through
 * four views of it (Float64Array, Uint32Array, Uint16Array, Uint8Array), so a live flow costs
 * about 290 bytes (index included) and no object. The fields a packet of an established flow
 * touches (key, counters, times, TCP sequence state) sit together in the first ~156 bytes: a
 * packet reads three or four cache lines, not one per field as separate arrays would make it.
 *
 * Slots are found through an open-addressing hash index (linear probing, backward-shift
 * deletion), freed slots are reused, and each slot sits in the doubly linked list of its
 * idle-timeout class, in the order slots entered it (the table's eviction gives touched heads a
 * second chance).
 *
 * Field offsets are in units of their view, from the slot's base in that view: `slot *
 * F64_STRIDE` for f64 fields, `slot * U32_STRIDE` for u32 fields, twice / four times that for u16 /
 * u8 fields. Pairs are [client → server, server → client]: add the direction (0 or 1).
 */

/** Per-slot state bits (u16 field {@link BITS}). */
export const Bit = {
  /** A record of this flow has been emitted: later ones are not new. */
  Emitted: 1,
  /** The handshake RTT was measured and is not yet reported. */
  RttPending: 2,
  /** `nextSeq` of the client / server side holds a value. */
  ClientSeq: 4,
  ServerSeq: 8,
  /** The server repeated its SYN-ACK after the client's handshake ACK and sent no data since. */
  QueueOverflow: 16,
  /** Payload was seen in either direction. */
  Payload: 32,
  /** Client data waits for the server's pure ACK (SRT) / the server's data (ART). */
  SrtPending: 64,
  ArtPending: 128,
  /** A packet came since the slot was put on its list (eviction's second chance). */
  Touched: 256,
  /** `ackSeen` of the client / server side holds a value. */
  ClientAcked: 512,
  ServerAcked: 1024,
} as const;

/** Number of idle-timeout classes (the lists a slot can be in). */
export const CLASS_COUNT = 6;

/** Bytes per slot, and the same in words of each view. */
export const STRIDE_BYTES = 280;
export const F64_STRIDE = STRIDE_BYTES / 8;
export const U32_STRIDE = STRIDE_BYTES / 4;

// f64 fields. Hot: bytes 0–63.
/** Time of the flow's latest packet, µs since the epoch. */
export const LAST_TIME = 0;
/** This minute's frame bytes, L3 bytes (IP payload) and L4 bytes (application payload): pairs. */
export const BYTES = 1;
export const L3_BYTES = 3;
export const L4_BYTES = 5;
/**
 * During the handshake the last SYN (then the last SYN-ACK); after it the last client data
 * segment, for SRT and ART.
 */
export const EVENT_TIME = 7;
// Cold: bytes 160–191.
export const FIRST_TIME = 20;
/** 0 marks a free slot. */
export const FLOW_ID = 21;
export const SRT_SUM = 22;
export const ART_SUM = 23;

// u32 fields. Hot: bytes 64–155.
export const HASH = 16;
/** 8 words: the client address (4 words; IPv4 uses the first), then the server address. */
export const ADDR = 17;
/** u16 [client, server] ports as one word (see {@link PORTS}), for comparing both at once. */
export const PORT_PAIR = 25;
/** Protocol, IP version, tunnel type and timeout class as one word (see {@link PROTOCOL}). */
export const KIND = 26;
/** VLAN and capture point as one word (see {@link VLAN}). */
export const VLAN_POINT = 27;
export const TUNNEL_ID = 28;
/** This minute's packets: pair. */
export const PACKETS = 29;
/** Per side: one past the highest sequence number sent. */
export const NEXT_SEQ = 34;
/** Per side: the highest acknowledgement number it sent. */
export const ACK_SEEN = 36;
/** End of the client data that an SRT sample waits to see acknowledged. */
export const SRT_SEQ = 38;
// Cold: bytes 192–279.
export const RETRANS = 48;
export const ZERO_WIN = 50;
/** Per side: the last gap seen below `nextSeq` (empty when start = end), for reordering. */
export const HOLE_START = 52;
export const HOLE_END = 54;
export const SRT_COUNT = 58;
export const SRT_MAX = 59;
export const ART_COUNT = 60;
export const ART_MAX = 61;
export const SYN_SEQ = 62;
export const SYN_ACK_SEQ = 63;
export const KEEPALIVE_SEQ = 64;
export const KEEPALIVE_ACK = 65;
export const RTT_CLIENT = 66;
export const RTT_SERVER = 67;
/** Timeout-class list links (as int32: -1 for none); `NEXT` also chains free slots. */
export const PREV = 68;
export const NEXT = 69;

// u16 fields (offsets in u16 words from `slot * U32_STRIDE * 2`).
/** [client, server] ports. */
export const PORTS = 50;
export const VLAN = 54;
export const CAPTURE_POINT = 55;
/** This minute's TCP flags (pair), and every flag seen over the flow (pair). */
export const FLAGS = 62;
export const TOTAL_FLAGS = 64;
/** {@link Bit} flags. */
export const BITS = 66;
export const SYN_COUNT = 112;
export const SYNACK_COUNT = 113;
export const RETRANS_SYN = 114;
export const RETRANS_SYNACK = 115;

// u8 fields (offsets in bytes from `slot * STRIDE_BYTES`).
export const PROTOCOL = 104;
export const IP_VERSION = 105;
export const TUNNEL_TYPE = 106;
/** Idle-timeout class the slot is listed in. */
export const TIMEOUT_CLASS = 107;
/** `TcpState` (see tcp.ts). */
export const STATE = 134;
/** Close type decided by an RST; 0 while undecided. */
export const CLOSE_TYPE = 135;

const NONE = -1;

// The word fields above (PORT_PAIR, KIND, VLAN_POINT) read the smaller fields they cover in
// little-endian order, as typed arrays do on every platform Deno runs on.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("the flow store needs a little-endian platform");
}

/** Slots stored as fixed-stride records in one buffer; see the module comment for the layout. */
export class FlowStore {
  capacity: number;
  /** Slots handed out and not freed. */
  live = 0;

  f64: Float64Array;
  u32: Uint32Array;
  /** The same words as `u32`, signed (the list links). */
  i32: Int32Array;
  u16: Uint16Array;
  u8: Uint8Array;

  readonly heads: Int32Array = new Int32Array(CLASS_COUNT).fill(NONE);
  readonly tails: Int32Array = new Int32Array(CLASS_COUNT).fill(NONE);
  #free = NONE;
  /** Slots ever handed out: `[0, highWater)` holds every live slot. */
  highWater = 0;

  /** Open-addressing index: slot + 1, 0 when empty. Its length is a power of two ≥ 2 × capacity. */
  index: Int32Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    const buffer = new ArrayBuffer(capacity * STRIDE_BYTES);
    this.f64 = new Float64Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.index = new Int32Array(indexSize(capacity));
  }

  /** Raises the capacity to `n` slots (and rebuilds the index). */
  grow(n: number): void {
    this.capacity = n;
    const buffer = new ArrayBuffer(n * STRIDE_BYTES);
    const bytes = new Uint8Array(buffer);
    bytes.set(this.u8);
    this.f64 = new Float64Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u8 = bytes;
    this.index = new Int32Array(indexSize(n));
    const mask = this.index.length - 1;
    for (let slot = 0; slot < this.highWater; slot++) {
      if (this.f64[slot * F64_STRIDE + FLOW_ID] === 0) continue;
      let i = this.u32[slot * U32_STRIDE + HASH]! & mask;
      while (this.index[i] !== 0) i = (i + 1) & mask;
      this.index[i] = slot + 1;
    }
  }

  /** The flow id of a slot; 0 when the slot is free. */
  flowId(slot: number): number {
    return this.f64[slot * F64_STRIDE + FLOW_ID]!;
  }

  /** Bytes of the slots' buffer and the index. */
  get byteLength(): number {
    return this.u8.byteLength + this.index.byteLength;
  }

  /** Time of the slot's latest packet, µs. */
  lastTime(slot: number): number {
    return this.f64[slot * F64_STRIDE + LAST_TIME]!;
  }

  /** Capture point the slot's flow was seen on. */
  capturePoint(slot: number): number {
    return this.u16[slot * U32_STRIDE * 2 + CAPTURE_POINT]!;
  }

  /** Idle-timeout class of the slot. */
  timeoutClass(slot: number): number {
    return this.u8[slot * STRIDE_BYTES + TIMEOUT_CLASS]!;
  }

  /** {@link Bit} flags of the slot. */
  bits(slot: number): number {
    return this.u16[slot * U32_STRIDE * 2 + BITS]!;
  }

  /** A cleared slot for a new flow (the caller checks `live < capacity` or grows first). */
  allocate(hash: number): number {
    let slot: number;
    if (this.#free !== NONE) {
      slot = this.#free;
      this.#free = this.i32[slot * U32_STRIDE + NEXT]!;
    } else {
      slot = this.highWater++;
    }
    this.live++;
    const base = slot * U32_STRIDE;
    this.u32.fill(0, base, base + U32_STRIDE);
    this.u32[base + HASH] = hash;
    const mask = this.index.length - 1;
    let i = hash & mask;
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = slot + 1;
    return slot;
  }

  /** Removes a slot from the index and its list, and returns it to the free list. */
  release(slot: number): void {
    this.unlink(slot);
    const index = this.index;
    const u32 = this.u32;
    const mask = index.length - 1;
    let i = u32[slot * U32_STRIDE + HASH]! & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    // Backward-shift deletion: pull later entries of the probe run into the hole when their
    // home bucket is not between the hole and where they sit.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const entry = index[j]!;
      if (entry === 0) break;
      const home = u32[(entry - 1) * U32_STRIDE + HASH]! & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index[i] = entry;
        i = j;
      }
    }
    index[i] = 0;
    this.f64[slot * F64_STRIDE + FLOW_ID] = 0;
    this.i32[slot * U32_STRIDE + NEXT] = this.#free;
    this.#free = slot;
    this.live--;
  }

  /** Appends the slot to the tail of a timeout class's list (and clears its Touched bit). */
  link(slot: number, cls: number): void {
    const base = slot * U32_STRIDE;
    const i32 = this.i32;
    const tail = this.tails[cls]!;
    i32[base + PREV] = tail;
    i32[base + NEXT] = NONE;
    if (tail === NONE) this.heads[cls] = slot;
    else i32[tail * U32_STRIDE + NEXT] = slot;
    this.tails[cls] = slot;
    this.u8[base * 4 + TIMEOUT_CLASS] = cls;
    this.u16[base * 2 + BITS]! &= ~Bit.Touched;
  }

  unlink(slot: number): void {
    const base = slot * U32_STRIDE;
    const i32 = this.i32;
    const cls = this.u8[base * 4 + TIMEOUT_CLASS]!;
    const prev = i32[base + PREV]!;
    const next = i32[base + NEXT]!;
    if (prev === NONE) this.heads[cls] = next;
    else i32[prev * U32_STRIDE + NEXT] = next;
    if (next === NONE) this.tails[cls] = prev;
    else i32[next * U32_STRIDE + PREV] = prev;
  }

  /** The list neighbour after `slot` in its timeout class (-1 at the tail). */
  nextOf(slot: number): number {
    return this.i32[slot * U32_STRIDE + NEXT]!;
  }

  /** Packets of this minute, both directions. */
  minutePackets(slot: number): number {
    const at = slot * U32_STRIDE + PACKETS;
    return this.u32[at]! + this.u32[at + 1]!;
  }

  /** Zeroes this minute's counters of a slot. */
  clearMinute(slot: number): void {
    const f = slot * F64_STRIDE;
    const u = slot * U32_STRIDE;
    const h = u * 2;
    const f64 = this.f64;
    const u32 = this.u32;
    const u16 = this.u16;
    u32[u + PACKETS] = u32[u + PACKETS + 1] = 0;
    f64[f + BYTES] = f64[f + BYTES + 1] = 0;
    f64[f + L3_BYTES] = f64[f + L3_BYTES + 1] = 0;
    f64[f + L4_BYTES] = f64[f + L4_BYTES + 1] = 0;
    u16[h + FLAGS] = u16[h + FLAGS + 1] = 0;
    u32[u + RETRANS] = u32[u + RETRANS + 1] = 0;
    u32[u + ZERO_WIN] = u32[u + ZERO_WIN + 1] = 0;
    u16[h + SYN_COUNT] = u16[h + SYNACK_COUNT] = 0;
    u16[h + RETRANS_SYN] = u16[h + RETRANS_SYNACK] = 0;
    f64[f + SRT_SUM] = f64[f + ART_SUM] = 0;
    u32[u + SRT_COUNT] = u32[u + SRT_MAX] = 0;
    u32[u + ART_COUNT] = u32[u + ART_MAX] = 0;
  }
}

function indexSize(capacity: number): number {
  let size = 16;
  while (size < capacity * 2) size *= 2;
  return size;
}
