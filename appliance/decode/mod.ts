/**
 * @module
 * Decode: link layer (Ethernet, 802.1Q/QinQ, MPLS and Ethernet pseudowires, PPPoE, ARP, Linux
 * cooked v1/v2, NULL/loopback, raw IP, Cisco HDLC, FDDI, NFLOG), IPv4/IPv6 (options, extension
 * headers, fragments with bounded reassembly), TCP (options)/UDP/ICMP (error quotes), and tunnels
 * with the packet inside them: VXLAN, Geneve, GRE (IP, PPP, Ethernet, ERSPAN II/III, Aruba
 * 802.11), GTP-U, IP-in-IP, Teredo, AYIYA, LISP. Each packet is decoded into one reused
 * {@link DecodedPacket} of offsets and numbers (innermost packet, plus `outer` and `layers`);
 * malformed packets return a status and are counted by kind, never thrown.
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
  Layer,
  LAYER_NAMES,
  type LayerName,
  MAX_LAYERS,
  PacketHeaders,
  TUNNEL_TYPE_NAMES,
  TunnelType,
} from "./decoded.ts";
export {
  type DecodeErrorSample,
  Decoder,
  type DecoderOptions,
  describeDecodeError,
} from "./decoder.ts";
export type { ReassemblyOptions, ReassemblyStats } from "./reassembly.ts";
export { formatAddress, formatIpv4, formatIpv6, formatMac } from "./address.ts";
export { type HeadersJson, type PacketJson, packetJson, packetLine } from "./render.ts";
export { Reassembler } from "./reassembly.ts";
