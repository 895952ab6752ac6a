const EMPTY = new Uint8Array(0);

/** What `decode()` made of a frame. */
export const DecodeStatus = {
  /** An IP packet: network fields are set; transport fields when `hasTransport`. */
  Ok: 0,
  /** Not IP (ARP, LLDP, STP, …): counted, not a flow. */
  NotIp: 1,
  /** Damaged or unsupported: `error` names the kind; the packet is skipped. */
  Malformed: 2,
} as const;
export type DecodeStatus = typeof DecodeStatus[keyof typeof DecodeStatus];

/**
 * Kinds of decode error. The index is the counter slot; the name is what users see. The message
 * part says what a "need/have" pair means for that kind.
 */
export const DECODE_ERRORS = [
  ["unsupported_link_type", "unsupported link type"],
  ["nflog_truncated", "NFLOG TLV truncated"],
  ["link_truncated", "link-layer header truncated"],
  ["vlan_truncated", "VLAN tag truncated"],
  ["vlan_too_deep", "more VLAN tags than supported"],
  ["mpls_truncated", "MPLS label stack truncated"],
  ["pppoe_truncated", "PPPoE header truncated"],
  ["ipv4_truncated", "IPv4 header truncated"],
  ["ipv4_bad_ihl", "IPv4 header length below 20"],
  ["ipv4_bad_total_length", "IPv4 total length below header length"],
  ["ipv6_truncated", "IPv6 header truncated"],
  ["ipv6_ext_truncated", "IPv6 extension header truncated"],
  ["ip_bad_version", "IP version field does not match the link layer"],
  ["tcp_truncated", "TCP header truncated"],
  ["tcp_bad_offset", "TCP data offset outside the segment"],
  ["udp_truncated", "UDP header truncated"],
  ["icmp_truncated", "ICMP header truncated"],
] as const;

export type DecodeErrorName = typeof DECODE_ERRORS[number][0];

function kindIndex(name: DecodeErrorName): number {
  return DECODE_ERRORS.findIndex(([n]) => n === name);
}

/** Counter slots of {@link DECODE_ERRORS}, by name. */
export const DecodeError = Object.fromEntries(
  DECODE_ERRORS.map(([name]) => [name, kindIndex(name)]),
) as { readonly [K in DecodeErrorName]: number };

/**
 * The decoded view of one frame. One instance is reused for every packet: fields are offsets and
 * numbers over `buffer`, never copies, so decoding allocates nothing. Addresses are formatted to
 * strings only when a flow is created (see `formatAddress`).
 */
export class DecodedPacket {
  buffer: Uint8Array = EMPTY;
  /** 1-based packet number in the source. */
  number = 0;
  timestampUs = 0;
  /** Frame length on the wire (the caller sets it; at least the captured length). */
  frameLength = 0;
  /** Where the frame starts in `buffer`. */
  frameOffset = 0;

  /** Outermost 802.1Q/802.1ad VLAN id, 0 when untagged. */
  vlan = 0;
  vlanCount = 0;
  /** Number of MPLS labels popped (0 when none). */
  mplsLabels = 0;

  /** 4 or 6; 0 when not IP. */
  ipVersion = 0;
  ipOffset = 0;
  /** Offsets of the source and destination addresses in `buffer` (4 or 16 bytes each). */
  srcOffset = 0;
  dstOffset = 0;
  /** IP protocol of the transport header (after IPv6 extension headers). */
  protocol = 0;
  ttl = 0;
  /** Fragment offset in bytes; > 0 means a later fragment without a transport header. */
  fragmentOffset = 0;
  moreFragments = false;
  /** IPv4 identification or IPv6 fragment-header identification. */
  fragmentId = 0;

  /** Transport header decoded (TCP/UDP: ports; ICMP: type/code). */
  hasTransport = false;
  transportOffset = 0;
  /** Transport bytes per the IP header (may exceed what was captured). */
  transportLength = 0;
  srcPort = 0;
  dstPort = 0;
  /** The 12 TCP flag bits (NS/AE and reserved included, as tshark's tcp.flags). */
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpHeaderLength = 0;
  icmpType = 0;
  icmpCode = 0;
  payloadOffset = 0;
  /** Application payload bytes per the headers (TCP: IP length − headers, like tcp.len). */
  payloadLength = 0;

  /** Index into {@link DECODE_ERRORS} when the status is Malformed, else -1. */
  error = -1;
  /** Where the failing header starts, and the need/have figures of its message. */
  errorOffset = 0;
  errorNeed = 0;
  errorHave = 0;

  /** A fragment that is not the first one: it carries no transport header. */
  get isLaterFragment(): boolean {
    return this.fragmentOffset > 0;
  }

  get isFragment(): boolean {
    return this.fragmentOffset > 0 || this.moreFragments;
  }

  reset(): void {
    this.vlan = 0;
    this.vlanCount = 0;
    this.mplsLabels = 0;
    this.ipVersion = 0;
    this.protocol = 0;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.fragmentId = 0;
    this.hasTransport = false;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpHeaderLength = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.payloadOffset = 0;
    this.payloadLength = 0;
    this.error = -1;
  }
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
