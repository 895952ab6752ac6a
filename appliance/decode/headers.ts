const EMPTY = new Uint8Array(0);

/**
 * IP and transport fields of one packet level (the innermost one in `DecodedPacket` itself, the
 * outermost one in `DecodedPacket.outer`). Offsets point into `buffer`.
 */
export class PacketHeaders {
  /** The bytes the offsets below point into. */
  buffer: Uint8Array = EMPTY;

  /** 4 or 6; 0 when not IP. */
  ipVersion = 0;
  ipOffset = 0;
  /** IPv4: IHL in bytes (options included); IPv6: 40 plus the extension headers. */
  ipHeaderLength = 0;
  /** Offsets of the source and destination addresses (4 or 16 bytes each). */
  srcOffset = 0;
  dstOffset = 0;
  /** IP protocol of the transport header (after IPv6 extension headers). */
  protocol = 0;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 0;
  /** IPv4 identification field (0 for IPv6). */
  ipId = 0;
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
  /** Window field as sent (not scaled). */
  tcpWindow = 0;
  tcpUrgent = 0;
  tcpHeaderLength = 0;
  /** MSS option value; 0 when absent. */
  tcpMss = 0;
  /** Window scale option shift count; -1 when absent. */
  tcpWindowScale = -1;
  tcpSackPermitted = false;
  /** Number of SACK blocks in a SACK option; 0 when absent. */
  tcpSackBlocks = 0;
  /** Timestamps option present: `tcpTsVal`/`tcpTsEcr` are set. */
  tcpHasTimestamps = false;
  tcpTsVal = 0;
  tcpTsEcr = 0;
  /** The options area ended inside an option (bad length): the options before it are set. */
  tcpOptionsMalformed = false;
  /** UDP length field as sent. */
  udpLength = 0;
  icmpType = 0;
  icmpCode = 0;
  payloadOffset = 0;
  /** Application payload bytes per the headers (TCP: IP length − headers, like tcp.len). */
  payloadLength = 0;

  /** A fragment that is not the first one: it carries no transport header. */
  get isLaterFragment(): boolean {
    return this.fragmentOffset > 0;
  }

  get isFragment(): boolean {
    return this.fragmentOffset > 0 || this.moreFragments;
  }

  /** Clears every field but `buffer`. */
  resetHeaders(): void {
    this.ipVersion = 0;
    this.ipOffset = 0;
    this.ipHeaderLength = 0;
    this.srcOffset = 0;
    this.dstOffset = 0;
    this.protocol = 0;
    this.ttl = 0;
    this.ipId = 0;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.fragmentId = 0;
    this.hasTransport = false;
    this.transportOffset = 0;
    this.transportLength = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpWindow = 0;
    this.tcpUrgent = 0;
    this.tcpHeaderLength = 0;
    this.tcpMss = 0;
    this.tcpWindowScale = -1;
    this.tcpSackPermitted = false;
    this.tcpSackBlocks = 0;
    this.tcpHasTimestamps = false;
    this.tcpTsVal = 0;
    this.tcpTsEcr = 0;
    this.tcpOptionsMalformed = false;
    this.udpLength = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.payloadOffset = 0;
    this.payloadLength = 0;
  }

  copyFrom(o: PacketHeaders): void {
    this.buffer = o.buffer;
    this.ipVersion = o.ipVersion;
    this.ipOffset = o.ipOffset;
    this.ipHeaderLength = o.ipHeaderLength;
    this.srcOffset = o.srcOffset;
    this.dstOffset = o.dstOffset;
    this.protocol = o.protocol;
    this.ttl = o.ttl;
    this.ipId = o.ipId;
    this.fragmentOffset = o.fragmentOffset;
    this.moreFragments = o.moreFragments;
    this.fragmentId = o.fragmentId;
    this.hasTransport = o.hasTransport;
    this.transportOffset = o.transportOffset;
    this.transportLength = o.transportLength;
    this.srcPort = o.srcPort;
    this.dstPort = o.dstPort;
    this.tcpFlags = o.tcpFlags;
    this.tcpSeq = o.tcpSeq;
    this.tcpAck = o.tcpAck;
    this.tcpWindow = o.tcpWindow;
    this.tcpUrgent = o.tcpUrgent;
    this.tcpHeaderLength = o.tcpHeaderLength;
    this.tcpMss = o.tcpMss;
    this.tcpWindowScale = o.tcpWindowScale;
    this.tcpSackPermitted = o.tcpSackPermitted;
    this.tcpSackBlocks = o.tcpSackBlocks;
    this.tcpHasTimestamps = o.tcpHasTimestamps;
    this.tcpTsVal = o.tcpTsVal;
    this.tcpTsEcr = o.tcpTsEcr;
    this.tcpOptionsMalformed = o.tcpOptionsMalformed;
    this.udpLength = o.udpLength;
    this.icmpType = o.icmpType;
    this.icmpCode = o.icmpCode;
    this.payloadOffset = o.payloadOffset;
    this.payloadLength = o.payloadLength;
  }
}
