import { DecodedPacket, DecodeError, DecodeStatus, fail } from "./decoded.ts";

/**
 * TCP, UDP, ICMP and ICMPv6 at `b[pos]`. `capturedEnd` bounds what may be read; `length` is the
 * transport length the IP header declares (larger than the capture when a snaplen cut the frame).
 * Other protocols are accepted without a transport header.
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
  const fragment = out.moreFragments;
  switch (out.protocol) {
    case 6: {
      if (have < 20) {
        return fragment ? DecodeStatus.Ok : fail(out, DecodeError.tcp_truncated, pos, 20, have);
      }
      const headerLength = (b[pos + 12]! >> 4) << 2;
      if (headerLength < 20) return fail(out, DecodeError.tcp_bad_offset, pos, 20, headerLength);
      if (headerLength > length && !fragment) {
        return fail(out, DecodeError.tcp_bad_offset, pos, headerLength, length);
      }
      out.srcPort = (b[pos]! << 8) | b[pos + 1]!;
      out.dstPort = (b[pos + 2]! << 8) | b[pos + 3]!;
      out.tcpSeq =
        ((b[pos + 4]! << 24) | (b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!) >>>
        0;
      out.tcpAck =
        ((b[pos + 8]! << 24) | (b[pos + 9]! << 16) | (b[pos + 10]! << 8) | b[pos + 11]!) >>> 0;
      out.tcpFlags = ((b[pos + 12]! & 0x0f) << 8) | b[pos + 13]!;
      out.tcpHeaderLength = headerLength;
      out.payloadOffset = pos + headerLength;
      out.payloadLength = length > headerLength ? length - headerLength : 0;
      out.hasTransport = true;
      return DecodeStatus.Ok;
    }
    case 17: {
      if (have < 8) {
        return fragment ? DecodeStatus.Ok : fail(out, DecodeError.udp_truncated, pos, 8, have);
      }
      out.srcPort = (b[pos]! << 8) | b[pos + 1]!;
      out.dstPort = (b[pos + 2]! << 8) | b[pos + 3]!;
      const udpLength = (b[pos + 4]! << 8) | b[pos + 5]!;
      out.payloadOffset = pos + 8;
      const datagram = udpLength >= 8 && udpLength <= length ? udpLength : length;
      out.payloadLength = datagram > 8 ? datagram - 8 : 0;
      out.hasTransport = true;
      return DecodeStatus.Ok;
    }
    case 1:
    case 58: {
      if (have < 4) {
        return fragment ? DecodeStatus.Ok : fail(out, DecodeError.icmp_truncated, pos, 4, have);
      }
      out.icmpType = b[pos]!;
      out.icmpCode = b[pos + 1]!;
      out.payloadOffset = pos + 4;
      out.payloadLength = length > 4 ? length - 4 : 0;
      out.hasTransport = true;
      return DecodeStatus.Ok;
    }
    default:
      return DecodeStatus.Ok;
  }
}
