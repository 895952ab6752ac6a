import { DecodedPacket, DecodeError, DecodeStatus, fail, Layer, pushLayer } from "./decoded.ts";
import { decodeGre, decodeUdpTunnel, NOT_A_TUNNEL } from "./tunnel.ts";

/**
 * TCP options (RFC 9293 §3.1, RFC 7323, RFC 2018) between `pos` and `end`, into `out`. Returns
 * false when an option's length runs past `end`; the options before it are kept.
 */
function decodeTcpOptions(b: Uint8Array, pos: number, end: number, out: DecodedPacket): boolean {
  let at = pos;
  while (at < end) {
    const kind = b[at]!;
    if (kind === 0) return true;
    if (kind === 1) {
      at++;
      continue;
    }
    if (end - at < 2) return false;
    const length = b[at + 1]!;
    if (length < 2 || length > end - at) return false;
    if (kind === 2 && length === 4) {
      out.tcpMss = (b[at + 2]! << 8) | b[at + 3]!;
    } else if (kind === 3 && length === 3) {
      out.tcpWindowScale = b[at + 2]!;
    } else if (kind === 4 && length === 2) {
      out.tcpSackPermitted = true;
    } else if (kind === 5) {
      out.tcpSackBlocks = (length - 2) >> 3;
    } else if (kind === 8 && length === 10) {
      out.tcpHasTimestamps = true;
      out.tcpTsVal = ((b[at + 2]! << 24) | (b[at + 3]! << 16) | (b[at + 4]! << 8) | b[at + 5]!) >>>
        0;
      out.tcpTsEcr = ((b[at + 6]! << 24) | (b[at + 7]! << 16) | (b[at + 8]! << 8) | b[at + 9]!) >>>
        0;
    }
    at += length;
  }
  return true;
}

function decodeTcp(
  b: Uint8Array,
  pos: number,
  have: number,
  length: number,
  out: DecodedPacket,
): DecodeStatus {
  const fragment = out.moreFragments;
  // Decoded as far as it goes: a damaged header still shows its ports.
  if (have >= 4) {
    if (!pushLayer(out, Layer.tcp, pos)) return DecodeStatus.Malformed;
    out.srcPort = (b[pos]! << 8) | b[pos + 1]!;
    out.dstPort = (b[pos + 2]! << 8) | b[pos + 3]!;
  }
  if (have < 20) {
    return fragment ? DecodeStatus.Ok : fail(out, DecodeError.tcp_truncated, pos, 20, have);
  }
  const headerLength = (b[pos + 12]! >> 4) << 2;
  if (headerLength < 20) return fail(out, DecodeError.tcp_bad_offset, pos, 20, headerLength);
  if (headerLength > length && !fragment) {
    return fail(out, DecodeError.tcp_bad_offset, pos, headerLength, length);
  }
  out.tcpSeq = ((b[pos + 4]! << 24) | (b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!) >>>
    0;
  out.tcpAck = ((b[pos + 8]! << 24) | (b[pos + 9]! << 16) | (b[pos + 10]! << 8) | b[pos + 11]!) >>>
    0;
  out.tcpFlags = ((b[pos + 12]! & 0x0f) << 8) | b[pos + 13]!;
  out.tcpWindow = (b[pos + 14]! << 8) | b[pos + 15]!;
  out.tcpUrgent = (b[pos + 18]! << 8) | b[pos + 19]!;
  out.tcpHeaderLength = headerLength;
  if (headerLength > 20) {
    // Options cut off by the snap length are read as far as they were captured.
    const complete = headerLength <= have;
    const ok = decodeTcpOptions(b, pos + 20, pos + (complete ? headerLength : have), out);
    out.tcpOptionsMalformed = !ok && complete;
  }
  out.payloadOffset = pos + headerLength;
  out.payloadLength = length > headerLength ? length - headerLength : 0;
  out.hasTransport = true;
  return DecodeStatus.Ok;
}

function decodeUdp(
  b: Uint8Array,
  pos: number,
  have: number,
  length: number,
  out: DecodedPacket,
): DecodeStatus {
  if (have >= 4) {
    if (!pushLayer(out, Layer.udp, pos)) return DecodeStatus.Malformed;
    out.srcPort = (b[pos]! << 8) | b[pos + 1]!;
    out.dstPort = (b[pos + 2]! << 8) | b[pos + 3]!;
  }
  if (have < 8) {
    return out.moreFragments ? DecodeStatus.Ok : fail(out, DecodeError.udp_truncated, pos, 8, have);
  }
  const udpLength = (b[pos + 4]! << 8) | b[pos + 5]!;
  out.udpLength = udpLength;
  out.payloadOffset = pos + 8;
  const datagram = udpLength >= 8 && udpLength <= length ? udpLength : length;
  out.payloadLength = datagram > 8 ? datagram - 8 : 0;
  out.hasTransport = true;
  if (out.isFragment) return DecodeStatus.Ok;
  const wireEnd = pos + datagram;
  const capturedEnd = pos + have < wireEnd ? pos + have : wireEnd;
  const status = decodeUdpTunnel(b, pos + 8, capturedEnd, wireEnd, out);
  return status === NOT_A_TUNNEL ? DecodeStatus.Ok : status;
}

/** ICMP (RFC 792) error types that quote the offending datagram's IP header. */
function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/**
 * The IP header (and the ports after it) that an ICMP error quotes, at `b[pos]`. Quotes are often
 * cut short, so a short one ends the walk quietly: the packet itself is fine.
 */
function decodeQuote(b: Uint8Array, pos: number, end: number, out: DecodedPacket): void {
  if (end - pos < 20) return;
  const version = b[pos]! >> 4;
  let at: number;
  let protocol: number;
  if (version === 4) {
    const headerLength = (b[pos]! & 0x0f) << 2;
    if (headerLength < 20) return;
    out.quoteSrcOffset = pos + 12;
    out.quoteDstOffset = pos + 16;
    protocol = b[pos + 9]!;
    at = pos + headerLength;
    if (((b[pos + 6]! & 0x1f) | b[pos + 7]!) !== 0) at = end; // a later fragment: no ports
  } else if (version === 6 && end - pos >= 40) {
    out.quoteSrcOffset = pos + 8;
    out.quoteDstOffset = pos + 24;
    protocol = b[pos + 6]!;
    at = pos + 40;
  } else {
    return;
  }
  out.quoteLayer = out.layerCount;
  if (!pushLayer(out, version === 4 ? Layer.ipv4 : Layer.ipv6, pos)) return;
  out.quoteIpVersion = version;
  out.quoteProtocol = protocol;
  if ((protocol !== 6 && protocol !== 17) || end - at < 4) return;
  if (!pushLayer(out, protocol === 6 ? Layer.tcp : Layer.udp, at)) return;
  out.quoteSrcPort = (b[at]! << 8) | b[at + 1]!;
  out.quoteDstPort = (b[at + 2]! << 8) | b[at + 3]!;
  out.quoteHasPorts = true;
}

function decodeIcmp(
  b: Uint8Array,
  pos: number,
  have: number,
  length: number,
  out: DecodedPacket,
): DecodeStatus {
  if (have < 4) {
    return out.moreFragments
      ? DecodeStatus.Ok
      : fail(out, DecodeError.icmp_truncated, pos, 4, have);
  }
  const v6 = out.protocol === 58;
  if (!pushLayer(out, v6 ? Layer.icmpv6 : Layer.icmp, pos)) return DecodeStatus.Malformed;
  const type = b[pos]!;
  out.icmpType = type;
  out.icmpCode = b[pos + 1]!;
  out.payloadOffset = pos + 4;
  out.payloadLength = length > 4 ? length - 4 : 0;
  out.hasTransport = true;
  // RFC 4443 §2.1: ICMPv6 types 1-4 are errors quoting the offending packet after 4 unused bytes.
  const quotes = v6 ? type >= 1 && type <= 4 : isIcmpError(type);
  if (quotes && !out.isFragment) decodeQuote(b, pos + 8, pos + have, out);
  return DecodeStatus.Ok;
}

/**
 * TCP, UDP (and the tunnels inside it), ICMP/ICMPv6 and GRE at `b[pos]`. `capturedEnd` bounds what
 * may be read; `length` is the transport length the IP header declares (larger than the capture
 * when a snap length cut the frame). Other protocols are accepted without a transport header.
 */
export function decodeTransport(
  b: Uint8Array,
  pos: number,
  capturedEnd: number,
  length: number,
  out: DecodedPacket,
): DecodeStatus {
  const have = capturedEnd - pos;
  out.transportOffset = pos;
  out.transportLength = length;
  // A first fragment may legally be too short for the whole transport header (RFC 791 allows
  // 8-byte fragments): it is a fragment without ports, not a malformed packet.
  switch (out.protocol) {
    case 6:
      return decodeTcp(b, pos, have, length, out);
    case 17:
      return decodeUdp(b, pos, have, length, out);
    case 1:
    case 58:
      return decodeIcmp(b, pos, have, length, out);
    case 47:
      if (out.isFragment) return DecodeStatus.Ok;
      return decodeGre(b, pos, capturedEnd, pos + length, out);
    default:
      return DecodeStatus.Ok;
  }
}
