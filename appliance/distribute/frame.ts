/**
 * The per-packet transforms of distribution, on Ethernet frames in caller-owned buffers: strip
 * VLAN tags or a VXLAN/GRE tunnel already on the wire, find the innermost L3/L4 headers, slice,
 * mask, and fingerprint a packet for dedup. Nothing here allocates.
 */

const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_TEB = 0x6558;
const ETHERTYPE_ERSPAN_2 = 0x88be;
const ETHERTYPE_ERSPAN_3 = 0x22eb;
const VXLAN_PORT = 4789;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_GRE = 47;

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function isVlanTag(type: number): boolean {
  return type === 0x8100 || type === 0x88a8 || type === 0x9100;
}

/** Where the headers of one Ethernet frame are; filled by {@link locate}. */
export class FrameLayout {
  /** Offset of the EtherType after the last VLAN tag. */
  etherTypeAt = 0;
  /** L3 header start, -1 when not IPv4/IPv6. */
  l3 = -1;
  ipVersion = 0;
  /** Protocol (IPv4) or next header after the fixed IPv6 header. */
  protocol = 0;
  /** L4 header start, -1 when not TCP/UDP/GRE in a first fragment. */
  l4 = -1;
  /** First byte after the TCP/UDP/GRE header; the L3 end (or frame end) when there is no L4. */
  payload = 0;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
}

/** Reads the headers of the Ethernet frame `b[start, end)` into `out`; returns false if not IP. */
export function locate(b: Uint8Array, start: number, end: number, out: FrameLayout): boolean {
  out.l3 = -1;
  out.l4 = -1;
  out.ipVersion = 0;
  out.protocol = 0;
  out.srcPort = 0;
  out.dstPort = 0;
  out.tcpFlags = 0;
  out.payload = end;
  if (end - start < ETH_HEADER) {
    out.etherTypeAt = start;
    return false;
  }
  let at = start + 12;
  while (at + 6 <= end && isVlanTag(u16(b, at))) at += 4;
  out.etherTypeAt = at;
  const type = u16(b, at);
  const l3 = at + 2;
  let l4 = -1;
  if (type === ETHERTYPE_IPV4 && end - l3 >= 20 && b[l3]! >> 4 === 4) {
    const ihl = (b[l3]! & 0xf) * 4;
    if (ihl < 20 || end - l3 < ihl) return false;
    out.ipVersion = 4;
    out.protocol = b[l3 + 9]!;
    // RFC 791: only the first fragment (offset 0) carries the transport header.
    if ((u16(b, l3 + 6) & 0x1fff) === 0) l4 = l3 + ihl;
    out.payload = l3 + ihl;
  } else if (type === ETHERTYPE_IPV6 && end - l3 >= 40 && b[l3]! >> 4 === 6) {
    out.ipVersion = 6;
    out.protocol = b[l3 + 6]!;
    l4 = l3 + 40;
    out.payload = l4;
  } else {
    return false;
  }
  out.l3 = l3;
  if (l4 < 0) return true;
  const p = out.protocol;
  if (p === PROTO_TCP && end - l4 >= 20) {
    const length = (b[l4 + 12]! >> 4) * 4;
    out.tcpFlags = b[l4 + 13]!;
    out.payload = Math.min(end, l4 + Math.max(20, length));
  } else if (p === PROTO_UDP && end - l4 >= 8) {
    out.payload = l4 + 8;
  } else if (p === PROTO_GRE && end - l4 >= 4) {
    out.payload = l4 + greLength(b, l4);
    if (out.payload > end) return true;
  } else {
    return true;
  }
  out.l4 = l4;
  if (p !== PROTO_GRE) {
    out.srcPort = u16(b, l4);
    out.dstPort = u16(b, l4 + 2);
  }
  return true;
}

/** RFC 2784/2890: 4 bytes, plus 4 for each of the checksum, key and sequence flags. */
function greLength(b: Uint8Array, at: number): number {
  const flags = b[at]!;
  return 4 + ((flags & 0x80) !== 0 ? 4 : 0) + ((flags & 0x20) !== 0 ? 4 : 0) +
    ((flags & 0x10) !== 0 ? 4 : 0);
}

/** What {@link strip} removes. */
export interface StripOptions {
  vlan: boolean;
  vxlan: boolean;
  gre: boolean;
}

/**
 * Copies the frame `b[start, end)` to `out` (from offset 0) without what `options` strips;
 * returns the new length. A tunnel is removed when it is the frame's outer layer: VXLAN on UDP
 * 4789 and GRE carrying Ethernet (TEB, ERSPAN II/III) leave the inner frame; GRE carrying IP
 * keeps the outer MAC addresses with the inner packet.
 */
export function strip(
  b: Uint8Array,
  start: number,
  end: number,
  options: StripOptions,
  scratch: FrameLayout,
  out: Uint8Array,
): number {
  let from = start;
  let ipInner = -1;
  if ((options.vxlan || options.gre) && locate(b, start, end, scratch) && scratch.l4 >= 0) {
    const l4 = scratch.l4;
    if (
      options.vxlan && scratch.protocol === PROTO_UDP && scratch.dstPort === VXLAN_PORT &&
      end - l4 >= 16 + ETH_HEADER && (b[l4 + 8]! & 0x08) !== 0
    ) {
      from = l4 + 16;
    } else if (options.gre && scratch.protocol === PROTO_GRE && (b[l4 + 1]! & 0x7) === 0) {
      const type = u16(b, l4 + 2);
      const inner = scratch.payload;
      if (type === ETHERTYPE_TEB) from = inner;
      else if (type === ETHERTYPE_ERSPAN_2) from = inner + 8;
      // ERSPAN III: 12 bytes, plus an 8-byte platform subheader when the O bit is set.
      else if (type === ETHERTYPE_ERSPAN_3 && end - inner >= 12) {
        from = inner + 12 + ((b[inner + 11]! & 1) !== 0 ? 8 : 0);
      } else if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) ipInner = inner;
      if (from > end - ETH_HEADER) from = start;
    }
  }
  if (ipInner >= 0) {
    out.set(b.subarray(start, start + 12), 0);
    out[12] = b[scratch.l4 + 2]!;
    out[13] = b[scratch.l4 + 3]!;
    out.set(b.subarray(ipInner, end), 14);
    return 14 + end - ipInner;
  }
  if (!options.vlan) {
    out.set(b.subarray(from, end), 0);
    return end - from;
  }
  out.set(b.subarray(from, from + 12), 0);
  let at = from + 12;
  while (at + 6 <= end && isVlanTag(u16(b, at))) at += 4;
  out.set(b.subarray(at, end), 12);
  return 12 + end - at;
}

/**
 * The length a slice keeps of a frame of `length` bytes laid out as `layout`: `bytes` from the
 * start, or `bytes` after the innermost L4 header (after L3 when there is none).
 */
export function sliceLength(
  length: number,
  layout: FrameLayout,
  from: "start" | "l4",
  bytes: number,
): number {
  if (from === "start") return Math.min(length, bytes);
  const base = layout.l3 < 0 ? 0 : layout.payload;
  return Math.min(length, base + bytes);
}

/** Zeroes `count` bytes at `offset` (relative to `base`) within `b[0, length)`. */
export function mask(b: Uint8Array, length: number, base: number, offset: number, count: number) {
  const from = base + offset;
  const to = Math.min(length, from + count);
  if (from < to) b.fill(0, from, to);
}

/**
 * Two 32-bit hashes of what stays the same when one packet is seen at several places: from the
 * L3 header to the end, without the IPv4 TTL and header checksum or the IPv6 hop limit (routers
 * change them) and without the L2 header (MACs and VLAN tags change per hop).
 */
export function fingerprint(
  b: Uint8Array,
  length: number,
  layout: FrameLayout,
  out: Uint32Array,
): void {
  const from = layout.l3 < 0 ? 0 : layout.l3;
  let skipA = -1;
  let skipB = -1;
  let skipC = -1;
  if (layout.ipVersion === 4) {
    skipA = from + 8;
    skipB = from + 10;
    skipC = from + 11;
  } else if (layout.ipVersion === 6) {
    skipA = from + 7;
  }
  let h1 = 0x811c9dc5 ^ (length - from);
  let h2 = 0x9747b28c;
  for (let i = from; i < length; i++) {
    if (i === skipA || i === skipB || i === skipC) continue;
    const v = b[i]!;
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h2 = Math.imul(h2 + v + 1, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  out[0] = h1 >>> 0;
  out[1] = (h2 ^ (length - from)) >>> 0;
}

function mix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Reads 4 bytes big-endian. */
function word(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * A flow hash equal for both directions: addresses and ports are combined so that swapping source
 * and destination gives the same value (load balancing keeps a flow's two directions together).
 */
export function flowHash(b: Uint8Array, layout: FrameLayout): number {
  if (layout.l3 < 0) return 0;
  const l3 = layout.l3;
  let a = 0;
  let c = 0;
  if (layout.ipVersion === 4) {
    a = mix(word(b, l3 + 12));
    c = mix(word(b, l3 + 16));
  } else {
    for (let i = 0; i < 16; i += 4) {
      a = mix(a ^ word(b, l3 + 8 + i));
      c = mix(c ^ word(b, l3 + 24 + i));
    }
  }
  const ports = mix(layout.srcPort + 1) + mix(layout.dstPort + 1);
  return mix(((a + c) >>> 0) ^ Math.imul(a ^ c, 0x27d4eb2d) ^ ports ^ layout.protocol);
}
