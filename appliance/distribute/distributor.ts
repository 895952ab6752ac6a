/**
 * The per-packet path of distribution: for each enabled policy in order, filter → direction →
 * strip → slice → mask → dedup → rate limit / fuse → encapsulate → send to its points (every point,
 * or one by flow hash). A matching `drop` policy ends the walk for that packet, so drop policies go
 * first. Buffers are allocated once; counters are kept per policy and per point.
 */
import type { CapturedPacket } from "../capture/mod.ts";
import { LinkType } from "../capture/mod.ts";
import { PacketFilter, type PacketFilterOptions } from "../policy/mod.ts";
import { overhead, TunnelState, writeInnerFrame, writeTunnelHeader } from "./encap.ts";
import { fingerprint, flowHash, FrameLayout, locate, mask, sliceLength, strip } from "./frame.ts";
import { DedupTable, Fuse, TokenBucket } from "./limit.ts";
import { type PacketSink, SLOT_BYTES, SocketSink } from "./sender.ts";
import { type DistributionPoint, type DistributionPolicy, ipVersion } from "./types.ts";

export const POLICY_DROP_REASONS = [
  "filter",
  "direction",
  "action",
  "linkType",
  "dedup",
  "rateLimit",
  "fuse",
] as const;
export type PolicyDropReason = typeof POLICY_DROP_REASONS[number];

export interface PolicyCounters {
  id: string;
  name: string;
  /** Packets that passed filter and direction. */
  matched: number;
  /** Packets (and inner bytes) sent on, counted once however many points got a copy. */
  packets: number;
  bytes: number;
  dropped: Record<PolicyDropReason, number>;
}

export interface PointCounters {
  id: string;
  name: string;
  packets: number;
  /** Datagram payload bytes (tunnel header + inner frame). */
  bytes: number;
  /** Inner frames cut to fit the point's MTU. */
  truncated: number;
  dropped: { sendError: number };
  lastError: string;
}

interface PointRuntime {
  point: DistributionPoint;
  sink: PacketSink;
  state: TunnelState;
  /** Longest inner frame that fits the MTU. */
  maxInner: number;
  counters: PointCounters;
}

interface PolicyRuntime {
  policy: DistributionPolicy;
  filter: PacketFilter | undefined;
  dedup: DedupTable | undefined;
  bucket: TokenBucket | undefined;
  fuse: Fuse | undefined;
  points: PointRuntime[];
  counters: PolicyCounters;
}

export interface DistributorOptions {
  /** Link type the filters are compiled for first (default Ethernet). */
  linkType?: number;
  filter?: PacketFilterOptions;
  /** Opens a point's sink; default: a {@link SocketSink}. */
  openSink?: (point: DistributionPoint) => PacketSink;
}

/** Opens the socket a point sends through. */
export function openPointSink(point: DistributionPoint): PacketSink {
  return new SocketSink({
    tunnel: point.tunnel === "vxlan" ? "udp" : "gre",
    destination: point.destination,
    port: point.port,
    source: point.source,
  });
}

/** A sink that refuses everything: a point whose socket could not be opened. */
class FailedSink implements PacketSink {
  errors = 0;
  readonly #slot = new Uint8Array(SLOT_BYTES);
  constructor(public lastError: string) {}
  slot(): Uint8Array {
    return this.#slot;
  }
  commit(): void {
    this.errors++;
  }
  flush(): void {}
  close(): void {}
}

function emptyDrops(): Record<PolicyDropReason, number> {
  return Object.fromEntries(POLICY_DROP_REASONS.map((r) => [r, 0])) as Record<
    PolicyDropReason,
    number
  >;
}

/** Applies distribution policies to packets; see the file comment for the order. */
export class Distributor {
  readonly #policies: PolicyRuntime[] = [];
  readonly #points = new Map<string, PointRuntime>();
  readonly #work = new Uint8Array(65_536 + 64);
  readonly #layout = new FrameLayout();
  readonly #scratch = new FrameLayout();
  readonly #hash = new Uint32Array(2);

  /** Compiles every filter and opens every point once; throws FilterError on a bad filter. */
  constructor(policies: DistributionPolicy[], options: DistributorOptions = {}) {
    const open = options.openSink ?? openPointSink;
    const linkType = options.linkType ?? LinkType.Ethernet;
    for (const policy of policies) {
      const points = policy.points.map((point) => {
        let runtime = this.#points.get(point.id);
        if (runtime === undefined) {
          let sink: PacketSink;
          try {
            sink = open(point);
          } catch (err) {
            sink = new FailedSink(err instanceof Error ? err.message : String(err));
          }
          const family = ipVersion(point.destination) === 6 ? 6 : 4;
          runtime = {
            point,
            sink,
            state: new TunnelState(),
            maxInner: point.mtu - overhead(point, family) - (point.vlan === null ? 0 : 4),
            counters: {
              id: point.id,
              name: point.name,
              packets: 0,
              bytes: 0,
              truncated: 0,
              dropped: { sendError: 0 },
              lastError: "",
            },
          };
          this.#points.set(point.id, runtime);
        }
        return runtime;
      });
      this.#policies.push({
        policy,
        filter: policy.filter.trim() === ""
          ? undefined
          : new PacketFilter(policy.filter, linkType, options.filter),
        dedup: policy.dedup.enabled ? new DedupTable(policy.dedup.windowMs) : undefined,
        bucket: policy.bandwidthBps === null ? undefined : new TokenBucket(policy.bandwidthBps),
        fuse: policy.fuseBps === null ? undefined : new Fuse(policy.fuseBps),
        points,
        counters: {
          id: policy.id,
          name: policy.name,
          matched: 0,
          packets: 0,
          bytes: 0,
          dropped: emptyDrops(),
        },
      });
    }
  }

  /** Runs one packet through every enabled policy. */
  process(packet: CapturedPacket): void {
    for (let i = 0; i < this.#policies.length; i++) {
      const p = this.#policies[i]!;
      if (!p.policy.enabled) continue;
      if (this.#apply(p, packet)) return;
    }
  }

  /** Returns true when a drop policy matched (no later policy sees the packet). */
  #apply(p: PolicyRuntime, packet: CapturedPacket): boolean {
    const c = p.counters;
    if (p.filter !== undefined && !p.filter.matches(packet)) {
      c.dropped.filter++;
      return false;
    }
    if (packet.linkType !== LinkType.Ethernet) {
      c.dropped.linkType++;
      return false;
    }
    const policy = p.policy;
    const b = packet.buffer;
    const start = packet.dataOffset;
    const end = start + packet.capturedLength;
    const work = this.#work;
    const layout = this.#layout;
    let length = strip(b, start, end, policy.strip, this.#scratch, work);
    locate(work, 0, length, layout);
    if (policy.direction !== "both") {
      // Client → server: the client's port is the higher (ephemeral) one; a SYN without ACK
      // always comes from the client. Packets without ports match only "both".
      const syn = layout.protocol === 6 && (layout.tcpFlags & 0x12) === 0x02;
      const c2s = syn || layout.srcPort > layout.dstPort;
      const known = layout.l4 >= 0 && layout.protocol !== 47 && layout.srcPort !== layout.dstPort;
      if (!known || c2s !== (policy.direction === "c2s")) {
        c.dropped.direction++;
        return false;
      }
    }
    c.matched++;
    if (policy.action === "drop") {
      c.dropped.action++;
      return true;
    }
    if (policy.slice !== null) {
      length = sliceLength(length, layout, policy.slice.from, policy.slice.bytes);
    }
    for (let m = 0; m < policy.masks.length; m++) {
      const range = policy.masks[m]!;
      const base = range.from === "start" ? 0 : (layout.l3 < 0 ? 0 : layout.payload);
      mask(work, length, base, range.offset, range.length);
    }
    const now = packet.timestampUs;
    if (p.dedup !== undefined) {
      fingerprint(work, length, layout, this.#hash);
      if (p.dedup.isDuplicate(this.#hash, now)) {
        c.dropped.dedup++;
        return false;
      }
    }
    const copies = policy.mode === "replicate" ? p.points.length : 1;
    const cost = length * copies;
    if (p.fuse !== undefined && !p.fuse.offer(cost, now)) {
      c.dropped.fuse++;
      return false;
    }
    if (p.bucket !== undefined && !p.bucket.take(cost, now)) {
      c.dropped.rateLimit++;
      return false;
    }
    c.packets++;
    c.bytes += length;
    if (policy.mode === "replicate") {
      for (let k = 0; k < p.points.length; k++) this.#send(p.points[k]!, length, now);
    } else if (p.points.length > 0) {
      this.#send(p.points[flowHash(work, layout) % p.points.length]!, length, now);
    }
    return false;
  }

  #send(point: PointRuntime, length: number, timeUs: number): void {
    const out = point.sink.slot();
    let inner = length;
    if (inner > point.maxInner) {
      inner = point.maxInner;
      point.counters.truncated++;
    }
    const etherType = inner >= 16 ? (this.#work[12]! << 8) | this.#work[13]! : 0;
    const frameVlan = etherType === 0x8100 ? ((this.#work[14]! & 0xf) << 8) | this.#work[15]! : 0;
    const header = writeTunnelHeader(point.point, point.state, out, {
      timeUs,
      frameVlan: point.point.vlan ?? frameVlan,
    });
    const total = header + writeInnerFrame(this.#work, inner, point.point.vlan, out, header);
    point.sink.commit(total);
    point.counters.packets++;
    point.counters.bytes += total;
  }

  /** Sends everything queued (call at the end of a replay and on a timer when live). */
  flush(): void {
    for (const point of this.#points.values()) point.sink.flush();
  }

  /** Flushes and closes every point's socket. */
  close(): void {
    for (const point of this.#points.values()) point.sink.close();
  }

  /** A snapshot of the counters; send errors are final only after {@link flush}. */
  counters(): { policies: PolicyCounters[]; points: PointCounters[] } {
    return {
      policies: this.#policies.map((p) => structuredClone(p.counters)),
      points: [...this.#points.values()].map((p) => ({
        ...structuredClone(p.counters),
        packets: p.counters.packets - p.sink.errors,
        dropped: { sendError: p.sink.errors },
        lastError: p.sink.lastError,
      })),
    };
  }
}
