/**
 * @module
 * Decode: link layer (Ethernet, 802.1Q/QinQ, MPLS, PPPoE, Linux cooked v1/v2, NULL/loopback,
 * raw IP, Cisco HDLC), IPv4/IPv6 (with extension headers and fragments), TCP/UDP/ICMP. Each
 * packet is decoded into one reused {@link DecodedPacket} of offsets and numbers; malformed packets
 * return a status and are counted by kind, never thrown.
 *
 * ```ts
 * const decoder = new Decoder();
 * while (source.next()) {
 *   if (decoder.decode(source.packet) === DecodeStatus.Ok) console.log(decoder.out.srcPort);
 * }
 * console.log(decoder.errorCounts()); // { ipv4_truncated: 2 }
 * ```
 */
export {
  DECODE_ERRORS,
  DecodedPacket,
  DecodeError,
  type DecodeErrorName,
  DecodeStatus,
} from "./decoded.ts";
export {
  type DecodeErrorSample,
  Decoder,
  type DecoderOptions,
  describeDecodeError,
} from "./decoder.ts";
export { formatAddress, formatIpv4, formatIpv6 } from "./address.ts";
