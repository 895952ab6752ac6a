import { PacketHeaders } from "./headers.ts";

export { PacketHeaders };

const EMPTY = new Uint8Array(0);

/** What `decode()` made of a frame. */
export const DecodeStatus = {
  /** An IP packet: network fields are set; transport fields when `hasTransport`. */
  Ok: 0,
  /** Not IP (ARP, LLDP, STP, …), or a tunnel carrying no IP: counted, not a flow. */
  NotIp: 1,
  /** Damaged or unsupported: `error` names the kind; the packet is skipped. */
  Malformed: 2,
} as const;
export type DecodeStatus = typeof DecodeStatus[keyof typeof DecodeStatus];

/**
 * Layers a frame can be made of, outermost first in {@link DecodedPacket.layers}. The index is the
 * code stored per layer; the name is what `appliance decode` prints. Layers after an `icmp` or
 * `icmpv6` layer are the header quoted by an ICMP error ({@link DecodedPacket.quoteLayer}).
 */
export const LAYER_NAMES = [
  "none",
  "eth",
  "vlan",
  "mpls",
  "pw", // RFC 4385 pseudowire control word
  "pppoe",
  "ppp",
  "arp",
  "llc", // 802.2 LLC/SNAP header
  "sll",
  "sll2",
  "null", // BSD loopback / OpenBSD loop
  "chdlc",
  "fddi",
  "nflog",
  "ipv4",
  "ipv6",
  "tcp",
  "udp",
  "icmp",
  "icmpv6",
  "vxlan",
  "geneve",
  "gre",
  "erspan",
  "wlan", // IEEE 802.11 data frame (Aruba GRE)
  "gtpu",
  "teredo",
  "ayiya",
  "lisp",
] as const;
export type LayerName = typeof LAYER_NAMES[number];

/** Layer codes by name (`Layer.ipv4`). */
export const Layer = Object.fromEntries(LAYER_NAMES.map((name, i) => [name, i])) as {
  readonly [K in LayerName]: number;
};

/**
 * Tunnel types. 0–4 are DeepFlow's `tunnel_type` values (agent `TunnelType`: None, Vxlan, Ipip,
 * TencentGre shown as "GRE", ErspanOrTeb); 5 and up are ours, for encapsulations DeepFlow does not
 * decapsulate.
 */
export const TunnelType = {
  None: 0,
  Vxlan: 1,
  /** IPv4/IPv6 directly in IPv4/IPv6 (IP protocols 4 and 41). */
  Ipip: 2,
  /** GRE carrying IP, PPP (PPTP) or 802.11 (Aruba); also GRE in UDP (RFC 8086). */
  Gre: 3,
  /** ERSPAN I/II/III, and GRE carrying Ethernet (Transparent Ethernet Bridging, 0x6558). */
  ErspanOrTeb: 4,
  Geneve: 5,
  /** GTP-U (3GPP TS 29.281), UDP 2152; the id is the TEID. */
  GtpU: 6,
  /** Teredo (RFC 4380), IPv6 in UDP 3544. */
  Teredo: 7,
  /** AYIYA, IPv6 in UDP 5072. */
  Ayiya: 8,
  /** LISP data plane (RFC 6830), UDP 4341; the id is the instance id when present. */
  Lisp: 9,
} as const;
export type TunnelType = typeof TunnelType[keyof typeof TunnelType];

/** Lowercase names of {@link TunnelType} values, by value. */
export const TUNNEL_TYPE_NAMES = [
  "none",
  "vxlan",
  "ipip",
  "gre",
  "erspan_teb",
  "geneve",
  "gtpu",
  "teredo",
  "ayiya",
  "lisp",
] as const;

/**
 * Kinds of decode error: name, the layer it belongs to, and the text shown to people. The index is
 * the counter slot. The message says what a "need/have" pair means for that kind.
 */
export const DECODE_ERRORS = [
  ["unsupported_link_type", "frame", "unsupported link type"],
  ["nflog_truncated", "nflog", "NFLOG TLV truncated"],
  ["link_truncated", "frame", "link-layer header truncated"],
  ["vlan_truncated", "vlan", "VLAN tag truncated"],
  ["vlan_too_deep", "vlan", "more VLAN tags than supported"],
  ["mpls_truncated", "mpls", "MPLS label stack truncated"],
  ["pppoe_truncated", "pppoe", "PPPoE header truncated"],
  ["ipv4_truncated", "ipv4", "IPv4 header truncated"],
  ["ipv4_bad_ihl", "ipv4", "IPv4 header length below 20"],
  ["ipv4_bad_total_length", "ipv4", "IPv4 total length below header length"],
  ["ipv4_ah_truncated", "ipv4", "IPv4 authentication header truncated"],
  ["ipv6_truncated", "ipv6", "IPv6 header truncated"],
  ["ipv6_ext_truncated", "ipv6", "IPv6 extension header truncated"],
  ["ip_bad_version", "ip", "IP version field does not match the link layer"],
  ["tcp_truncated", "tcp", "TCP header truncated"],
  ["tcp_bad_offset", "tcp", "TCP data offset outside the segment"],
  ["udp_truncated", "udp", "UDP header truncated"],
  ["icmp_truncated", "icmp", "ICMP header truncated"],
  ["arp_truncated", "arp", "ARP packet truncated"],
  ["llc_truncated", "llc", "LLC/SNAP header truncated"],
  ["ppp_truncated", "ppp", "PPP header truncated"],
  ["vxlan_truncated", "vxlan", "VXLAN header truncated"],
  ["geneve_truncated", "geneve", "Geneve header or options truncated"],
  ["gre_truncated", "gre", "GRE header truncated"],
  ["erspan_truncated", "erspan", "ERSPAN header truncated"],
  ["wlan_truncated", "wlan", "802.11 header truncated"],
  ["gtpu_truncated", "gtpu", "GTP-U header or extension headers truncated"],
  ["teredo_truncated", "teredo", "Teredo indicator truncated"],
  ["ayiya_truncated", "ayiya", "AYIYA header truncated"],
  ["lisp_truncated", "lisp", "LISP header truncated"],
  ["tunnel_too_deep", "tunnel", "more nested tunnels than supported"],
  ["too_many_layers", "frame", "more layers than supported"],
] as const;

export type DecodeErrorName = typeof DECODE_ERRORS[number][0];

function kindIndex(name: DecodeErrorName): number {
  return DECODE_ERRORS.findIndex(([n]) => n === name);
}

/** Counter slots of {@link DECODE_ERRORS}, by name. */
export const DecodeError = Object.fromEntries(
  DECODE_ERRORS.map(([name]) => [name, kindIndex(name)]),
) as { readonly [K in DecodeErrorName]: number };

/** Most layers one frame may have (each VLAN tag and MPLS label is a layer). */
export const MAX_LAYERS = 40;
export const MAX_VLAN_TAGS = 8;
export const MAX_MPLS_LABELS = 16;
/** Most tunnels inside one another. */
export const MAX_TUNNEL_DEPTH = 8;

/**
 * The decoded view of one frame. One instance is reused for every packet: fields are offsets and
 * numbers over a buffer, never copies, so decoding allocates nothing.
 *
 * The IP and transport fields it inherits from {@link PacketHeaders} (`srcOffset`, `protocol`,
 * `srcPort`, `tcpFlags`, …) describe the **innermost** packet: the one inside every tunnel, which
 * is what flows are keyed on (with `tunnelId`). `outer` holds the same fields for the
 * **outermost** IP packet; without a tunnel (`tunnelDepth === 0`) the two are equal. `layers`
 * lists every header, outermost first.
 *
 * Offsets of the inherited fields point into `buffer`. That is the capture buffer (`frameBuffer`),
 * except for the packet that completes a fragmented datagram: then `buffer` is the reassembled
 * datagram (`reassembled` is true) and the layers from `reassemblyLayer` on point into it too.
 *
 * Fragments: the first fragment has its own transport header (`hasTransport`); a later one has
 * `isLaterFragment`, and the first fragment's ports with `portsFromFirstFragment` once that was
 * seen; the fragment completing the datagram is decoded whole (`reassembled`, `isFragment` false,
 * `payloadLength` of the whole datagram). A Malformed packet keeps what was decoded before the
 * error (layers, outer headers, ports of a damaged TCP/UDP header).
 */
export class DecodedPacket extends PacketHeaders {
  /** 1-based packet number in the source. */
  number = 0;
  timestampUs = 0;
  /** Frame length on the wire (the caller sets it; at least the captured length). */
  frameLength = 0;
  /** Captured bytes of the frame. */
  capturedLength = 0;
  /** The capture buffer, and where the frame starts in it. */
  frameBuffer: Uint8Array = EMPTY;
  frameOffset = 0;

  /** Layer codes ({@link Layer}), outermost first, and where each header starts. */
  readonly layers: Uint8Array = new Uint8Array(MAX_LAYERS);
  readonly layerOffsets: Int32Array = new Int32Array(MAX_LAYERS);
  layerCount = 0;
  /** Index of the first layer read from the reassembled datagram; `MAX_LAYERS` when none. */
  reassemblyLayer = 0;
  /** Index of the first layer quoted by an ICMP error; -1 when none. */
  quoteLayer = -1;

  /** Outermost Ethernet header (offset into `frameBuffer`), -1 when the frame has none. */
  ethOffset = -1;
  /** Innermost Ethernet header (e.g. the frame inside VXLAN), -1 when none; see `innerEthBuffer`. */
  innerEthOffset = -1;
  innerEthBuffer: Uint8Array = EMPTY;

  /** Outermost 802.1Q/802.1ad VLAN id, 0 when untagged. */
  vlan = 0;
  /** Every VLAN id seen, outer first (QinQ: S-tag then C-tag; tags of tunnelled frames after). */
  readonly vlanIds: Uint16Array = new Uint16Array(MAX_VLAN_TAGS);
  vlanCount = 0;
  /** MPLS labels (20-bit values), top of the stack first. */
  readonly mplsStack: Uint32Array = new Uint32Array(MAX_MPLS_LABELS);
  mplsLabels = 0;

  /** ARP operation (1 request, 2 reply, …) and header offset when the frame is ARP; else 0, -1. */
  arpOpcode = 0;
  arpOffset = -1;

  /** {@link TunnelType} of the outermost tunnel (DeepFlow keeps the outermost too). */
  tunnelType: TunnelType = TunnelType.None;
  /**
   * Of the outermost tunnel: VXLAN/Geneve VNI, GRE key (PPTP: call id), ERSPAN session id, GTP-U
   * TEID, LISP instance id; 0 when it has none (IP-in-IP, Teredo, AYIYA).
   */
  tunnelId = 0;
  /** Number of tunnels the innermost packet is inside (0: not tunnelled). */
  tunnelDepth = 0;
  /** Flags-and-version word of the outermost GRE header (C 0x8000, K 0x2000, S 0x1000). */
  greFlags = 0;
  greKey = 0;
  greSequence = 0;
  /** ERSPAN version (1 = type II, 2 = type III; 0 when no ERSPAN header). */
  erspanVersion = 0;
  /** Where `enterTunnel` keeps the outermost headers; read them through `outer`. */
  readonly tunnelOuter: PacketHeaders = new PacketHeaders();

  /** The IP and transport headers of the outermost packet (this packet itself when untunnelled). */
  get outer(): PacketHeaders {
    return this.tunnelDepth > 0 ? this.tunnelOuter : this;
  }

  /**
   * ICMP error quote: the IP header an error message carries. It never becomes the packet's
   * addresses or ports; `quoteProtocol` is 0 when there is none.
   */
  quoteIpVersion = 0;
  quoteSrcOffset = 0;
  quoteDstOffset = 0;
  quoteProtocol = 0;
  quoteSrcPort = 0;
  quoteDstPort = 0;
  quoteHasPorts = false;

  /** This packet completed a fragmented datagram; see the class comment. */
  reassembled = false;
  /**
   * A later fragment (no transport header of its own) whose datagram's first fragment was seen:
   * `srcPort`/`dstPort` hold that first fragment's ports.
   */
  portsFromFirstFragment = false;

  /** Index into {@link DECODE_ERRORS} when the status is Malformed, else -1. */
  error = -1;
  /** Where the failing header starts, and the need/have figures of its message. */
  errorOffset = 0;
  errorNeed = 0;
  errorHave = 0;

  /** End, in the buffer being decoded, of the bytes on the wire (not only captured). */
  wireEnd = 0;
  /** Set by the decoder; receives IP fragments and may return their reassembled datagram. */
  fragments: FragmentSink | undefined = undefined;

  /** Layer code at `i` ({@link Layer}). */
  layer(i: number): number {
    return this.layers[i]!;
  }

  /** The buffer that `layerOffsets[i]` points into. */
  layerBuffer(i: number): Uint8Array {
    return i >= this.reassemblyLayer ? this.buffer : this.frameBuffer;
  }

  reset(): void {
    this.resetHeaders();
    this.layerCount = 0;
    this.reassemblyLayer = MAX_LAYERS;
    this.quoteLayer = -1;
    this.ethOffset = -1;
    this.innerEthOffset = -1;
    this.vlan = 0;
    this.vlanCount = 0;
    this.mplsLabels = 0;
    this.arpOpcode = 0;
    this.arpOffset = -1;
    this.tunnelType = TunnelType.None;
    this.tunnelId = 0;
    this.tunnelDepth = 0;
    this.greFlags = 0;
    this.greKey = 0;
    this.greSequence = 0;
    this.erspanVersion = 0;
    this.quoteIpVersion = 0;
    this.quoteProtocol = 0;
    this.quoteSrcPort = 0;
    this.quoteDstPort = 0;
    this.quoteHasPorts = false;
    this.reassembled = false;
    this.portsFromFirstFragment = false;
    this.error = -1;
  }
}

/** Where a fragment's bytes are, for {@link FragmentSink.add}. */
export interface FragmentInfo {
  /** Start of the IP header in `out.buffer`. */
  ipOffset: number;
  /** End of the unfragmentable part: the IPv4 header, or the IPv6 headers up to the fragment header's end. */
  headerEnd: number;
  /** IPv6: where the fragment header starts (patched to offset 0 in the reassembled copy); -1 for IPv4. */
  fragmentHeaderOffset: number;
  /** End of this fragment's payload (as the IP header says; never beyond what was captured). */
  payloadEnd: number;
  /** The fragment was cut by the capture's snap length: it cannot be reassembled. */
  truncated: boolean;
}

/**
 * Receives the IP fragments of the packet being decoded (the decoder's reassembler). `add` returns
 * the whole datagram, its IP header patched to an unfragmented one, when this fragment completes
 * it. It may set `out.srcPort`/`dstPort` and `portsFromFirstFragment` of a later fragment.
 */
export interface FragmentSink {
  add(out: DecodedPacket, fragment: FragmentInfo): Uint8Array | undefined;
}

/** Marks `out` as malformed; returns the status so callers can `return fail(...)`. */
export function fail(
  out: DecodedPacket,
  kind: number,
  offset: number,
  need: number,
  have: number,
): DecodeStatus {
  out.error = kind;
  out.errorOffset = offset;
  out.errorNeed = need;
  out.errorHave = have;
  return DecodeStatus.Malformed;
}

/** Appends a layer; false (with `out` marked malformed) when the layer list is full. */
export function pushLayer(out: DecodedPacket, layer: number, offset: number): boolean {
  const i = out.layerCount;
  if (i === MAX_LAYERS) {
    fail(out, DecodeError.too_many_layers, offset, MAX_LAYERS, MAX_LAYERS + 1);
    return false;
  }
  out.layers[i] = layer;
  out.layerOffsets[i] = offset;
  out.layerCount = i + 1;
  return true;
}

/**
 * Enters a tunnel whose payload starts next: the outermost headers are kept in `outer` (first
 * tunnel only), the inherited fields are cleared for the inner packet. False (with `out` marked
 * malformed) when tunnels are nested too deep.
 */
export function enterTunnel(out: DecodedPacket, type: TunnelType, id: number, at: number): boolean {
  if (out.tunnelDepth === MAX_TUNNEL_DEPTH) {
    fail(out, DecodeError.tunnel_too_deep, at, MAX_TUNNEL_DEPTH, MAX_TUNNEL_DEPTH + 1);
    return false;
  }
  if (out.tunnelDepth === 0) {
    out.tunnelOuter.copyFrom(out);
    out.tunnelType = type;
    out.tunnelId = id;
  }
  out.tunnelDepth++;
  out.resetHeaders();
  return true;
}
