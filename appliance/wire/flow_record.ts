/**
 * The flow-log record: one bidirectional flow at one capture point during one natural minute.
 * Names follow DeepFlow's `flow_log.l4_flow_log` (camelCase here, snake_case in SQL and JSON; see
 * {@link FLOW_FIELDS}). Index 0 / `tx` is the client side (client → server), 1 / `rx` the server.
 */

/**
 * `close_type` values (DeepFlow's `close_type.en`). A flow's records carry 0 until the last one,
 * which says how the flow ended; `appliance/flow/tcp.ts` writes down how each is decided.
 * (DeepFlow's agent marks its intermediate per-minute records 5, Force Report; ours keep 5 for
 * a flow reported before it ended: evicted, or live when the input ended.)
 */
export const CloseType = {
  /** Not the flow's last record (the flow goes on in the next minute). */
  Unknown: 0,
  Normal: 1,
  ServerRst: 2,
  Timeout: 3,
  ForceReport: 5,
  ClientSynRepeat: 7,
  ServerHalfClose: 8,
  ClientRst: 9,
  ServerSynRepeat: 10,
  ClientHalfClose: 11,
  ClientPortReuse: 13,
  ServerDirectRst: 15,
  ServerQueueOverflow: 17,
  ClientOtherRst: 18,
  ServerOtherRst: 19,
  NormalClientRst: 20,
} as const;
export type CloseType = typeof CloseType[keyof typeof CloseType];

/** DeepFlow's display names of {@link CloseType} values. */
export const CLOSE_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "Unknown",
  1: "Normal",
  2: "Server RST",
  3: "Timeout",
  5: "Force Report",
  7: "Client SYN Repeat",
  8: "Server Half Close",
  9: "Client RST",
  10: "Server SYN Repeat",
  11: "Client Half Close",
  13: "Client Port Reuse",
  15: "Server Direct RST",
  17: "Server Queue Overflow",
  18: "Client Other RST",
  19: "Server Other RST",
  20: "Normal-Client RST",
};

/** `observation_point` values (DESIGN §7); a capture point is configured with one of them. */
export const OBSERVATION_POINTS: readonly string[] = [
  "c",
  "c-nd",
  "c-hv",
  "c-gw-hv",
  "c-gw",
  "local",
  "rest",
  "s-gw",
  "s-gw-hv",
  "s-hv",
  "s-nd",
  "s",
  "c-p",
  "s-p",
  "c-app",
  "s-app",
  "app",
];

export interface FlowRecord {
  /** Appliance-local flow id, the same on every record of the flow. */
  flowId: number;
  /** µs since the epoch: the first packet, or the start of the minute for a later record. */
  startTime: number;
  /** µs: the end of the minute (exclusive), or the close / timeout / report on the last record. */
  endTime: number;
  /** µs from the flow's first packet to its last packet so far. */
  duration: number;
  /** 1 on the flow's first record, else 0. */
  isNewFlow: number;
  /** {@link CloseType}; 0 except on the flow's last record. */
  closeType: number;
  /** 4 or 6. */
  ipVersion: number;
  ip0: string;
  ip1: string;
  clientPort: number;
  serverPort: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, …) of the innermost packet. */
  protocol: number;
  /** Outer 802.1Q VLAN id, 0 when untagged. */
  vlan: number;
  /** Outermost tunnel's type (decode's `TunnelType`: 0 none, 1 VXLAN, 2 IPIP, 3 GRE, …). */
  tunnelType: number;
  /** VNI, GRE key or ERSPAN session id of that tunnel; 0 when none. */
  tunnelId: number;
  /** Index of the appliance's capture point (tap port) that saw the flow; 0 for a replay. */
  captureNic: number;
  /** What that capture point represents (DESIGN §7), e.g. `"c"`, `"s"`, `"rest"`. */
  observationPoint: string;
  packetTx: number;
  packetRx: number;
  /** Frame bytes on the wire. */
  byteTx: number;
  byteRx: number;
  /** IP payload bytes (after the IP header and IPv6 extension headers). */
  l3ByteTx: number;
  l3ByteRx: number;
  /** Transport payload bytes (after the TCP/UDP header). */
  l4ByteTx: number;
  l4ByteRx: number;
  /** OR of the TCP flags seen this minute from the client / from the server. */
  tcpFlagsBit0: number;
  tcpFlagsBit1: number;
  /** SYNs from the client and SYN-ACKs from the server this minute, repeats included. */
  synCount: number;
  synackCount: number;
  /** Repeated SYNs / SYN-ACKs (same sequence number) this minute; also in retransTx / retransRx. */
  retransSyn: number;
  retransSynack: number;
  /** Initial sequence numbers of the handshake (0 when not seen), for NAT tracing. */
  synSeq: number;
  synAckSeq: number;
  /** Sequence and acknowledgement numbers of the last TCP keep-alive seen (0 when none). */
  lastKeepaliveSeq: number;
  lastKeepaliveAck: number;
  /** Data segments resent this minute (a sequence range seen before), per direction. */
  retransTx: number;
  retransRx: number;
  /** Segments advertising a zero receive window this minute, per sender. */
  zeroWinTx: number;
  zeroWinRx: number;
  /**
   * Handshake round trip in µs, reported on the record of the minute it was measured (else 0):
   * `rttServer` SYN → SYN-ACK, `rttClient` SYN-ACK → ACK, `rtt` their sum (0 unless both).
   */
  rtt: number;
  rttClient: number;
  rttServer: number;
  /** System response time (client data → the server's pure ACK of it), µs: sum, count, max. */
  srtSum: number;
  srtCount: number;
  srtMax: number;
  /** Application response time (client data → the server's first data after it), µs. */
  artSum: number;
  artCount: number;
  artMax: number;
}

/** A record as wire version 1 sent it: one per flow, without the v2 metrics. */
export type FlowRecordV1 = Pick<
  FlowRecord,
  | "flowId"
  | "startTime"
  | "endTime"
  | "ipVersion"
  | "ip0"
  | "ip1"
  | "clientPort"
  | "serverPort"
  | "protocol"
  | "vlan"
  | "packetTx"
  | "packetRx"
  | "byteTx"
  | "byteRx"
  | "tcpFlagsBit0"
  | "tcpFlagsBit1"
>;

/** How a field is checked: integer ranges, an IP address, or an observation point. */
export type FieldKind = "u8" | "u16" | "u32" | "count" | "flag" | "ip" | "op";

export interface FieldSpec {
  key: keyof FlowRecord;
  /** snake_case name: the SQL column and the `appliance flows --json` key. */
  column: string;
  kind: FieldKind;
  /** Wire version that added the field; a v1 record gets {@link v1Default} for later fields. */
  since: 1 | 2;
}

function field(key: keyof FlowRecord, column: string, kind: FieldKind, since: 1 | 2): FieldSpec {
  return { key, column, kind, since };
}

/** Every field of {@link FlowRecord}, in output order. */
export const FLOW_FIELDS: readonly FieldSpec[] = [
  field("flowId", "flow_id", "count", 1),
  field("startTime", "start_time", "count", 1),
  field("endTime", "end_time", "count", 1),
  field("duration", "duration", "count", 2),
  field("isNewFlow", "is_new_flow", "flag", 2),
  field("closeType", "close_type", "u8", 2),
  field("ipVersion", "ip_version", "u8", 1),
  field("ip0", "ip_0", "ip", 1),
  field("ip1", "ip_1", "ip", 1),
  field("clientPort", "client_port", "u16", 1),
  field("serverPort", "server_port", "u16", 1),
  field("protocol", "protocol", "u8", 1),
  field("vlan", "vlan", "u16", 1),
  field("tunnelType", "tunnel_type", "u8", 2),
  field("tunnelId", "tunnel_id", "u32", 2),
  field("captureNic", "capture_nic", "u32", 2),
  field("observationPoint", "observation_point", "op", 2),
  field("packetTx", "packet_tx", "count", 1),
  field("packetRx", "packet_rx", "count", 1),
  field("byteTx", "byte_tx", "count", 1),
  field("byteRx", "byte_rx", "count", 1),
  field("l3ByteTx", "l3_byte_tx", "count", 2),
  field("l3ByteRx", "l3_byte_rx", "count", 2),
  field("l4ByteTx", "l4_byte_tx", "count", 2),
  field("l4ByteRx", "l4_byte_rx", "count", 2),
  field("tcpFlagsBit0", "tcp_flags_bit_0", "u16", 1),
  field("tcpFlagsBit1", "tcp_flags_bit_1", "u16", 1),
  field("synCount", "syn_count", "count", 2),
  field("synackCount", "synack_count", "count", 2),
  field("retransSyn", "retrans_syn", "count", 2),
  field("retransSynack", "retrans_synack", "count", 2),
  field("synSeq", "syn_seq", "u32", 2),
  field("synAckSeq", "syn_ack_seq", "u32", 2),
  field("lastKeepaliveSeq", "last_keepalive_seq", "u32", 2),
  field("lastKeepaliveAck", "last_keepalive_ack", "u32", 2),
  field("retransTx", "retrans_tx", "count", 2),
  field("retransRx", "retrans_rx", "count", 2),
  field("zeroWinTx", "zero_win_tx", "count", 2),
  field("zeroWinRx", "zero_win_rx", "count", 2),
  field("rtt", "rtt", "count", 2),
  field("rttClient", "rtt_client", "count", 2),
  field("rttServer", "rtt_server", "count", 2),
  field("srtSum", "srt_sum", "count", 2),
  field("srtCount", "srt_count", "count", 2),
  field("srtMax", "srt_max", "count", 2),
  field("artSum", "art_sum", "count", 2),
  field("artCount", "art_count", "count", 2),
  field("artMax", "art_max", "count", 2),
];

/**
 * The value a v1 record (which predates the field) gets at ingest: a v1 record was the whole
 * flow, so it is new, its duration spans it, and nothing else was measured.
 */
export function v1Default(key: keyof FlowRecord, record: Record<string, unknown>): number | string {
  if (key === "duration") {
    return Math.max(0, (record.endTime as number) - (record.startTime as number));
  }
  if (key === "isNewFlow") return 1;
  if (key === "observationPoint") return "rest";
  return 0;
}

/** The record with DESIGN §7's snake_case names, in {@link FLOW_FIELDS} order. */
export function flowRecordColumns(record: FlowRecord): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const spec of FLOW_FIELDS) out[spec.column] = record[spec.key];
  return out;
}
