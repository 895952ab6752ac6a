import { DecodedPacket, DecodeError, DecodeStatus, fail } from "./decoded.ts";
import { decodeIpv4, decodeIpv6 } from "./network.ts";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ outer tag still sent by some switches. */
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const MAX_VLAN_TAGS = 8;
const MAX_MPLS_LABELS = 16;

function decodeByVersion(b: Uint8Array, pos: number, end: number, out: DecodedPacket) {
  if (end - pos < 1) return fail(out, DecodeError.link_truncated, pos, 1, 0);
  const version = b[pos]! >> 4;
  if (version === 4) return decodeIpv4(b, pos, end, out);
  if (version === 6) return decodeIpv6(b, pos, end, out);
  return fail(out, DecodeError.ip_bad_version, pos, 4, version);
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
  const family = b[start]!;
  let at = start + 4;
  while (end - at >= 4) {
    const length = b[at]! | (b[at + 1]! << 8);
    const type = b[at + 2]! | (b[at + 3]! << 8);
    if (length < 4 || length > end - at) {
      return fail(out, DecodeError.nflog_truncated, at, length, end - at);
    }
    if (type === 9) return decodeAddressFamily(b, at + 4, at + length, family, out);
    at += (length + 3) & ~3;
  }
  return DecodeStatus.NotIp;
}

/** Continues after an EtherType: VLAN tags, MPLS, PPPoE, then IPv4/IPv6. */
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
    // IEEE 802.1Q: the VLAN id is the low 12 bits of the tag control information.
    if (out.vlanCount === 0) out.vlan = ((b[pos]! & 0x0f) << 8) | b[pos + 1]!;
    out.vlanCount++;
    type = (b[pos + 2]! << 8) | b[pos + 3]!;
    pos += 4;
  }
  if (type === ETHERTYPE_IPV4) return decodeIpv4(b, pos, end, out);
  if (type === ETHERTYPE_IPV6) return decodeIpv6(b, pos, end, out);
  if (type === ETHERTYPE_MPLS || type === ETHERTYPE_MPLS_MULTICAST) {
    for (;;) {
      if (end - pos < 4) return fail(out, DecodeError.mpls_truncated, pos, 4, end - pos);
      const bottom = (b[pos + 2]! & 1) !== 0;
      pos += 4;
      out.mplsLabels++;
      if (bottom) break;
      if (out.mplsLabels === MAX_MPLS_LABELS) {
        return fail(out, DecodeError.mpls_truncated, pos, 4, 0);
      }
    }
    // RFC 4385: after the label stack, the first nibble tells IP from a pseudowire control word.
    if (end - pos < 1) return fail(out, DecodeError.mpls_truncated, pos, 1, 0);
    const nibble = b[pos]! >> 4;
    if (nibble === 4) return decodeIpv4(b, pos, end, out);
    if (nibble === 6) return decodeIpv6(b, pos, end, out);
    return DecodeStatus.NotIp;
  }
  if (type === ETHERTYPE_PPPOE_SESSION) {
    if (end - pos < 8) return fail(out, DecodeError.pppoe_truncated, pos, 8, end - pos);
    const ppp = (b[pos + 6]! << 8) | b[pos + 7]!;
    if (ppp === 0x0021) return decodeIpv4(b, pos + 8, end, out);
    if (ppp === 0x0057) return decodeIpv6(b, pos + 8, end, out);
    return DecodeStatus.NotIp;
  }
  return DecodeStatus.NotIp;
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
  switch (linkType) {
    case 1: // Ethernet
      if (have < 14) return fail(out, DecodeError.link_truncated, start, 14, have);
      return decodeEtherType(b, start + 14, end, (b[start + 12]! << 8) | b[start + 13]!, out);
    case 113: // Linux cooked v1: protocol at offset 14 of a 16-byte header
      if (have < 16) return fail(out, DecodeError.link_truncated, start, 16, have);
      return decodeEtherType(b, start + 16, end, (b[start + 14]! << 8) | b[start + 15]!, out);
    case 276: // Linux cooked v2: protocol first in a 20-byte header
      if (have < 20) return fail(out, DecodeError.link_truncated, start, 20, have);
      return decodeEtherType(b, start + 20, end, (b[start]! << 8) | b[start + 1]!, out);
    case 104: // Cisco HDLC: address, control, then an EtherType
      if (have < 4) return fail(out, DecodeError.link_truncated, start, 4, have);
      return decodeEtherType(b, start + 4, end, (b[start + 2]! << 8) | b[start + 3]!, out);
    case 0: { // NULL: address family in the capturing host's byte order
      if (have < 4) return fail(out, DecodeError.link_truncated, start, 4, have);
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
      if (have < 21) return fail(out, DecodeError.link_truncated, start, 21, have);
      if (b[start + 13] !== 0xaa || b[start + 14] !== 0xaa) return DecodeStatus.NotIp;
      return decodeEtherType(b, start + 21, end, (b[start + 19]! << 8) | b[start + 20]!, out);
    case 239:
      return decodeNflog(b, start, end, out);
    case 108: { // OpenBSD loopback: address family in network byte order
      if (have < 4) return fail(out, DecodeError.link_truncated, start, 4, have);
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
