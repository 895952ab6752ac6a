import { type DecodedPacket, formatAddress } from "../decode/mod.ts";
import type { FlowRecord } from "../wire/mod.ts";
import { senderIsClient } from "./direction.ts";

/** One bidirectional flow; side 0 is the client. Allocated once per flow, never per packet. */
class Flow {
  next: Flow | undefined = undefined;
  packetTx = 0;
  packetRx = 0;
  byteTx = 0;
  byteRx = 0;
  flags0 = 0;
  flags1 = 0;
  endTime: number;

  constructor(
    readonly flowId: number,
    readonly ipVersion: number,
    readonly vlan: number,
    readonly protocol: number,
    readonly c0: number,
    readonly c1: number,
    readonly c2: number,
    readonly c3: number,
    readonly clientPort: number,
    readonly s0: number,
    readonly s1: number,
    readonly s2: number,
    readonly s3: number,
    readonly serverPort: number,
    readonly ip0: string,
    readonly ip1: string,
    readonly startTime: number,
  ) {
    this.endTime = startTime;
  }
}

function word(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

/** murmur3's finalizer: spreads every input bit over the 32-bit result. */
function mix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function endpointHash(a0: number, a1: number, a2: number, a3: number, port: number): number {
  return mix(mix(mix(mix(a0 ^ Math.imul(port + 1, 0x9e3779b1)) ^ a1) ^ a2) ^ a3);
}

/** Counters of what {@link FlowTable.add} could not put in a flow of its own. */
export interface FlowTableStats {
  /** IP packets counted into flows. */
  packets: number;
  /** Their frame bytes. */
  bytes: number;
  /** IP fragments seen, first ones included. */
  fragments: number;
  /** Later fragments counted into the flow of their first fragment. */
  fragmentsMatched: number;
  /** Fragments whose first fragment (with the ports) was not seen first: counted here only. */
  fragmentsUnmatched: number;
}

/** Bound on remembered fragmented datagrams; the memory is cleared when it is reached. */
const MAX_PENDING_FRAGMENTS = 4096;

/**
 * Bidirectional flow table keyed by (VLAN, IP version, addresses, ports, protocol) in either
 * direction. The key is hashed from the packet bytes into a small integer (a Map bucket with a
 * chain) and checked field by field, so a packet of a known flow allocates nothing.
 */
export class FlowTable {
  readonly stats: FlowTableStats = {
    packets: 0,
    bytes: 0,
    fragments: 0,
    fragmentsMatched: 0,
    fragmentsUnmatched: 0,
  };
  readonly #buckets = new Map<number, Flow>();
  readonly #flows: Flow[] = [];
  /** Datagram (addresses, protocol, id) → its flow and whether the client sent it. */
  readonly #fragments = new Map<string, { flow: Flow; fromClient: boolean }>();
  #nextId: number;

  constructor(options: { firstFlowId?: number } = {}) {
    this.#nextId = options.firstFlowId ?? 1;
  }

  get size(): number {
    return this.#flows.length;
  }

  /** Counts a packet that `Decoder.decode()` returned Ok for. */
  add(p: DecodedPacket): void {
    if (p.isFragment) this.stats.fragments++;
    if (p.isLaterFragment) {
      this.#addLaterFragment(p);
      return;
    }
    const hasPorts = p.hasTransport && (p.protocol === 6 || p.protocol === 17);
    if (!hasPorts && (p.protocol === 6 || p.protocol === 17)) {
      // A first fragment too short for its ports: nothing to key it by.
      this.stats.fragmentsUnmatched++;
      return;
    }
    this.stats.packets++;
    this.stats.bytes += p.frameLength;
    const b = p.buffer;
    const v6 = p.ipVersion === 6;
    const src = p.srcOffset;
    const dst = p.dstOffset;
    const a0 = word(b, src);
    const a1 = v6 ? word(b, src + 4) : 0;
    const a2 = v6 ? word(b, src + 8) : 0;
    const a3 = v6 ? word(b, src + 12) : 0;
    const d0 = word(b, dst);
    const d1 = v6 ? word(b, dst + 4) : 0;
    const d2 = v6 ? word(b, dst + 8) : 0;
    const d3 = v6 ? word(b, dst + 12) : 0;
    const srcPort = hasPorts ? p.srcPort : 0;
    const dstPort = hasPorts ? p.dstPort : 0;
    const { protocol, vlan, ipVersion } = p;
    // The sum of the two endpoint hashes is the same in both directions.
    const key = mix(
      (endpointHash(a0, a1, a2, a3, srcPort) + endpointHash(d0, d1, d2, d3, dstPort)) ^
        Math.imul(protocol | (vlan << 8) | (ipVersion << 24), 0x27d4eb2d),
    ) & 0x3fffffff;
    const head = this.#buckets.get(key);
    let flow = head;
    let fromClient = true;
    for (; flow !== undefined; flow = flow.next) {
      if (flow.protocol !== protocol || flow.vlan !== vlan || flow.ipVersion !== ipVersion) {
        continue;
      }
      if (
        flow.c0 === a0 && flow.c1 === a1 && flow.c2 === a2 && flow.c3 === a3 &&
        flow.clientPort === srcPort && flow.s0 === d0 && flow.s1 === d1 && flow.s2 === d2 &&
        flow.s3 === d3 && flow.serverPort === dstPort
      ) break;
      if (
        flow.s0 === a0 && flow.s1 === a1 && flow.s2 === a2 && flow.s3 === a3 &&
        flow.serverPort === srcPort && flow.c0 === d0 && flow.c1 === d1 && flow.c2 === d2 &&
        flow.c3 === d3 && flow.clientPort === dstPort
      ) {
        fromClient = false;
        break;
      }
    }
    if (flow === undefined) {
      const srcText = formatAddress(b, src, ipVersion);
      const dstText = formatAddress(b, dst, ipVersion);
      const id = this.#nextId++;
      const ts = p.timestampUs;
      flow = senderIsClient(p)
        ? new Flow(
          id,
          ipVersion,
          vlan,
          protocol,
          a0,
          a1,
          a2,
          a3,
          srcPort,
          d0,
          d1,
          d2,
          d3,
          dstPort,
          srcText,
          dstText,
          ts,
        )
        : new Flow(
          id,
          ipVersion,
          vlan,
          protocol,
          d0,
          d1,
          d2,
          d3,
          dstPort,
          a0,
          a1,
          a2,
          a3,
          srcPort,
          dstText,
          srcText,
          ts,
        );
      fromClient = flow.c0 === a0 && flow.c1 === a1 && flow.c2 === a2 && flow.c3 === a3 &&
        flow.clientPort === srcPort;
      flow.next = head;
      this.#buckets.set(key, flow);
      this.#flows.push(flow);
    }
    this.#count(flow, fromClient, p);
    if (p.moreFragments) this.#rememberFragment(p, flow, fromClient);
  }

  #count(flow: Flow, fromClient: boolean, p: DecodedPacket): void {
    const flags = p.protocol === 6 ? p.tcpFlags : 0;
    if (fromClient) {
      flow.packetTx++;
      flow.byteTx += p.frameLength;
      flow.flags0 |= flags;
    } else {
      flow.packetRx++;
      flow.byteRx += p.frameLength;
      flow.flags1 |= flags;
    }
    if (p.timestampUs > flow.endTime) flow.endTime = p.timestampUs;
  }

  #fragmentKey(p: DecodedPacket): string {
    const b = p.buffer;
    const size = p.ipVersion === 4 ? 4 : 16;
    let key = `${p.vlan}/${p.protocol}/${p.fragmentId}/`;
    for (let i = 0; i < size; i++) key += `${b[p.srcOffset + i]}.`;
    for (let i = 0; i < size; i++) key += `${b[p.dstOffset + i]}.`;
    return key;
  }

  #rememberFragment(p: DecodedPacket, flow: Flow, fromClient: boolean): void {
    if (this.#fragments.size >= MAX_PENDING_FRAGMENTS) this.#fragments.clear();
    this.#fragments.set(this.#fragmentKey(p), { flow, fromClient });
  }

  #addLaterFragment(p: DecodedPacket): void {
    const known = this.#fragments.get(this.#fragmentKey(p));
    if (known === undefined) {
      this.stats.fragmentsUnmatched++;
      return;
    }
    this.stats.fragmentsMatched++;
    this.stats.packets++;
    this.stats.bytes += p.frameLength;
    this.#count(known.flow, known.fromClient, p);
  }

  /** The flows so far, in the order they were first seen. */
  records(): FlowRecord[] {
    return this.#flows.map((f) => ({
      flowId: f.flowId,
      startTime: f.startTime,
      endTime: f.endTime,
      ipVersion: f.ipVersion,
      ip0: f.ip0,
      ip1: f.ip1,
      clientPort: f.clientPort,
      serverPort: f.serverPort,
      protocol: f.protocol,
      vlan: f.vlan,
      packetTx: f.packetTx,
      packetRx: f.packetRx,
      byteTx: f.byteTx,
      byteRx: f.byteRx,
      tcpFlagsBit0: f.flags0,
      tcpFlagsBit1: f.flags1,
    }));
  }
}
