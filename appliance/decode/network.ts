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
import { decodeTransport } from "./transport.ts";

const MAX_EXTENSION_HEADERS = 8;

/**
 * Continues with the datagram a fragment completed: the IP layer just pushed is decoded again
 * from the reassembled copy, so its transport header (and any tunnel inside) is read whole.
 */
function decodeReassembled(whole: Uint8Array, out: DecodedPacket): DecodeStatus {
  out.layerCount--;
  out.reassemblyLayer = out.layerCount;
  out.buffer = whole;
  out.reassembled = true;
  out.wireEnd = whole.length;
  return whole[0]! >> 4 === 4
    ? decodeIpv4(whole, 0, whole.length, out)
    : decodeIpv6(whole, 0, whole.length, out);
}

/** The payload of an IP packet: IP-in-IP (a tunnel) or a transport header, after an IPv4 AH. */
function decodeIpPayload(
  b: Uint8Array,
  pos: number,
  capturedEnd: number,
  ipEnd: number,
  out: DecodedPacket,
): DecodeStatus {
  let at = pos;
  if (out.protocol === 51 && out.ipVersion === 4 && !out.isFragment) {
    // RFC 4302 §2.2: the authentication header (length in 4-byte words, minus 2) says what
    // follows it, as IPv6 extension headers do.
    if (capturedEnd - at < 8) {
      return fail(out, DecodeError.ipv4_ah_truncated, at, 8, capturedEnd - at);
    }
    const length = (b[at + 1]! + 2) << 2;
    if (capturedEnd - at < length) {
      return fail(out, DecodeError.ipv4_ah_truncated, at, length, capturedEnd - at);
    }
    out.protocol = b[at]!;
    at += length;
  }
  const protocol = out.protocol;
  if ((protocol === 4 || protocol === 41) && !out.isFragment) {
    // RFC 2003 / RFC 4213: IPv4 or IPv6 directly inside IPv4 or IPv6.
    if (!enterTunnel(out, TunnelType.Ipip, 0, at)) return DecodeStatus.Malformed;
    out.wireEnd = ipEnd;
    return protocol === 4
      ? decodeIpv4(b, at, capturedEnd, out)
      : decodeIpv6(b, at, capturedEnd, out);
  }
  return decodeTransport(b, at, capturedEnd, ipEnd - at, out);
}

/** IPv4 (RFC 791) at `b[pos]`; `end` is the end of the captured bytes. */
export function decodeIpv4(
  b: Uint8Array,
  pos: number,
  end: number,
  out: DecodedPacket,
): DecodeStatus {
  const have = end - pos;
  if (have < 20) return fail(out, DecodeError.ipv4_truncated, pos, 20, have);
  const first = b[pos]!;
  if (first >> 4 !== 4) return fail(out, DecodeError.ip_bad_version, pos, 4, first >> 4);
  const headerLength = (first & 0x0f) << 2;
  if (headerLength < 20) return fail(out, DecodeError.ipv4_bad_ihl, pos, 20, headerLength);
  let total = (b[pos + 2]! << 8) | b[pos + 3]!;
  // A zero total length is TCP segmentation offload: the NIC fills it in after capture.
  if (total === 0) total = out.wireEnd - pos;
  else if (total < headerLength) {
    return fail(out, DecodeError.ipv4_bad_total_length, pos, headerLength, total);
  }
  if (!pushLayer(out, Layer.ipv4, pos)) return DecodeStatus.Malformed;
  const fragment = (b[pos + 6]! << 8) | b[pos + 7]!;
  out.ipVersion = 4;
  out.ipOffset = pos;
  out.ipHeaderLength = headerLength;
  out.srcOffset = pos + 12;
  out.dstOffset = pos + 16;
  out.ttl = b[pos + 8]!;
  out.protocol = b[pos + 9]!;
  out.ipId = (b[pos + 4]! << 8) | b[pos + 5]!;
  out.fragmentId = out.ipId;
  out.moreFragments = (fragment & 0x2000) !== 0;
  out.fragmentOffset = (fragment & 0x1fff) << 3;
  // Options cut off: the fixed header is read (addresses and all), the rest is not.
  if (have < headerLength) return fail(out, DecodeError.ipv4_truncated, pos, headerLength, have);
  const transport = pos + headerLength;
  // Ethernet pads short frames: the IP length, not the frame, says where the packet ends; a
  // length beyond the frame on the wire is bogus and clipped to it, as tshark does.
  const ipEnd = pos + total < out.wireEnd ? pos + total : out.wireEnd;
  const capturedEnd = ipEnd < end ? ipEnd : end;
  if (out.isFragment) {
    if (out.fragments !== undefined) {
      const whole = out.fragments.add(out, {
        ipOffset: pos,
        headerEnd: transport,
        fragmentHeaderOffset: -1,
        payloadEnd: capturedEnd,
        truncated: ipEnd > end,
      });
      if (whole !== undefined) return decodeReassembled(whole, out);
    }
    if (out.fragmentOffset > 0) return DecodeStatus.Ok;
  }
  return decodeIpPayload(b, transport, capturedEnd, ipEnd, out);
}

/** IPv6 (RFC 8200) at `b[pos]`, skipping hop-by-hop, routing, fragment, AH and dest options. */
export function decodeIpv6(
  b: Uint8Array,
  pos: number,
  end: number,
  out: DecodedPacket,
): DecodeStatus {
  const have = end - pos;
  if (have < 40) return fail(out, DecodeError.ipv6_truncated, pos, 40, have);
  const version = b[pos]! >> 4;
  if (version !== 6) return fail(out, DecodeError.ip_bad_version, pos, 6, version);
  if (!pushLayer(out, Layer.ipv6, pos)) return DecodeStatus.Malformed;
  const payloadLength = (b[pos + 4]! << 8) | b[pos + 5]!;
  out.ipVersion = 6;
  out.ipOffset = pos;
  out.srcOffset = pos + 8;
  out.dstOffset = pos + 24;
  out.ttl = b[pos + 7]!;
  // A zero payload length is a jumbogram (RFC 2675) or offload: use what was on the wire.
  const wireEnd = out.wireEnd;
  const declaredEnd = payloadLength === 0 ? wireEnd : pos + 40 + payloadLength;
  const ipEnd = declaredEnd < wireEnd ? declaredEnd : wireEnd;
  const capturedEnd = ipEnd < end ? ipEnd : end;
  let next = b[pos + 6]!;
  let at = pos + 40;
  let fragmentHeader = -1;
  for (let i = 0; i < MAX_EXTENSION_HEADERS; i++) {
    let length: number;
    if (next === 0 || next === 43 || next === 60) {
      if (capturedEnd - at < 8) {
        return fail(out, DecodeError.ipv6_ext_truncated, at, 8, capturedEnd - at);
      }
      length = (b[at + 1]! + 1) << 3;
    } else if (next === 51) {
      // RFC 4302 §2.2: AH length counts 4-byte words, minus 2.
      if (capturedEnd - at < 8) {
        return fail(out, DecodeError.ipv6_ext_truncated, at, 8, capturedEnd - at);
      }
      length = (b[at + 1]! + 2) << 2;
    } else if (next === 44 && fragmentHeader < 0) {
      if (capturedEnd - at < 8) {
        return fail(out, DecodeError.ipv6_ext_truncated, at, 8, capturedEnd - at);
      }
      const offsetAndFlags = (b[at + 2]! << 8) | b[at + 3]!;
      out.fragmentOffset = offsetAndFlags & 0xfff8;
      out.moreFragments = (offsetAndFlags & 1) !== 0;
      out.fragmentId =
        ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>>
        0;
      fragmentHeader = at;
      length = 8;
    } else {
      break;
    }
    if (capturedEnd - at < length) {
      return fail(out, DecodeError.ipv6_ext_truncated, at, length, capturedEnd - at);
    }
    next = b[at]!;
    at += length;
    // Headers after the fragment header belong to the fragmented part: only the first has them.
    if (fragmentHeader === at - 8 && out.isFragment) {
      if (out.fragments !== undefined) {
        out.protocol = next;
        out.ipHeaderLength = at - pos;
        const whole = out.fragments.add(out, {
          ipOffset: pos,
          headerEnd: at,
          fragmentHeaderOffset: fragmentHeader,
          payloadEnd: capturedEnd,
          truncated: ipEnd > end,
        });
        if (whole !== undefined) return decodeReassembled(whole, out);
      }
      if (out.fragmentOffset > 0) break;
    }
  }
  out.protocol = next;
  out.ipHeaderLength = at - pos;
  if (out.fragmentOffset > 0) return DecodeStatus.Ok;
  return decodeIpPayload(b, at, capturedEnd, ipEnd, out);
}
