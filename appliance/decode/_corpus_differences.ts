/**
 * Corpus packets where our decode differs from tshark's on purpose, each investigated: the golden
 * test (corpus_test.ts) fails on any difference not listed here.
 */
interface KnownDifference {
  file: string;
  frames: number[];
  /** Truth columns that may differ for these frames. */
  fields: string[];
  reason: string;
}

const PORTS = ["tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"];
const TCP = ["tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.seq_raw", "tcp.len"];
const IPV4 = ["ip.src", "ip.dst", "ip.proto"];

const KNOWN: KnownDifference[] = [
  {
    file: "pcapplusplus/examples_test/tcp-reassembly.pcap",
    frames: [66],
    fields: ["eth.type", ...IPV4, ...TCP, ...PORTS],
    reason: "an sFlow datagram: tshark decodes the packet headers it samples; to us they are " +
      "UDP payload (sFlow reports traffic, it does not tunnel it)",
  },
  {
    file: "zeek/tunnels/gre-aruba-amsdu.pcap",
    frames: [1],
    fields: [...IPV4, ...TCP],
    reason: "an 802.11 A-MSDU carrying two TCP segments: we follow the first subframe (a decoded " +
      "packet has one innermost packet), tshark decodes both",
  },
  {
    file: "pcapplusplus/examples_test/ipv6.pcapng",
    frames: [33],
    fields: [...IPV4, ...PORTS],
    reason: "a LISP control message (UDP 4342) quoting the IP/UDP packet it was triggered by: " +
      "control plane, not a data tunnel, so not decapsulated",
  },
  {
    file: "pcapplusplus/packet_examples/ipv4-options.pcap",
    frames: [6, 7],
    fields: ["ip.dst"],
    reason: "IPv4 strict source route option: tshark's ip.dst is the route's final hop, ours " +
      "the header's destination field",
  },
  {
    file: "ndpi/ip_fragmented_garbage.pcap",
    frames: [313, 1252],
    fields: ["tcp.flags", "tcp.len"],
    reason: "the reassembled garbage datagram has a TCP data offset of 16 bytes: we stop there " +
      "(tcp_bad_offset, with the ports and flags read); tshark omits the flags and still computes " +
      "a segment length from the bogus offset",
  },
  {
    file: "ndpi/fuzz-2006-06-26-2594.pcap",
    frames: [607, 608],
    fields: ["eth.type"],
    reason: "fuzzed frame with 0 in the EtherType field, a length by IEEE 802.3 (no type): " +
      "tshark still prints it as eth.type 0x0000",
  },
  {
    file: "ndpi/fuzz-2006-06-26-2594.pcap",
    frames: [669],
    fields: ["ipv6.src", "ipv6.dst"],
    reason: "fuzzed frame: EtherType IPv6 but IP version 4 in the header; we reject it " +
      "(ip_bad_version), tshark reads it as IPv6 anyway",
  },
  {
    file: "zeek/trunc/ip6-trunc.pcap",
    frames: [1],
    fields: ["ipv6.src"],
    reason: "IPv6 header cut at 34 of 40 bytes: we reject the header (ipv6_truncated); tshark " +
      "shows the source address, which fits",
  },
  {
    file: "zeek/trunc/ipv4-internally-truncated-header.pcap",
    frames: [1],
    fields: ["ip.dst"],
    reason: "IPv4 header whose options are cut: we read the whole fixed header, destination " +
      "included, then stop (ipv4_truncated); tshark stops before the destination",
  },
];

/** Why a field of a corpus packet differs from tshark on purpose; undefined when unexplained. */
export function explainDifference(file: string, frame: number, field: string): string | undefined {
  return KNOWN.find((k) => k.file === file && k.frames.includes(frame) && k.fields.includes(field))
    ?.reason;
}

/** Every listed difference, to tell stale entries. */
export function knownDifferences(): { file: string; frame: number; fields: string[] }[] {
  return KNOWN.flatMap((k) => k.frames.map((frame) => ({ file: k.file, frame, fields: k.fields })));
}
