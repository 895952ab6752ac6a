import { DecodedPacket, DecodeError, DecodeStatus, fail } from "./decoded.ts";
import { decodeTransport } from "./transport.ts";

const MAX_EXTENSION_HEADERS = 8;

/** IPv4 (RFC 791) at `b[pos]`; `end` is the end of the captured frame. */
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
  if (have < headerLength) return fail(out, DecodeError.ipv4_truncated, pos, headerLength, have);
  let total = (b[pos + 2]! << 8) | b[pos + 3]!;
  // A zero total length is TCP segmentation offload: the NIC fills it in after capture.
  if (total === 0) total = have;
  else if (total < headerLength) {
    return fail(out, DecodeError.ipv4_bad_total_length, pos, headerLength, total);
  }
  const fragment = (b[pos + 6]! << 8) | b[pos + 7]!;
  out.ipVersion = 4;
  out.ipOffset = pos;
  out.srcOffset = pos + 12;
  out.dstOffset = pos + 16;
  out.ttl = b[pos + 8]!;
  out.protocol = b[pos + 9]!;
  out.fragmentId = (b[pos + 4]! << 8) | b[pos + 5]!;
  out.moreFragments = (fragment & 0x2000) !== 0;
  out.fragmentOffset = (fragment & 0x1fff) << 3;
  if (out.fragmentOffset > 0) return DecodeStatus.Ok;
  const transport = pos + headerLength;
  // Ethernet pads short frames: the IP length, not the frame, says where the packet ends; a
  // length beyond the frame on the wire is bogus and clipped to it, as tshark does.
  const reportedEnd = out.frameOffset + out.frameLength;
  const ipEnd = pos + total < reportedEnd ? pos + total : reportedEnd;
  return decodeTransport(b, transport, ipEnd < end ? ipEnd : end, ipEnd - transport, out);
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
  const payloadLength = (b[pos + 4]! << 8) | b[pos + 5]!;
  out.ipVersion = 6;
  out.ipOffset = pos;
  out.srcOffset = pos + 8;
  out.dstOffset = pos + 24;
  out.ttl = b[pos + 7]!;
  // A zero payload length is a jumbogram (RFC 2675) or offload: use what was captured.
  const reportedEnd = out.frameOffset + out.frameLength;
  const declaredEnd = payloadLength === 0 ? reportedEnd : pos + 40 + payloadLength;
  const ipEnd = declaredEnd < reportedEnd ? declaredEnd : reportedEnd;
  const capturedEnd = ipEnd < end ? ipEnd : end;
  let next = b[pos + 6]!;
  let at = pos + 40;
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
    } else if (next === 44) {
      if (capturedEnd - at < 8) {
        return fail(out, DecodeError.ipv6_ext_truncated, at, 8, capturedEnd - at);
      }
      const offsetAndFlags = (b[at + 2]! << 8) | b[at + 3]!;
      out.fragmentOffset = offsetAndFlags & 0xfff8;
      out.moreFragments = (offsetAndFlags & 1) !== 0;
      out.fragmentId =
        ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>>
        0;
      length = 8;
    } else {
      break;
    }
    if (capturedEnd - at < length) {
      return fail(out, DecodeError.ipv6_ext_truncated, at, length, capturedEnd - at);
    }
    next = b[at]!;
    at += length;
    if (out.fragmentOffset > 0) break;
  }
  out.protocol = next;
  if (out.fragmentOffset > 0) return DecodeStatus.Ok;
  return decodeTransport(b, at, capturedEnd, ipEnd - at, out);
}
