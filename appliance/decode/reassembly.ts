import type { DecodedPacket, FragmentInfo, FragmentSink } from "./decoded.ts";

/** Bounds of the IP reassembly buffer; every datagram dropped because of them is counted. */
export interface ReassemblyOptions {
  /** Datagrams being reassembled at once (default 1024); the oldest makes room for a new one. */
  maxDatagrams?: number;
  /** Payload bytes held for incomplete datagrams (default 8 MiB); the oldest go first. */
  maxBytes?: number;
  /** How long a datagram waits for its missing fragments, in µs of packet time (default 30 s). */
  timeoutUs?: number;
  /** Most fragments one datagram may have (default 1024). */
  maxFragments?: number;
}

/** What the reassembler did; the last two are gauges. */
export interface ReassemblyStats {
  /** Fragments received. */
  fragments: number;
  /** Datagrams made whole. */
  completed: number;
  /** Dropped: fragments still missing after the timeout. */
  timedOut: number;
  /** Dropped to stay within `maxDatagrams` or `maxBytes`. */
  evicted: number;
  /** Dropped: longer than an IP datagram may be, or than `maxBytes` alone. */
  tooLarge: number;
  /** Dropped: more than `maxFragments` fragments. */
  tooManyFragments: number;
  /** Fragments cut by the snap length, which cannot be reassembled. */
  truncated: number;
  /** Fragments overlapping data already held (the later bytes win). */
  overlapping: number;
  /** Datagrams waiting now, and the payload bytes they hold. */
  pending: number;
  bytesHeld: number;
}

interface Part {
  offset: number;
  data: Uint8Array;
}

class Pending {
  readonly parts: Part[] = [];
  bytes = 0;
  /** Payload length, known once the last fragment (MF clear) arrived; -1 before. */
  total = -1;
  /** The unfragmentable headers of the first fragment (offset 0), once it arrived. */
  header: Uint8Array | undefined = undefined;
  /** IPv6: the fragment header's offset in `header`; -1 for IPv4. */
  fragmentHeader = -1;
  srcPort = 0;
  dstPort = 0;
  hasPorts = false;

  constructor(readonly createdUs: number) {}
}

const MAX_DATAGRAM = 65_535;

function datagramKey(out: DecodedPacket): string {
  const b = out.buffer;
  const size = out.ipVersion === 4 ? 4 : 16;
  const protocol = out.ipVersion === 4 ? out.protocol : 0;
  let key =
    `${out.vlan}/${out.tunnelDepth}/${out.tunnelId}/${out.ipVersion}/${protocol}/${out.fragmentId}/`;
  for (let i = 0; i < size; i++) key += `${b[out.srcOffset + i]}.`;
  for (let i = 0; i < size; i++) key += `${b[out.dstOffset + i]}.`;
  return key;
}

function covers(parts: Part[], total: number): boolean {
  const sorted = [...parts].sort((x, y) => x.offset - y.offset);
  let covered = 0;
  for (const part of sorted) {
    if (part.offset > covered) return false;
    const end = part.offset + part.data.length;
    if (end > covered) covered = end;
  }
  return covered >= total;
}

/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5) fragment reassembly within fixed bounds. Fragments are
 * copied (this is the one place of the decoder that allocates); a completed datagram is returned
 * as one buffer whose IP header says it is not fragmented any more.
 */
export class Reassembler implements FragmentSink {
  readonly stats: ReassemblyStats = {
    fragments: 0,
    completed: 0,
    timedOut: 0,
    evicted: 0,
    tooLarge: 0,
    tooManyFragments: 0,
    truncated: 0,
    overlapping: 0,
    pending: 0,
    bytesHeld: 0,
  };
  readonly #pending = new Map<string, Pending>();
  readonly #maxDatagrams: number;
  readonly #maxBytes: number;
  readonly #timeoutUs: number;
  readonly #maxFragments: number;

  constructor(options: ReassemblyOptions = {}) {
    this.#maxDatagrams = options.maxDatagrams ?? 1024;
    this.#maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    this.#timeoutUs = options.timeoutUs ?? 30_000_000;
    this.#maxFragments = options.maxFragments ?? 1024;
  }

  add(out: DecodedPacket, fragment: FragmentInfo): Uint8Array | undefined {
    const stats = this.stats;
    stats.fragments++;
    this.#expire(out.timestampUs);
    const key = datagramKey(out);
    let entry = this.#pending.get(key);
    const offset = out.fragmentOffset;
    if (offset > 0 && entry?.hasPorts) {
      out.srcPort = entry.srcPort;
      out.dstPort = entry.dstPort;
      out.portsFromFirstFragment = true;
    }
    if (fragment.truncated) {
      stats.truncated++;
      return undefined;
    }
    const b = out.buffer;
    const payload = b.subarray(fragment.headerEnd, fragment.payloadEnd);
    const headerLength = fragment.headerEnd - fragment.ipOffset;
    if (headerLength + offset + payload.length > MAX_DATAGRAM) {
      stats.tooLarge++;
      if (entry !== undefined) this.#drop(key, entry);
      return undefined;
    }
    if (entry === undefined) {
      if (this.#pending.size >= this.#maxDatagrams) this.#evictOldest();
      entry = new Pending(out.timestampUs);
      this.#pending.set(key, entry);
      stats.pending = this.#pending.size;
    }
    if (entry.parts.length >= this.#maxFragments) {
      stats.tooManyFragments++;
      this.#drop(key, entry);
      return undefined;
    }
    const end = offset + payload.length;
    if (entry.parts.some((p) => p.offset < end && offset < p.offset + p.data.length)) {
      stats.overlapping++;
    }
    entry.parts.push({ offset, data: payload.slice() });
    entry.bytes += payload.length;
    stats.bytesHeld += payload.length;
    if (offset === 0) {
      entry.header = b.slice(fragment.ipOffset, fragment.headerEnd);
      entry.fragmentHeader = fragment.fragmentHeaderOffset < 0
        ? -1
        : fragment.fragmentHeaderOffset - fragment.ipOffset;
      const p = out.protocol;
      if ((p === 6 || p === 17 || p === 132) && payload.length >= 4) {
        entry.srcPort = (payload[0]! << 8) | payload[1]!;
        entry.dstPort = (payload[2]! << 8) | payload[3]!;
        entry.hasPorts = true;
      }
    }
    if (!out.moreFragments) entry.total = end;
    while (stats.bytesHeld > this.#maxBytes) {
      const oldest = this.#pending.keys().next().value!;
      if (oldest === key) {
        stats.tooLarge++;
        this.#drop(key, entry);
        return undefined;
      }
      this.#evictOldest();
    }
    if (
      entry.total < 0 || entry.header === undefined || entry.bytes < entry.total ||
      !covers(entry.parts, entry.total)
    ) {
      return undefined;
    }
    this.#drop(key, entry);
    stats.completed++;
    return this.#assemble(entry);
  }

  #assemble(entry: Pending): Uint8Array {
    const header = entry.header!;
    const whole = new Uint8Array(header.length + entry.total);
    whole.set(header);
    for (const part of entry.parts) {
      const room = entry.total - part.offset;
      if (room <= 0) continue;
      const data = part.data.length > room ? part.data.subarray(0, room) : part.data;
      whole.set(data, header.length + part.offset);
    }
    if (entry.fragmentHeader < 0) {
      whole[2] = whole.length >> 8;
      whole[3] = whole.length & 0xff;
      whole[6] = whole[6]! & 0x40; // keep DF; clear MF and the offset
      whole[7] = 0;
    } else {
      const payloadLength = whole.length - 40;
      whole[4] = payloadLength >> 8;
      whole[5] = payloadLength & 0xff;
      // RFC 6946: offset 0 with M clear is an atomic fragment, i.e. a whole datagram.
      whole[entry.fragmentHeader + 2] = 0;
      whole[entry.fragmentHeader + 3] = 0;
    }
    return whole;
  }

  #drop(key: string, entry: Pending): void {
    if (this.#pending.delete(key)) this.stats.bytesHeld -= entry.bytes;
    this.stats.pending = this.#pending.size;
  }

  #evictOldest(): void {
    const first = this.#pending.entries().next().value;
    if (first === undefined) return;
    this.stats.evicted++;
    this.#drop(first[0], first[1]);
  }

  /** Map order is creation order, so the expired datagrams are at the front. */
  #expire(nowUs: number): void {
    for (const [key, entry] of this.#pending) {
      if (nowUs - entry.createdUs <= this.#timeoutUs) break;
      this.stats.timedOut++;
      this.#drop(key, entry);
    }
  }
}
