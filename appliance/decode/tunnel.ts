import {
  DecodedPacket,
  DecodeError,
  DecodeStatus,
  enterTunnel,
  fail,
  Layer,
  pushLayer,
  TunnelType,
} from "./decoded.ts";
import { decodeEthernet, decodeEtherType, decodePpp, decodeSnap, ETHERTYPE_TEB } from "./frame.ts";
import { decodeIpv4, decodeIpv6 } from "./network.ts";

/** Returned by {@link decodeUdpTunnel} when the datagram is not a tunnel: keep it as plain UDP. */
export const NOT_A_TUNNEL = -1 as const;

const PORT_VXLAN = 4789;
/** Linux's VXLAN port before IANA assigned 4789 (DeepFlow decapsulates it too). */
const PORT_VXLAN_LINUX = 8472;
const PORT_GENEVE = 6081;
const PORT_GTP_U = 2152;
/** GTP' (charging) port; GTPv1 G-PDUs seen there carry user traffic all the same. */
const PORT_GTP_PRIME = 3386;
const PORT_TEREDO = 3544;
const PORT_AYIYA = 5072;
const PORT_LISP_DATA = 4341;
const PORT_GRE_UDP = 4754;

const ETHERTYPE_ERSPAN_2 = 0x88be;
const ETHERTYPE_ERSPAN_3 = 0x22eb;

/**
 * Whether a UDP datagram between `out.srcPort` and `out.dstPort` is for `port`. Like Wireshark,
 * which tries the lower port first, a well-known port (< 1024) on the other side wins.
 */
function onPort(out: DecodedPacket, port: number): boolean {
  const s = out.srcPort;
  const d = out.dstPort;
  if (d !== port && s !== port) return false;
  const other = d === port ? s : d;
  return other === port || other === 0 || other >= 1024;
}

/** The first nibble says which IP version follows (tunnels that carry no payload type). */
function decodeIpByNibble(b: Uint8Array, pos: number, end: number, out: DecodedPacket) {
  if (end - pos < 1) return DecodeStatus.NotIp;
  const version = b[pos]! >> 4;
  if (version === 4) return decodeIpv4(b, pos, end, out);
  if (version === 6) return decodeIpv6(b, pos, end, out);
  return DecodeStatus.NotIp;
}

/** Pushes the tunnel's layer, enters it, and bounds the inner packet to the outer datagram. */
function openTunnel(
  out: DecodedPacket,
  layer: number,
  at: number,
  type: number,
  id: number,
  wireEnd: number,
): boolean {
  if (!pushLayer(out, layer, at)) return false;
  if (!enterTunnel(out, type as TunnelType, id, at)) return false;
  out.wireEnd = wireEnd;
  return true;
}

/** RFC 7348: 8 bytes (flags with the I bit, VNI), then an Ethernet frame. */
function decodeVxlan(b: Uint8Array, pos: number, end: number, wireEnd: number, out: DecodedPacket) {
  if (wireEnd - pos < 8 || (b[pos]! & 0x08) === 0) return NOT_A_TUNNEL;
  if (end - pos < 8) return fail(out, DecodeError.vxlan_truncated, pos, 8, end - pos);
  const vni = (b[pos + 4]! << 16) | (b[pos + 5]! << 8) | b[pos + 6]!;
  if (!openTunnel(out, Layer.vxlan, pos, TunnelType.Vxlan, vni, wireEnd)) {
    return DecodeStatus.Malformed;
  }
  return decodeEthernet(b, pos + 8, end, out);
}

/** RFC 8926: version 0, options length in 4-byte words, an EtherType, the VNI; options skipped. */
function decodeGeneve(
  b: Uint8Array,
  pos: number,
  end: number,
  wireEnd: number,
  out: DecodedPacket,
) {
  if (wireEnd - pos < 8 || (b[pos]! >> 6) !== 0) return NOT_A_TUNNEL;
  if (end - pos < 8) return fail(out, DecodeError.geneve_truncated, pos, 8, end - pos);
  const length = 8 + ((b[pos]! & 0x3f) << 2);
  if (end - pos < length) return fail(out, DecodeError.geneve_truncated, pos, length, end - pos);
  const type = (b[pos + 2]! << 8) | b[pos + 3]!;
  const vni = (b[pos + 4]! << 16) | (b[pos + 5]! << 8) | b[pos + 6]!;
  if (!openTunnel(out, Layer.geneve, pos, TunnelType.Geneve, vni, wireEnd)) {
    return DecodeStatus.Malformed;
  }
  return decodeEtherType(b, pos + length, end, type, out);
}

/**
 * 3GPP TS 29.281 GTP-U: version 1, protocol type GTP; the optional sequence/N-PDU/next-extension
 * word when any of E, S, PN is set; then extension headers, each a length in 4-byte units and a
 * next-type byte. Only a G-PDU (type 255) carries a user packet.
 */
function decodeGtpU(b: Uint8Array, pos: number, end: number, wireEnd: number, out: DecodedPacket) {
  if (wireEnd - pos >= 20 && (b[pos]! & 0xf0) === 0x10) {
    return decodeGtpV0(b, pos, end, wireEnd, out);
  }
  if (wireEnd - pos < 8 || (b[pos]! & 0xf0) !== 0x30) return NOT_A_TUNNEL;
  if (end - pos < 8) return fail(out, DecodeError.gtpu_truncated, pos, 8, end - pos);
  const flags = b[pos]!;
  const teid = ((b[pos + 4]! << 24) | (b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!) >>>
    0;
  let at = pos + 8;
  if ((flags & 0x07) !== 0) {
    if (end - at < 4) return fail(out, DecodeError.gtpu_truncated, pos, at + 4 - pos, end - pos);
    let next = (flags & 0x04) !== 0 ? b[at + 3]! : 0;
    at += 4;
    while (next !== 0) {
      if (end - at < 4) return fail(out, DecodeError.gtpu_truncated, pos, at + 4 - pos, end - pos);
      const length = b[at]! << 2;
      if (length === 0 || end - at < length) {
        return fail(out, DecodeError.gtpu_truncated, pos, at + (length || 4) - pos, end - pos);
      }
      next = b[at + length - 1]!;
      at += length;
    }
  }
  if (b[pos + 1] !== 0xff) {
    // Echo, error indication, end marker: GTP-U signalling, no user packet.
    return pushLayer(out, Layer.gtpu, pos) ? DecodeStatus.Ok : DecodeStatus.Malformed;
  }
  if (!openTunnel(out, Layer.gtpu, pos, TunnelType.GtpU, teid, wireEnd)) {
    return DecodeStatus.Malformed;
  }
  return decodeIpByNibble(b, at, end, out);
}

/**
 * GTP version 0 (GSM 09.60), still used by GTP' on 3386: a 20-byte header ending with the 8-byte
 * tunnel id (its low 32 bits become the tunnel id); a G-PDU (type 255) carries a user packet.
 */
function decodeGtpV0(b: Uint8Array, pos: number, end: number, wireEnd: number, out: DecodedPacket) {
  if (end - pos < 20) return fail(out, DecodeError.gtpu_truncated, pos, 20, end - pos);
  if (b[pos + 1] !== 0xff) {
    return pushLayer(out, Layer.gtpu, pos) ? DecodeStatus.Ok : DecodeStatus.Malformed;
  }
  const tid = ((b[pos + 16]! << 24) | (b[pos + 17]! << 16) | (b[pos + 18]! << 8) | b[pos + 19]!) >>>
    0;
  if (!openTunnel(out, Layer.gtpu, pos, TunnelType.GtpU, tid, wireEnd)) {
    return DecodeStatus.Malformed;
  }
  return decodeIpByNibble(b, pos + 20, end, out);
}

/**
 * RFC 4380 §5.1.1: an IPv6 packet, optionally after an authentication indicator (type 1, with
 * client id and auth value lengths) and/or an origin indication (type 0, 8 bytes).
 */
function decodeTeredo(
  b: Uint8Array,
  pos: number,
  end: number,
  wireEnd: number,
  out: DecodedPacket,
) {
  let at = pos;
  if (wireEnd - at >= 2 && b[at] === 0 && b[at + 1] === 1) {
    if (end - at < 4) return fail(out, DecodeError.teredo_truncated, pos, 4, end - pos);
    at += 4 + b[at + 2]! + b[at + 3]! + 9;
  }
  if (wireEnd - at >= 2 && b[at] === 0 && b[at + 1] === 0) at += 8;
  if (wireEnd - at < 40) return NOT_A_TUNNEL;
  if (end - at < 1) return fail(out, DecodeError.teredo_truncated, pos, at + 1 - pos, end - pos);
  if (b[at]! >> 4 !== 6) return NOT_A_TUNNEL;
  if (!openTunnel(out, Layer.teredo, pos, TunnelType.Teredo, 0, wireEnd)) {
    return DecodeStatus.Malformed;
  }
  return decodeIpv6(b, at, end, out);
}

/**
 * AYIYA (draft-massar-v6ops-ayiya): 8 bytes (identity length as a power of two, signature length
 * in 4-byte words, opcode, next header, epoch), the identity, the signature, then the packet when
 * the opcode is 1 (forward).
 */
function decodeAyiya(b: Uint8Array, pos: number, end: number, wireEnd: number, out: DecodedPacket) {
  if (wireEnd - pos < 8) return NOT_A_TUNNEL;
  if (end - pos < 8) return fail(out, DecodeError.ayiya_truncated, pos, 8, end - pos);
  const length = 8 + (1 << (b[pos]! >> 4)) + ((b[pos + 1]! >> 4) << 2);
  if (end - pos < length) return fail(out, DecodeError.ayiya_truncated, pos, length, end - pos);
  const next = b[pos + 3]!;
  if ((b[pos + 2]! & 0x0f) !== 1 || (next !== 4 && next !== 41)) {
    return pushLayer(out, Layer.ayiya, pos) ? DecodeStatus.Ok : DecodeStatus.Malformed;
  }
  if (!openTunnel(out, Layer.ayiya, pos, TunnelType.Ayiya, 0, wireEnd)) {
    return DecodeStatus.Malformed;
  }
  return next === 4 ? decodeIpv4(b, pos + length, end, out) : decodeIpv6(b, pos + length, end, out);
}

/** RFC 6830 §5.3 LISP data header: 8 bytes; with the I flag, a 24-bit instance id. */
function decodeLisp(b: Uint8Array, pos: number, end: number, wireEnd: number, out: DecodedPacket) {
  if (wireEnd - pos < 9) return NOT_A_TUNNEL;
  if (end - pos < 8) return fail(out, DecodeError.lisp_truncated, pos, 8, end - pos);
  const id = (b[pos]! & 0x08) !== 0 ? (b[pos + 4]! << 16) | (b[pos + 5]! << 8) | b[pos + 6]! : 0;
  if (!openTunnel(out, Layer.lisp, pos, TunnelType.Lisp, id, wireEnd)) {
    return DecodeStatus.Malformed;
  }
  return decodeIpByNibble(b, pos + 8, end, out);
}

/**
 * Tunnels carried by UDP, recognised by port: VXLAN, Geneve, GTP-U, Teredo, AYIYA, LISP, GRE in
 * UDP. `pos` is the UDP payload; `wireEnd` the datagram's end on the wire. Returns
 * {@link NOT_A_TUNNEL} when the payload is not one.
 */
export function decodeUdpTunnel(
  b: Uint8Array,
  pos: number,
  end: number,
  wireEnd: number,
  out: DecodedPacket,
): DecodeStatus | typeof NOT_A_TUNNEL {
  if (onPort(out, PORT_VXLAN) || onPort(out, PORT_VXLAN_LINUX)) {
    return decodeVxlan(b, pos, end, wireEnd, out);
  }
  if (onPort(out, PORT_GENEVE)) return decodeGeneve(b, pos, end, wireEnd, out);
  if (onPort(out, PORT_GTP_U) || onPort(out, PORT_GTP_PRIME)) {
    return decodeGtpU(b, pos, end, wireEnd, out);
  }
  if (onPort(out, PORT_TEREDO)) return decodeTeredo(b, pos, end, wireEnd, out);
  if (onPort(out, PORT_AYIYA)) return decodeAyiya(b, pos, end, wireEnd, out);
  if (onPort(out, PORT_LISP_DATA)) return decodeLisp(b, pos, end, wireEnd, out);
  if (onPort(out, PORT_GRE_UDP)) {
    // RFC 8086: a GRE header without the IP one; only version 0 is allowed.
    if (wireEnd - pos < 4 || (b[pos]! & 0x07) !== 0) return NOT_A_TUNNEL;
    return decodeGre(b, pos, end, wireEnd, out);
  }
  return NOT_A_TUNNEL;
}

/**
 * ERSPAN (GRE 0x88BE/0x22EB) header at `b[pos]`: type II (draft-foschiano-erspan) 8 bytes with
 * version, VLAN and a 10-bit session id; type III 12 bytes, plus an 8-byte platform subheader when
 * the O flag is set, and a frame type (0 Ethernet, 2 IP).
 */
function decodeErspanHeader(
  b: Uint8Array,
  pos: number,
  end: number,
  wireEnd: number,
  out: DecodedPacket,
): DecodeStatus {
  if (end - pos < 8) return fail(out, DecodeError.erspan_truncated, pos, 8, end - pos);
  const version = b[pos]! >> 4;
  const session = ((b[pos + 2]! & 0x03) << 8) | b[pos + 3]!;
  let length = 8;
  let ip = false;
  if (version === 2) {
    if (end - pos < 12) return fail(out, DecodeError.erspan_truncated, pos, 12, end - pos);
    length = (b[pos + 11]! & 0x01) !== 0 ? 20 : 12;
    if (end - pos < length) return fail(out, DecodeError.erspan_truncated, pos, length, end - pos);
    ip = ((b[pos + 10]! >> 2) & 0x1f) === 2;
  }
  if (out.tunnelDepth === 0) out.erspanVersion = version;
  if (!openTunnel(out, Layer.erspan, pos, TunnelType.ErspanOrTeb, session, wireEnd)) {
    return DecodeStatus.Malformed;
  }
  return ip
    ? decodeIpByNibble(b, pos + length, end, out)
    : decodeEthernet(b, pos + length, end, out);
}

/**
 * GRE (RFC 2784/2890, and RFC 2637's enhanced GRE version 1 for PPTP) at `b[pos]`; `wireEnd` is the
 * end of the carrying datagram on the wire. The payload is followed by its protocol type: IP,
 * Ethernet (TEB), ERSPAN, PPP, MPLS or Aruba's 802.11.
 */
export function decodeGre(
  b: Uint8Array,
  pos: number,
  end: number,
  wireEnd: number,
  out: DecodedPacket,
): DecodeStatus {
  if (end - pos < 4) return fail(out, DecodeError.gre_truncated, pos, 4, end - pos);
  const flags = (b[pos]! << 8) | b[pos + 1]!;
  const version = flags & 0x07;
  const type = (b[pos + 2]! << 8) | b[pos + 3]!;
  // Routing present (RFC 1701) or an unknown version: a GRE packet, but nothing to follow.
  if ((flags & 0x4000) !== 0 || version > 1) {
    return pushLayer(out, Layer.gre, pos) ? DecodeStatus.Ok : DecodeStatus.Malformed;
  }
  let at = pos + 4;
  if (version === 0 && (flags & 0x8000) !== 0) at += 4; // checksum and reserved
  let key = 0;
  if ((flags & 0x2000) !== 0) {
    if (end - at < 4) return fail(out, DecodeError.gre_truncated, pos, at + 4 - pos, end - pos);
    // Enhanced GRE: payload length, then the call id that tells PPTP sessions apart.
    key = version === 1
      ? (b[at + 2]! << 8) | b[at + 3]!
      : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
    at += 4;
  }
  let sequence = 0;
  if ((flags & 0x1000) !== 0) {
    if (end - at < 4) return fail(out, DecodeError.gre_truncated, pos, at + 4 - pos, end - pos);
    sequence = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
    at += 4;
  }
  if (version === 1 && (flags & 0x0080) !== 0) at += 4; // acknowledgment number
  if (end - at < 0) return fail(out, DecodeError.gre_truncated, pos, at - pos, end - pos);
  if (!pushLayer(out, Layer.gre, pos)) return DecodeStatus.Malformed;
  if (out.tunnelDepth === 0) {
    out.greFlags = flags;
    out.greKey = key;
    out.greSequence = sequence;
  }
  if (type === ETHERTYPE_ERSPAN_2 || type === ETHERTYPE_ERSPAN_3) {
    if (type === ETHERTYPE_ERSPAN_3 || (flags & 0x1000) !== 0) {
      return decodeErspanHeader(b, at, end, wireEnd, out);
    }
    // ERSPAN type I: no sequence number and no ERSPAN header, the mirrored frame follows.
    if (!openTunnel(out, Layer.erspan, at, TunnelType.ErspanOrTeb, 0, wireEnd)) {
      return DecodeStatus.Malformed;
    }
    return decodeEthernet(b, at, end, out);
  }
  const teb = type === ETHERTYPE_TEB;
  const aruba = type >= 0x8200 && type <= 0x83ff;
  if (!teb && !aruba && type !== 0x0800 && type !== 0x86dd && type !== 0x880b && type !== 0x8847) {
    return DecodeStatus.Ok;
  }
  if (!enterTunnel(out, teb ? TunnelType.ErspanOrTeb : TunnelType.Gre, key, at)) {
    return DecodeStatus.Malformed;
  }
  out.wireEnd = wireEnd;
  if (aruba) return decodeWlan(b, at, end, out);
  if (type === 0x880b) return decodePpp(b, at, end, out);
  return decodeEtherType(b, at, end, type, out);
}

/**
 * An IEEE 802.11 data frame as Aruba access points forward it in GRE: a 24-byte header (30 with
 * four addresses), QoS control (+2, +4 with HT control), then LLC/SNAP. The first A-MSDU
 * subframe is followed; protected (encrypted) and null-data frames carry nothing to read.
 */
function decodeWlan(b: Uint8Array, pos: number, end: number, out: DecodedPacket): DecodeStatus {
  if (end - pos < 24) return fail(out, DecodeError.wlan_truncated, pos, 24, end - pos);
  if (!pushLayer(out, Layer.wlan, pos)) return DecodeStatus.Malformed;
  const control = b[pos]!;
  const flags = b[pos + 1]!;
  if (((control >> 2) & 0x03) !== 2 || (control & 0x40) !== 0 || (flags & 0x40) !== 0) {
    return DecodeStatus.NotIp;
  }
  let at = pos + ((flags & 0x03) === 0x03 ? 30 : 24);
  let amsdu = false;
  if ((control & 0x80) !== 0) {
    if (end - at < 2) return fail(out, DecodeError.wlan_truncated, pos, at + 2 - pos, end - pos);
    amsdu = (b[at]! & 0x80) !== 0;
    at += (flags & 0x80) !== 0 ? 6 : 2;
  }
  // A-MSDU subframe header: destination, source, length.
  if (amsdu) at += 14;
  if (end - at < 8) return fail(out, DecodeError.wlan_truncated, pos, at + 8 - pos, end - pos);
  if (b[at] !== 0xaa || b[at + 1] !== 0xaa || b[at + 2] !== 0x03) return DecodeStatus.NotIp;
  return decodeSnap(b, at, end, out);
}
