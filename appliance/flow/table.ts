import type { DecodedPacket } from "../decode/mod.ts";
import { CloseType, type FlowRecord } from "../wire/mod.ts";
import { senderIsClient } from "./direction.ts";
import { mix, readWord, tunnelKey } from "./key.ts";
import { type FlowRecordBatch, RecordLog } from "./record.ts";
import {
  ADDR,
  Bit,
  BITS,
  BYTES,
  CLASS_COUNT,
  F64_STRIDE,
  FIRST_TIME,
  FLAGS,
  FLOW_ID,
  FlowStore,
  HASH,
  KIND,
  L3_BYTES,
  L4_BYTES,
  LAST_TIME,
  PACKETS,
  PORT_PAIR,
  STATE,
  STRIDE_BYTES,
  TIMEOUT_CLASS,
  TOTAL_FLAGS,
  TUNNEL_ID,
  U32_STRIDE,
  VLAN_POINT,
} from "./store.ts";
import { closeTypeAtEnd, isTerminal, stateOf, timeoutClassOf, trackTcp } from "./tcp.ts";

/** Idle timeouts in seconds, by what the flow is doing. */
export interface FlowTimeouts {
  /** TCP handshake under way (SYN or SYN-ACK seen, no handshake ACK yet). */
  tcpOpening: number;
  /** TCP established (or first seen mid-stream). */
  tcpEstablished: number;
  /** One side sent a FIN, the other not yet. */
  tcpClosing: number;
  /** Both FINs or an RST seen: how long stragglers still count into the flow. */
  tcpClosed: number;
  udp: number;
  /** ICMP and every other protocol. */
  other: number;
}

/**
 * DeepFlow's agent defaults (`flow_timeout`: established 300 s, others 5 s, closing RST 35 s),
 * except a half close, which gets 35 s here to let the other side finish sending, and UDP, 30 s,
 * as common conntrack defaults do.
 */
export const DEFAULT_TIMEOUTS: Readonly<FlowTimeouts> = {
  tcpOpening: 5,
  tcpEstablished: 300,
  tcpClosing: 35,
  tcpClosed: 2,
  udp: 30,
  other: 5,
};

/** Live flows kept before the oldest idle one is reported and dropped (about 290 MB of table). */
export const DEFAULT_MAX_FLOWS = 1_000_000;

export interface FlowTableOptions {
  firstFlowId?: number;
  timeouts?: Partial<FlowTimeouts>;
  /** Bound on live flows; beyond it the oldest idle flow is emitted as Force Report. */
  maxFlows?: number;
  /** Slots allocated up front (the table doubles them as needed, up to `maxFlows`). */
  initialCapacity?: number;
  /** Observation point of each capture point (`add()`'s second argument); `"rest"` by default. */
  observationPoints?: readonly string[];
  /** Told the slot of each flow that ends, before the slot is freed (L7 state is per slot). */
  onFlowEnd?: (slot: number) => void;
}

/** What {@link FlowTable} counted, beyond the records. */
export interface FlowTableStats {
  /** IP packets counted into flows. */
  packets: number;
  /** Their frame bytes. */
  bytes: number;
  /** IP fragments seen, first ones included. */
  fragments: number;
  /** Later fragments counted into their datagram's flow (the decoder gave them its ports). */
  fragmentsMatched: number;
  /** TCP/UDP fragments without ports (their first fragment unseen): counted here only. */
  fragmentsUnmatched: number;
  /** Flows created. */
  flows: number;
  /** Flows emitted early to stay within `maxFlows`. */
  evicted: number;
  /** Records emitted. */
  records: number;
}

const MINUTE_US = 60_000_000;
const NONE = -1;
const SYN = 0x02;
const ACK = 0x10;

function floorMinute(us: number): number {
  return us - (us % MINUTE_US);
}

/**
 * True for a packet that carries a whole IP datagram: not a fragment, or the fragment that
 * completed a reassembly (the decoder then decodes the whole datagram). L3 bytes (the IP
 * payload: `transportLength`), L4 bytes (`payloadLength`) and TCP analysis count datagrams, as
 * tshark's TCP analysis does; the other fragments count only as packets and frame bytes.
 */
function isWholeDatagram(p: DecodedPacket): boolean {
  return p.reassembled || (p.fragmentOffset === 0 && !p.moreFragments);
}

/**
 * Bidirectional flow table keyed by the innermost (addresses, ports, protocol) in either direction
 * plus VLAN, tunnel (type and id) and capture point. Flows live in a {@link FlowStore}; a packet
 * of a known flow allocates nothing. Time is the packets' own (replay) or what `advance()` is
 * given (live): at every natural minute each flow that saw packets emits one record of that
 * minute's counters, and a flow that ends (closed, timed out, evicted) emits its last record with
 * its close type. Records wait in the table until `drain()`.
 */
export class FlowTable {
  readonly stats: FlowTableStats = {
    packets: 0,
    bytes: 0,
    fragments: 0,
    fragmentsMatched: 0,
    fragmentsUnmatched: 0,
    flows: 0,
    evicted: 0,
    records: 0,
  };
  readonly #store: FlowStore;
  readonly #timeoutUs: Float64Array = new Float64Array(CLASS_COUNT);
  readonly #maxFlows: number;
  readonly #observationPoints: readonly string[];
  readonly #onFlowEnd: ((slot: number) => void) | undefined;
  readonly #log = new RecordLog();
  #nextId: number;
  /** Start of the minute being counted; -1 before the first packet. */
  #minuteStart = -1;
  #clock = 0;
  /** Flows with packets in the current minute. */
  #active = 0;

  constructor(options: FlowTableOptions = {}) {
    this.#nextId = options.firstFlowId ?? 1;
    this.#maxFlows = options.maxFlows ?? DEFAULT_MAX_FLOWS;
    this.#observationPoints = options.observationPoints ?? [];
    this.#onFlowEnd = options.onFlowEnd;
    const t = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    [t.tcpOpening, t.tcpEstablished, t.tcpClosing, t.tcpClosed, t.udp, t.other].forEach(
      (seconds, cls) => this.#timeoutUs[cls] = seconds * 1e6,
    );
    const initial = Math.min(options.initialCapacity ?? 1024, this.#maxFlows);
    this.#store = new FlowStore(Math.max(16, initial));
  }

  /** Live flows. */
  get size(): number {
    return this.#store.live;
  }

  /** Bytes the table's typed arrays hold (slots at their current capacity, and the index). */
  get memoryBytes(): number {
    return this.#store.byteLength;
  }

  /** The table's clock: the latest packet time or `advance()` time, µs. */
  get clock(): number {
    return this.#clock;
  }

  /**
   * Counts a packet that `Decoder.decode()` returned Ok for, seen on capture point `point`.
   * Returns its flow side, `slot * 2` from the client or `slot * 2 + 1` from the server (for L7),
   * or -1 when it counts into no flow.
   */
  add(p: DecodedPacket, point = 0): number {
    const t = p.timestampUs;
    if (t >= this.#minuteStart + MINUTE_US || this.#minuteStart < 0) this.advance(t);
    else if (t > this.#clock) this.#clock = t;
    if (p.isFragment) this.stats.fragments++;
    const protocol = p.protocol;
    const tcp = protocol === 6;
    let hasPorts = p.hasTransport;
    if (tcp || protocol === 17) {
      if (!hasPorts) {
        if (!p.portsFromFirstFragment) {
          this.stats.fragmentsUnmatched++;
          return -1;
        }
        this.stats.fragmentsMatched++;
        hasPorts = true;
      }
    } else {
      hasPorts = false;
    }
    this.stats.packets++;
    this.stats.bytes += p.frameLength;

    // The key, in locals: addresses as words (IPv4: the first of four), ports, the rest.
    const b = p.buffer;
    const v6 = p.ipVersion === 6;
    const a0 = readWord(b, p.srcOffset);
    const a1 = v6 ? readWord(b, p.srcOffset + 4) : 0;
    const a2 = v6 ? readWord(b, p.srcOffset + 8) : 0;
    const a3 = v6 ? readWord(b, p.srcOffset + 12) : 0;
    const d0 = readWord(b, p.dstOffset);
    const d1 = v6 ? readWord(b, p.dstOffset + 4) : 0;
    const d2 = v6 ? readWord(b, p.dstOffset + 8) : 0;
    const d3 = v6 ? readWord(b, p.dstOffset + 12) : 0;
    const srcPort = hasPorts ? p.srcPort : 0;
    const dstPort = hasPorts ? p.dstPort : 0;
    const { vlan, ipVersion, tunnelType } = p;
    const keyTunnelId = tunnelKey(p);
    let hs = mix(a0 ^ Math.imul(srcPort + 1, 0x9e3779b1));
    let hd = mix(d0 ^ Math.imul(dstPort + 1, 0x9e3779b1));
    if (v6) {
      hs = mix(mix(mix(hs ^ a1) ^ a2) ^ a3);
      hd = mix(mix(mix(hd ^ d1) ^ d2) ^ d3);
    }
    const extra = keyTunnelId ^ Math.imul((point << 8) | tunnelType, 0x85ebca6b);
    // The sum of the two endpoint hashes is the same in both directions.
    const hash = mix(
      ((hs + hd) | 0) ^ Math.imul(protocol | (ipVersion << 8) | (vlan << 12), 0x27d4eb2d) ^
        (extra === 0 ? 0 : mix(extra)),
    ) >>> 0;

    // Linear probing; a slot matches in either direction. Ports, the small key fields and
    // VLAN + capture point are compared a word at a time.
    const s = this.#store;
    const index = s.index;
    const mask = index.length - 1;
    let u32 = s.u32;
    const portsForward = (srcPort | (dstPort << 16)) >>> 0;
    const portsReverse = (dstPort | (srcPort << 16)) >>> 0;
    const kind = protocol | (ipVersion << 8) | (tunnelType << 16);
    const place = (vlan | (point << 16)) >>> 0;
    let slot = NONE;
    let fromClient = true;
    for (let i = hash & mask;; i = (i + 1) & mask) {
      const entry = index[i]!;
      if (entry === 0) break;
      const c = (entry - 1) * U32_STRIDE;
      if (
        u32[c + HASH] !== hash || (u32[c + KIND]! & 0xffffff) !== kind ||
        u32[c + VLAN_POINT] !== place ||
        (keyTunnelId !== 0 && u32[c + TUNNEL_ID] !== keyTunnelId)
      ) continue;
      const k = c + ADDR;
      const ports = u32[c + PORT_PAIR]!;
      if (
        ports === portsForward && u32[k] === a0 && u32[k + 4] === d0 && u32[k + 1] === a1 &&
        u32[k + 2] === a2 && u32[k + 3] === a3 && u32[k + 5] === d1 && u32[k + 6] === d2 &&
        u32[k + 7] === d3
      ) {
        slot = entry - 1;
        break;
      }
      if (
        ports === portsReverse && u32[k] === d0 && u32[k + 4] === a0 && u32[k + 1] === d1 &&
        u32[k + 2] === d2 && u32[k + 3] === d3 && u32[k + 5] === a1 && u32[k + 6] === a2 &&
        u32[k + 7] === a3
      ) {
        slot = entry - 1;
        fromClient = false;
        break;
      }
    }
    if (slot !== NONE) {
      const last = s.lastTime(slot);
      const expiry = last + this.#timeoutUs[s.timeoutClass(slot)]!;
      if (expiry <= t) {
        // Idle past its timeout: that flow is over, this packet starts another.
        this.#finish(slot, closeTypeAtEnd(s, slot), isTerminal(stateOf(s, slot)) ? last : expiry);
        slot = NONE;
      } else if (
        tcp && (p.tcpFlags & (SYN | ACK)) === SYN && p.hasTransport && isTerminal(stateOf(s, slot))
      ) {
        // A new SYN on the ports of a flow that is over starts the next connection.
        this.#finish(slot, closeTypeAtEnd(s, slot), last);
        slot = NONE;
      }
    }
    const created = slot === NONE;
    if (created) {
      if (s.live >= this.#maxFlows) this.#evictOldest();
      if (s.live >= s.capacity) s.grow(Math.min(s.capacity * 2, this.#maxFlows));
      slot = s.allocate(hash);
      fromClient = senderIsClient(p);
      u32 = s.u32; // after grow(): the new view
      // The client's address and port first.
      const c = slot * U32_STRIDE;
      const k = c + ADDR;
      u32[k] = fromClient ? a0 : d0;
      u32[k + 1] = fromClient ? a1 : d1;
      u32[k + 2] = fromClient ? a2 : d2;
      u32[k + 3] = fromClient ? a3 : d3;
      u32[k + 4] = fromClient ? d0 : a0;
      u32[k + 5] = fromClient ? d1 : a1;
      u32[k + 6] = fromClient ? d2 : a2;
      u32[k + 7] = fromClient ? d3 : a3;
      u32[c + PORT_PAIR] = fromClient ? portsForward : portsReverse;
      u32[c + KIND] = kind;
      u32[c + VLAN_POINT] = place;
      u32[c + TUNNEL_ID] = p.tunnelId >>> 0;
      const f = slot * F64_STRIDE;
      s.f64[f + FLOW_ID] = this.#nextId++;
      s.f64[f + FIRST_TIME] = t;
      s.f64[f + LAST_TIME] = t;
      s.link(slot, timeoutClassOf(protocol, 0));
      this.stats.flows++;
    }

    const side = slot * 2 + (fromClient ? 0 : 1);
    const dir = fromClient ? 0 : 1;
    const u = slot * U32_STRIDE;
    const f = slot * F64_STRIDE;
    const f64 = s.f64;
    const u8 = s.u8;
    const at8 = slot * STRIDE_BYTES;
    if (u32[u + PACKETS]! + u32[u + PACKETS + 1]! === 0) this.#active++;
    u32[u + PACKETS + dir]!++;
    f64[f + BYTES + dir]! += p.frameLength;
    const whole = isWholeDatagram(p);
    if (whole) {
      f64[f + L3_BYTES + dir]! += p.transportLength;
      if (p.hasTransport) f64[f + L4_BYTES + dir]! += p.payloadLength;
    }
    if (t > f64[f + LAST_TIME]!) f64[f + LAST_TIME] = t;
    const state = u8[at8 + STATE]!;
    if (tcp) {
      const u16 = s.u16;
      u16[u * 2 + FLAGS + dir]! |= p.tcpFlags;
      u16[u * 2 + TOTAL_FLAGS + dir]! |= p.tcpFlags;
      if (p.hasTransport && whole) trackTcp(s, slot, fromClient, p);
    }
    // The timeout class follows the TCP state; a flow moves list only when it changes.
    const now = u8[at8 + STATE]!;
    if (created || now !== state) {
      const cls = timeoutClassOf(protocol, now);
      if (cls !== u8[at8 + TIMEOUT_CLASS]) {
        s.unlink(slot);
        s.link(slot, cls);
      }
    } else {
      s.u16[u * 2 + BITS]! |= Bit.Touched;
    }
    return side;
  }

  /** The flow id of a live flow's slot (0 for a free slot). */
  flowIdOf(slot: number): number {
    return this.#store.flowId(slot);
  }

  /**
   * Moves the clock to `nowUs` (wall time in live capture; packets do it themselves in a
   * replay). Each minute passed emits its records: one per flow that saw packets in it, and the
   * last one of every flow that ended in it (closed, or idle past its timeout).
   */
  advance(nowUs: number): void {
    if (this.#minuteStart < 0) this.#minuteStart = floorMinute(nowUs);
    if (nowUs > this.#clock) this.#clock = nowUs;
    while (nowUs >= this.#minuteStart + MINUTE_US) {
      const boundary = this.#minuteStart + MINUTE_US;
      const nextExpiry = this.#flushMinute(boundary);
      this.#minuteStart = boundary;
      if (this.#active === 0) {
        // Nothing counts in the new minute: skip to the minute of the next expiry (an expiry
        // on a minute boundary belongs to the minute before it) or of `nowUs`.
        const minute = floorMinute(Math.min(nowUs, nextExpiry) - 1);
        if (minute > this.#minuteStart) this.#minuteStart = minute;
      }
    }
  }

  /**
   * Ends every live flow, as at the end of the input: one that is over or idle past its timeout
   * gets its close type, the others are reported as Force Report.
   */
  finish(): void {
    const s = this.#store;
    for (let slot = 0; slot < s.highWater; slot++) {
      if (s.flowId(slot) === 0 || this.#endIfOver(slot, this.#clock)) continue;
      if (isTerminal(stateOf(s, slot))) {
        this.#finish(slot, closeTypeAtEnd(s, slot), s.lastTime(slot));
      } else {
        this.#finish(slot, CloseType.ForceReport, this.#clock);
      }
    }
  }

  /** The records emitted since the last call, in the order they were emitted. */
  drain(): FlowRecord[] {
    return this.drainBatch().toArray();
  }

  /**
   * The records emitted since the last call, as rows: objects are made only when the batch is
   * asked for them (see record.ts).
   */
  drainBatch(): FlowRecordBatch {
    return this.#log.takeBatch(this.#observationPoints);
  }

  /**
   * Ends the flow if it is idle past its timeout at `now` (closing or closed flows keep their
   * last packet as end time; the others end at the timeout). True when it ended.
   */
  #endIfOver(slot: number, now: number): boolean {
    const s = this.#store;
    const last = s.lastTime(slot);
    const expiry = last + this.#timeoutUs[s.timeoutClass(slot)]!;
    if (expiry > now) return false;
    this.#finish(slot, closeTypeAtEnd(s, slot), isTerminal(stateOf(s, slot)) ? last : expiry);
    return true;
  }

  /**
   * Emits the minute that ends at `boundary`: the last record of each flow that ended in it, one
   * record of each other flow that saw packets in it. Returns the earliest timeout still ahead.
   */
  #flushMinute(boundary: number): number {
    const s = this.#store;
    let nextExpiry = Infinity;
    for (let slot = 0; slot < s.highWater; slot++) {
      if (s.flowId(slot) === 0 || this.#endIfOver(slot, boundary)) continue;
      if (s.minutePackets(slot) > 0) {
        if (isTerminal(stateOf(s, slot))) {
          this.#finish(slot, closeTypeAtEnd(s, slot), s.lastTime(slot));
          continue;
        }
        this.#emit(slot, CloseType.Unknown, boundary);
        s.clearMinute(slot);
      }
      const expiry = s.lastTime(slot) + this.#timeoutUs[s.timeoutClass(slot)]!;
      if (expiry < nextExpiry) nextExpiry = expiry;
    }
    this.#active = 0;
    return nextExpiry;
  }

  /**
   * Makes room for a new flow: ends the least recently active flow of the timeout-class lists
   * (by its timeout if it is idle past it, else as Force Report). Lists are in the order flows
   * entered their class; a head that saw packets since goes back to the tail first (second
   * chance), so the victim is approximately the oldest idle flow.
   */
  #evictOldest(): void {
    const s = this.#store;
    let oldest = NONE;
    for (let cls = 0; cls < CLASS_COUNT; cls++) {
      let head = s.heads[cls]!;
      while (head !== NONE && (s.bits(head) & Bit.Touched) !== 0 && s.nextOf(head) !== NONE) {
        s.unlink(head);
        s.link(head, cls);
        head = s.heads[cls]!;
      }
      if (head !== NONE && (oldest === NONE || s.lastTime(head) < s.lastTime(oldest))) {
        oldest = head;
      }
    }
    if (oldest === NONE || this.#endIfOver(oldest, this.#clock)) return;
    this.stats.evicted++;
    if (isTerminal(stateOf(s, oldest))) {
      this.#finish(oldest, closeTypeAtEnd(s, oldest), s.lastTime(oldest));
    } else {
      this.#finish(oldest, CloseType.ForceReport, this.#clock);
    }
  }

  /** Emits the flow's last record and frees its slot. */
  #finish(slot: number, closeType: number, endTime: number): void {
    const s = this.#store;
    if (s.minutePackets(slot) > 0) this.#active--;
    this.#emit(slot, closeType, endTime);
    this.#onFlowEnd?.(slot);
    s.release(slot);
  }

  #emit(slot: number, closeType: number, endTime: number): void {
    this.#log.take(this.#store, slot, this.#minuteStart, endTime, closeType);
    this.stats.records++;
  }
}
