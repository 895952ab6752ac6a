import {
  DecodedPacket,
  DecodeError,
  DecodeStatus,
  fail,
  Layer,
  MAX_MPLS_LABELS,
  MAX_VLAN_TAGS,
  pushLayer,
} from "./decoded.ts";
import { decodeIpv4, decodeIpv6 } from "./network.ts";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ outer tag still sent by some switches. */
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const ETHERTYPE_PPP = 0x880b;
/** RFC 1701 Transparent Ethernet Bridging: an Ethernet frame follows (GRE, Geneve). */
export const ETHERTYPE_TEB = 0x6558;

function decodeByVersion(b: Uint8Array, pos: number, end: number, out: DecodedPacket) {
  if (end - pos < 1) return fail(out, DecodeError.link_truncated, pos, 1, 0);
  const version = b[pos]! >> 4;
  if (version === 4) return decodeIpv4(b, pos, end, out);
  if (version === 6) return decodeIpv6(b, pos, end, out);
  return fail(out, DecodeError.ip_bad_version, pos, 4, version);
}

/** Whether `type` is an EtherType worth following when guessing where an Ethernet header is. */
function isCommonEtherType(type: number): boolean {
  return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 || type === ETHERTYPE_ARP ||
    type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_MPLS ||
    type === ETHERTYPE_PPPOE_SESSION;
}

/** Whether an Ethernet header at `b[at]` would carry a common EtherType. */
function looksLikeEthernet(b: Uint8Array, at: number, end: number): boolean {
  return end - at >= 14 && isCommonEtherType((b[at + 12]! << 8) | b[at + 13]!);
}

/** An Ethernet II header at `b[pos]` (a frame's own, or one carried by a tunnel). */
export function decodeEthernet(
  b: Uint8Array,
  pos: number,
  end: number,
  out: DecodedPacket,
): DecodeStatus {
  if (end - pos < 14) return fail(out, DecodeError.link_truncated, pos, 14, end - pos);
  if (!pushLayer(out, Layer.eth, pos)) return DecodeStatus.Malformed;
  if (out.ethOffset < 0) {
    out.ethOffset = pos;
  } else {
    out.innerEthOffset = pos;
    out.innerEthBuffer = b;
  }
  return decodeEtherType(b, pos + 14, end, (b[pos + 12]! << 8) | b[pos + 13]!, out);
}

/** PPP (RFC 1661) from its optional address/control bytes on: IPv4, IPv6 or MPLS inside. */
export function decodePpp(b: Uint8Array, pos: number, end: number, out: DecodedPacket) {
  let at = pos;
  if (end - at >= 2 && b[at] === 0xff && b[at + 1] === 0x03) at += 2;
  if (end - at < 1) return fail(out, DecodeError.ppp_truncated, pos, at - pos + 1, end - pos);
  if (!pushLayer(out, Layer.ppp, pos)) return DecodeStatus.Malformed;
  // RFC 1661 §6.5: a compressed protocol field is one byte, recognisable by its odd value.
  let protocol = b[at]!;
  if ((protocol & 1) === 0) {
    if (end - at < 2) return fail(out, DecodeError.ppp_truncated, pos, at - pos + 2, end - pos);
    protocol = (protocol << 8) | b[at + 1]!;
    at += 2;
  } else {
    at += 1;
  }
  if (protocol === 0x0021) return decodeIpv4(b, at, end, out);
  if (protocol === 0x0057) return decodeIpv6(b, at, end, out);
  if (protocol === 0x0281) return decodeEtherType(b, at, end, ETHERTYPE_MPLS, out);
  return DecodeStatus.NotIp;
}

function decodeArp(b: Uint8Array, pos: number, end: number, out: DecodedPacket): DecodeStatus {
  if (end - pos < 8) return fail(out, DecodeError.arp_truncated, pos, 8, end - pos);
  if (!pushLayer(out, Layer.arp, pos)) return DecodeStatus.Malformed;
  out.arpOffset = pos;
  out.arpOpcode = (b[pos + 6]! << 8) | b[pos + 7]!;
  const need = 8 + 2 * (b[pos + 4]! + b[pos + 5]!);
  if (end - pos < need) return fail(out, DecodeError.arp_truncated, pos, need, end - pos);
  return DecodeStatus.NotIp;
}

/**
 * The MPLS label stack, then what follows the bottom label. MPLS carries no payload type, so this
 * guesses like Wireshark: IPv4/IPv6 by the first nibble, else an Ethernet pseudowire (RFC 4448),
 * with a control word (RFC 4385: first nibble 0) unless the bytes read better as plain Ethernet.
 * Wireshark judges "plain Ethernet" by the MAC addresses' vendor prefixes; lacking that database,
 * we judge by which placement yields a common EtherType.
 */
function decodeMpls(b: Uint8Array, start: number, end: number, out: DecodedPacket) {
  let pos = start;
  for (;;) {
    if (end - pos < 4) return fail(out, DecodeError.mpls_truncated, pos, 4, end - pos);
    if (out.mplsLabels === MAX_MPLS_LABELS) {
      return fail(out, DecodeError.mpls_truncated, pos, 4, 0);
    }
    if (!pushLayer(out, Layer.mpls, pos)) return DecodeStatus.Malformed;
    out.mplsStack[out.mplsLabels++] = (b[pos]! << 12) | (b[pos + 1]! << 4) | (b[pos + 2]! >> 4);
    const bottom = (b[pos + 2]! & 1) !== 0;
    pos += 4;
    if (bottom) break;
  }
  if (end - pos < 1) return fail(out, DecodeError.mpls_truncated, pos, 1, 0);
  const nibble = b[pos]! >> 4;
  if (nibble === 4) return decodeIpv4(b, pos, end, out);
  if (nibble === 6) return decodeIpv6(b, pos, end, out);
  const plain = looksLikeEthernet(b, pos, end);
  if (nibble === 0 && (looksLikeEthernet(b, pos + 4, end) || !plain)) {
    if (end - pos < 4) return fail(out, DecodeError.mpls_truncated, pos, 4, end - pos);
    if (!pushLayer(out, Layer.pw, pos)) return DecodeStatus.Malformed;
    return decodeEthernet(b, pos + 4, end, out);
  }
  if (plain) return decodeEthernet(b, pos, end, out);
  return DecodeStatus.NotIp;
}

/** Continues after an EtherType: VLAN tags, MPLS, PPPoE, ARP, LLC/SNAP, then IPv4/IPv6. */
export function decodeEtherType(
  b: Uint8Array,
  start: number,
  end: number,
  etherType: number,
  out: DecodedPacket,
): DecodeStatus {
  let pos = start;
  let type = etherType;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (end - pos < 4) return fail(out, DecodeError.vlan_truncated, pos, 4, end - pos);
    if (out.vlanCount === MAX_VLAN_TAGS) {
      return fail(out, DecodeError.vlan_too_deep, pos, MAX_VLAN_TAGS, MAX_VLAN_TAGS + 1);
    }
    if (!pushLayer(out, Layer.vlan, pos)) return DecodeStatus.Malformed;
    // IEEE 802.1Q: the VLAN id is the low 12 bits of the tag control information.
    const id = ((b[pos]! & 0x0f) << 8) | b[pos + 1]!;
    if (out.vlanCount === 0) out.vlan = id;
    out.vlanIds[out.vlanCount++] = id;
    type = (b[pos + 2]! << 8) | b[pos + 3]!;
    pos += 4;
  }
  switch (type) {
    case ETHERTYPE_IPV4:
      return decodeIpv4(b, pos, end, out);
    case ETHERTYPE_IPV6:
      return decodeIpv6(b, pos, end, out);
    case ETHERTYPE_ARP:
      return decodeArp(b, pos, end, out);
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MULTICAST:
      return decodeMpls(b, pos, end, out);
    case ETHERTYPE_PPPOE_SESSION:
      // RFC 2516: version/type, code, session id, length, then the PPP protocol field.
      if (end - pos < 8) return fail(out, DecodeError.pppoe_truncated, pos, 8, end - pos);
      if (!pushLayer(out, Layer.pppoe, pos)) return DecodeStatus.Malformed;
      return decodePpp(b, pos + 6, end, out);
    case ETHERTYPE_PPP:
      return decodePpp(b, pos, end, out);
    case ETHERTYPE_TEB:
      return decodeEthernet(b, pos, end, out);
  }
  if (type <= 1500) {
    // IEEE 802.3 length field: an 802.2 LLC header follows; SNAP (AA AA 03) carries an EtherType.
    if (end - pos < 3) return fail(out, DecodeError.llc_truncated, pos, 3, end - pos);
    if (b[pos] !== 0xaa || b[pos + 1] !== 0xaa || b[pos + 2] !== 0x03) return DecodeStatus.NotIp;
    return decodeSnap(b, pos, end, out);
  }
  return DecodeStatus.NotIp;
}

/** An LLC/SNAP header (AA AA 03, OUI, EtherType) at `b[pos]`. */
export function decodeSnap(b: Uint8Array, pos: number, end: number, out: DecodedPacket) {
  if (end - pos < 8) return fail(out, DecodeError.llc_truncated, pos, 8, end - pos);
  if (!pushLayer(out, Layer.llc, pos)) return DecodeStatus.Malformed;
  const type = (b[pos + 6]! << 8) | b[pos + 7]!;
  // A length where an EtherType belongs would loop through LLC again: nothing to follow.
  if (type <= 1500) return DecodeStatus.NotIp;
  return decodeEtherType(b, pos + 8, end, type, out);
}

/** BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 differs per OS. */
function decodeAddressFamily(
  b: Uint8Array,
  pos: number,
  end: number,
  family: number,
  out: DecodedPacket,
): DecodeStatus {
  if (family === 2) return decodeIpv4(b, pos, end, out);
  if (family === 10 || family === 24 || family === 28 || family === 30) {
    return decodeIpv6(b, pos, end, out);
  }
  return DecodeStatus.NotIp;
}

/**
 * NFLOG (LINKTYPE 239): a 4-byte header, then TLVs in the capturing host's byte order (little
 * endian in practice), each padded to 4 bytes; type 9 (NFULA_PAYLOAD) holds the IP packet.
 */
function decodeNflog(b: Uint8Array, start: number, end: number, out: DecodedPacket) {
  if (end - start < 4) return fail(out, DecodeError.link_truncated, start, 4, end - start);
  if (!pushLayer(out, Layer.nflog, start)) return DecodeStatus.Malformed;
  const family = b[start]!;
  let at = start + 4;
  while (end - at >= 4) {
    const length = b[at]! | (b[at + 1]! << 8);
    const type = b[at + 2]! | (b[at + 3]! << 8);
    if (length < 4 || length > end - at) {
      return fail(out, DecodeError.nflog_truncated, at, length, end - at);
    }
    if (type === 9) {
      // The TLV bounds the packet: what lies beyond it was never on the wire of this packet.
      out.wireEnd = at + length;
      return decodeAddressFamily(b, at + 4, at + length, family, out);
    }
    at += (length + 3) & ~3;
  }
  return DecodeStatus.NotIp;
}

function link(out: DecodedPacket, layer: number, start: number, need: number, have: number) {
  if (have < need) {
    fail(out, DecodeError.link_truncated, start, need, have);
    return false;
  }
  return pushLayer(out, layer, start);
}

/**
 * Decodes the frame `b[start, end)` of the given LINKTYPE_* into `out` (which the caller reset).
 * Never throws: a damaged frame returns Malformed with `out.error` set.
 */
export function decodeFrame(
  b: Uint8Array,
  start: number,
  end: number,
  linkType: number,
  out: DecodedPacket,
): DecodeStatus {
  const have = end - start;
  out.frameOffset = start;
  if (out.frameLength < have) out.frameLength = have;
  out.wireEnd = start + out.frameLength;
  const M = DecodeStatus.Malformed;
  switch (linkType) {
    case 1: // Ethernet
      return decodeEthernet(b, start, end, out);
    case 113: // Linux cooked v1: protocol at offset 14 of a 16-byte header
      if (!link(out, Layer.sll, start, 16, have)) return M;
      return decodeEtherType(b, start + 16, end, (b[start + 14]! << 8) | b[start + 15]!, out);
    case 276: // Linux cooked v2: protocol first in a 20-byte header
      if (!link(out, Layer.sll2, start, 20, have)) return M;
      return decodeEtherType(b, start + 20, end, (b[start]! << 8) | b[start + 1]!, out);
    case 104: // Cisco HDLC: address, control, then an EtherType
      if (!link(out, Layer.chdlc, start, 4, have)) return M;
      return decodeEtherType(b, start + 4, end, (b[start + 2]! << 8) | b[start + 3]!, out);
    case 0: { // NULL: address family in the capturing host's byte order
      if (!link(out, Layer.null, start, 4, have)) return M;
      const high = (b[start]! << 8) | b[start + 1]!;
      const low = (b[start + 2]! << 8) | b[start + 3]!;
      if (high === 0) return decodeAddressFamily(b, start + 4, end, low, out);
      if (low === 0) {
        return decodeAddressFamily(b, start + 4, end, b[start]! | (b[start + 1]! << 8), out);
      }
      // Both halves set: some systems put an EtherType in the low half (Wireshark reads it so).
      return decodeEtherType(b, start + 4, end, low, out);
    }
    case 10: // FDDI: FC, two addresses, then LLC/SNAP (AA AA 03, OUI, EtherType)
      if (!link(out, Layer.fddi, start, 13, have)) return M;
      if (have < 16 || b[start + 13] !== 0xaa || b[start + 14] !== 0xaa) return DecodeStatus.NotIp;
      return decodeSnap(b, start + 13, end, out);
    case 239:
      return decodeNflog(b, start, end, out);
    case 108: { // OpenBSD loopback: address family in network byte order
      if (!link(out, Layer.null, start, 4, have)) return M;
      const family = (b[start + 2]! << 8) | b[start + 3]!;
      return decodeAddressFamily(b, start + 4, end, family, out);
    }
    case 101: // raw IP, version from the first nibble
    case 12:
    case 14:
      return decodeByVersion(b, start, end, out);
    case 228:
      return decodeIpv4(b, start, end, out);
    case 229:
      return decodeIpv6(b, start, end, out);
    default:
      return fail(out, DecodeError.unsupported_link_type, start, 0, linkType);
  }
}
