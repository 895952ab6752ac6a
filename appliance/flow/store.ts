/**
 * The flow table's memory: one slot per live flow, every field in its own typed array (struct of
 * arrays), so a live flow costs about 285 bytes and no object. Slots are found through an
 * open-addressing hash index (linear probing, backward-shift deletion), freed slots are reused,
 * and each slot sits in the doubly linked list of its idle-timeout class, in the order slots
 * entered it (the table's eviction gives touched heads a second chance).
 */

/** Per-slot state bits ({@link FlowStore.bits}). */
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

const NONE = -1;

function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(
  array: T,
  length: number,
): T {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
}

/** Struct-of-arrays storage of flows; index `i` of every array is slot `i` (× 2 for pairs). */
export class FlowStore {
  capacity: number;
  /** Slots handed out and not freed. */
  live = 0;

  // Key. `addr` holds 8 words per slot: client address (4 words), then server address.
  hash: Uint32Array;
  addr: Uint32Array;
  /** [client, server] ports, 2 per slot. */
  ports: Uint16Array;
  protocol: Uint8Array;
  ipVersion: Uint8Array;
  vlan: Uint16Array;
  tunnelType: Uint8Array;
  tunnelId: Uint32Array;
  capturePoint: Uint16Array;
  /** 0 marks a free slot. */
  flowId: Float64Array;

  // Times, µs since the epoch.
  firstTime: Float64Array;
  lastTime: Float64Array;
  /**
   * During the handshake the last SYN (then the last SYN-ACK); after it the last client data
   * segment, for SRT and ART.
   */
  eventTime: Float64Array;

  // This minute's counters; pairs are [client → server, server → client].
  packets: Uint32Array;
  bytes: Float64Array;
  l3Bytes: Float64Array;
  l4Bytes: Float64Array;
  flags: Uint16Array;
  retrans: Uint32Array;
  zeroWin: Uint32Array;
  synCount: Uint16Array;
  synackCount: Uint16Array;
  retransSyn: Uint16Array;
  retransSynack: Uint16Array;
  srtSum: Float64Array;
  srtCount: Uint32Array;
  srtMax: Uint32Array;
  artSum: Float64Array;
  artCount: Uint32Array;
  artMax: Uint32Array;

  // Whole-flow TCP state.
  /** OR of every TCP flag seen, per side. */
  totalFlags: Uint16Array;
  synSeq: Uint32Array;
  synAckSeq: Uint32Array;
  keepaliveSeq: Uint32Array;
  keepaliveAck: Uint32Array;
  /** Per side: one past the highest sequence number sent. */
  nextSeq: Uint32Array;
  /** Per side: the last gap seen below `nextSeq` (empty when start = end), for reordering. */
  holeStart: Uint32Array;
  holeEnd: Uint32Array;
  /** Per side: the highest acknowledgement number it sent. */
  ackSeen: Uint32Array;
  /** End of the client data that an SRT sample waits to see acknowledged. */
  srtSeq: Uint32Array;
  rttClient: Uint32Array;
  rttServer: Uint32Array;
  /** `TcpState` (see tcp.ts). */
  state: Uint8Array;
  /** {@link Bit} flags. */
  bits: Uint16Array;
  /** Close type decided by an RST; 0 while undecided. */
  closeType: Uint8Array;
  /** Idle-timeout class the slot is listed in. */
  timeoutClass: Uint8Array;

  /** Timeout-class lists; `next` also chains free slots. */
  prev: Int32Array;
  next: Int32Array;
  readonly heads: Int32Array = new Int32Array(CLASS_COUNT).fill(NONE);
  readonly tails: Int32Array = new Int32Array(CLASS_COUNT).fill(NONE);
  #free = NONE;
  /** Slots ever handed out: `[0, highWater)` holds every live slot. */
  highWater = 0;

  /** Open-addressing index: slot + 1, 0 when empty. Its length is a power of two ≥ 2 × capacity. */
  index: Int32Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    const n = capacity;
    this.hash = new Uint32Array(n);
    this.addr = new Uint32Array(n * 8);
    this.ports = new Uint16Array(n * 2);
    this.protocol = new Uint8Array(n);
    this.ipVersion = new Uint8Array(n);
    this.vlan = new Uint16Array(n);
    this.tunnelType = new Uint8Array(n);
    this.tunnelId = new Uint32Array(n);
    this.capturePoint = new Uint16Array(n);
    this.flowId = new Float64Array(n);
    this.firstTime = new Float64Array(n);
    this.lastTime = new Float64Array(n);
    this.eventTime = new Float64Array(n);
    this.packets = new Uint32Array(n * 2);
    this.bytes = new Float64Array(n * 2);
    this.l3Bytes = new Float64Array(n * 2);
    this.l4Bytes = new Float64Array(n * 2);
    this.flags = new Uint16Array(n * 2);
    this.retrans = new Uint32Array(n * 2);
    this.zeroWin = new Uint32Array(n * 2);
    this.synCount = new Uint16Array(n);
    this.synackCount = new Uint16Array(n);
    this.retransSyn = new Uint16Array(n);
    this.retransSynack = new Uint16Array(n);
    this.srtSum = new Float64Array(n);
    this.srtCount = new Uint32Array(n);
    this.srtMax = new Uint32Array(n);
    this.artSum = new Float64Array(n);
    this.artCount = new Uint32Array(n);
    this.artMax = new Uint32Array(n);
    this.totalFlags = new Uint16Array(n * 2);
    this.synSeq = new Uint32Array(n);
    this.synAckSeq = new Uint32Array(n);
    this.keepaliveSeq = new Uint32Array(n);
    this.keepaliveAck = new Uint32Array(n);
    this.nextSeq = new Uint32Array(n * 2);
    this.holeStart = new Uint32Array(n * 2);
    this.holeEnd = new Uint32Array(n * 2);
    this.ackSeen = new Uint32Array(n * 2);
    this.srtSeq = new Uint32Array(n);
    this.rttClient = new Uint32Array(n);
    this.rttServer = new Uint32Array(n);
    this.state = new Uint8Array(n);
    this.bits = new Uint16Array(n);
    this.closeType = new Uint8Array(n);
    this.timeoutClass = new Uint8Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.index = new Int32Array(indexSize(n));
  }

  /** Raises the capacity to `n` slots (and rebuilds the index). */
  grow(n: number): void {
    this.capacity = n;
    this.hash = grown(this.hash, n);
    this.addr = grown(this.addr, n * 8);
    this.ports = grown(this.ports, n * 2);
    this.protocol = grown(this.protocol, n);
    this.ipVersion = grown(this.ipVersion, n);
    this.vlan = grown(this.vlan, n);
    this.tunnelType = grown(this.tunnelType, n);
    this.tunnelId = grown(this.tunnelId, n);
    this.capturePoint = grown(this.capturePoint, n);
    this.flowId = grown(this.flowId, n);
    this.firstTime = grown(this.firstTime, n);
    this.lastTime = grown(this.lastTime, n);
    this.eventTime = grown(this.eventTime, n);
    this.packets = grown(this.packets, n * 2);
    this.bytes = grown(this.bytes, n * 2);
    this.l3Bytes = grown(this.l3Bytes, n * 2);
    this.l4Bytes = grown(this.l4Bytes, n * 2);
    this.flags = grown(this.flags, n * 2);
    this.retrans = grown(this.retrans, n * 2);
    this.zeroWin = grown(this.zeroWin, n * 2);
    this.synCount = grown(this.synCount, n);
    this.synackCount = grown(this.synackCount, n);
    this.retransSyn = grown(this.retransSyn, n);
    this.retransSynack = grown(this.retransSynack, n);
    this.srtSum = grown(this.srtSum, n);
    this.srtCount = grown(this.srtCount, n);
    this.srtMax = grown(this.srtMax, n);
    this.artSum = grown(this.artSum, n);
    this.artCount = grown(this.artCount, n);
    this.artMax = grown(this.artMax, n);
    this.totalFlags = grown(this.totalFlags, n * 2);
    this.synSeq = grown(this.synSeq, n);
    this.synAckSeq = grown(this.synAckSeq, n);
    this.keepaliveSeq = grown(this.keepaliveSeq, n);
    this.keepaliveAck = grown(this.keepaliveAck, n);
    this.nextSeq = grown(this.nextSeq, n * 2);
    this.holeStart = grown(this.holeStart, n * 2);
    this.holeEnd = grown(this.holeEnd, n * 2);
    this.ackSeen = grown(this.ackSeen, n * 2);
    this.srtSeq = grown(this.srtSeq, n);
    this.rttClient = grown(this.rttClient, n);
    this.rttServer = grown(this.rttServer, n);
    this.state = grown(this.state, n);
    this.bits = grown(this.bits, n);
    this.closeType = grown(this.closeType, n);
    this.timeoutClass = grown(this.timeoutClass, n);
    this.prev = grown(this.prev, n);
    this.next = grown(this.next, n);
    this.index = new Int32Array(indexSize(n));
    const mask = this.index.length - 1;
    for (let slot = 0; slot < this.highWater; slot++) {
      if (this.flowId[slot] === 0) continue;
      let i = this.hash[slot]! & mask;
      while (this.index[i] !== 0) i = (i + 1) & mask;
      this.index[i] = slot + 1;
    }
  }

  /** A cleared slot for a new flow (the caller checks `live < capacity` or grows first). */
  allocate(hash: number): number {
    let slot: number;
    if (this.#free !== NONE) {
      slot = this.#free;
      this.#free = this.next[slot]!;
    } else {
      slot = this.highWater++;
    }
    this.live++;
    this.#clear(slot);
    this.hash[slot] = hash;
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
    const mask = index.length - 1;
    let i = this.hash[slot]! & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    // Backward-shift deletion: pull later entries of the probe run into the hole when their
    // home bucket is not between the hole and where they sit.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const entry = index[j]!;
      if (entry === 0) break;
      const home = this.hash[entry - 1]! & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index[i] = entry;
        i = j;
      }
    }
    index[i] = 0;
    this.flowId[slot] = 0;
    this.next[slot] = this.#free;
    this.#free = slot;
    this.live--;
  }

  /** Appends the slot to the tail of a timeout class's list (and clears its Touched bit). */
  link(slot: number, cls: number): void {
    const tail = this.tails[cls]!;
    this.prev[slot] = tail;
    this.next[slot] = NONE;
    if (tail === NONE) this.heads[cls] = slot;
    else this.next[tail] = slot;
    this.tails[cls] = slot;
    this.timeoutClass[slot] = cls;
    this.bits[slot]! &= ~Bit.Touched;
  }

  unlink(slot: number): void {
    const cls = this.timeoutClass[slot]!;
    const prev = this.prev[slot]!;
    const next = this.next[slot]!;
    if (prev === NONE) this.heads[cls] = next;
    else this.next[prev] = next;
    if (next === NONE) this.tails[cls] = prev;
    else this.prev[next] = prev;
  }

  /** Zeroes this minute's counters of a slot. */
  clearMinute(slot: number): void {
    const a = slot * 2;
    const b = a + 1;
    this.packets[a] = this.packets[b] = 0;
    this.bytes[a] = this.bytes[b] = 0;
    this.l3Bytes[a] = this.l3Bytes[b] = 0;
    this.l4Bytes[a] = this.l4Bytes[b] = 0;
    this.flags[a] = this.flags[b] = 0;
    this.retrans[a] = this.retrans[b] = 0;
    this.zeroWin[a] = this.zeroWin[b] = 0;
    this.synCount[slot] = this.synackCount[slot] = 0;
    this.retransSyn[slot] = this.retransSynack[slot] = 0;
    this.srtSum[slot] = this.srtCount[slot] = this.srtMax[slot] = 0;
    this.artSum[slot] = this.artCount[slot] = this.artMax[slot] = 0;
  }

  #clear(slot: number): void {
    this.clearMinute(slot);
    const a = slot * 2;
    this.totalFlags[a] = this.totalFlags[a + 1] = 0;
    this.nextSeq[a] = this.nextSeq[a + 1] = 0;
    this.holeStart[a] =
      this.holeStart[a + 1] =
      this.holeEnd[a] =
      this.holeEnd[a + 1] =
        0;
    this.eventTime[slot] = 0;
    this.ackSeen[a] = this.ackSeen[a + 1] = 0;
    this.synSeq[slot] = this.synAckSeq[slot] = 0;
    this.keepaliveSeq[slot] = this.keepaliveAck[slot] = 0;
    this.srtSeq[slot] = this.rttClient[slot] = this.rttServer[slot] = 0;
    this.state[slot] = this.bits[slot] = this.closeType[slot] = 0;
  }
}

function indexSize(capacity: number): number {
  let size = 16;
  while (size < capacity * 2) size *= 2;
  return size;
}
