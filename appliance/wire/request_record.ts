/**
 * The request-log record: one request/response pair (or a lone request or response) of an
 * application protocol seen on one flow. Names follow DeepFlow's `flow_log.l7_flow_log`
 * (camelCase here, snake_case in SQL and JSON; see {@link REQUEST_FIELDS}). Index 0 is the
 * client side, 1 the server.
 */

/** `l7_protocol` values (DeepFlow's `l7_protocol.en`) of the protocols the appliance parses. */
export const L7Protocol = {
  Unknown: 0,
  Http1: 20,
  Http2: 21,
  Grpc: 41,
  MySql: 60,
  PostgreSql: 61,
  Redis: 80,
  MongoDb: 81,
  Kafka: 100,
  Dns: 120,
  Tls: 121,
} as const;
export type L7Protocol = typeof L7Protocol[keyof typeof L7Protocol];

/** DeepFlow's `l7_protocol_str` of each {@link L7Protocol} value. */
export const L7_PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  0: "N/A",
  20: "HTTP",
  21: "HTTP2",
  41: "gRPC",
  60: "MySQL",
  61: "PostgreSQL",
  80: "Redis",
  81: "MongoDB",
  100: "Kafka",
  120: "DNS",
  121: "TLS",
};

/** `type`: what the record holds. */
export const RequestType = { Request: 0, Response: 1, Session: 2 } as const;

/**
 * `response_status` (DeepFlow's `response_status.en`). A request whose response never came
 * within the timeout is a Server Error with exception "Timeout" (DeepFlow counts it apart, as
 * `l7_server_timeout`); one still unanswered when its flow or the input ended is Unknown.
 */
export const ResponseStatus = { Success: 0, Unknown: 2, ServerError: 3, ClientError: 4 } as const;
export type ResponseStatus = typeof ResponseStatus[keyof typeof ResponseStatus];

export interface RequestRecord {
  /** The flow-log flow id of the flow the request was seen on. */
  flowId: number;
  /** µs since the epoch: the request's first packet (the response's for a lone response). */
  startTime: number;
  /** µs: the response's first packet; the request's for a lone request. */
  endTime: number;
  ipVersion: number;
  ip0: string;
  ip1: string;
  clientPort: number;
  serverPort: number;
  /** IP protocol: 6 TCP, 17 UDP. */
  protocol: number;
  vlan: number;
  tunnelType: number;
  captureNic: number;
  observationPoint: string;
  /** {@link L7Protocol}. */
  l7Protocol: number;
  /** Protocol version as sent ("1.1", "TLS 1.3", "3.0"); "" when unknown. */
  version: string;
  /** {@link RequestType}. */
  type: number;
  isTls: number;
  /** Method or command: GET, COM_QUERY, SET, A (DNS query type), … */
  requestType: string;
  /** Host, database, SNI. */
  requestDomain: string;
  /** URL path, SQL statement, Redis command line, DNS name. */
  requestResource: string;
  /** DNS id, MySQL statement id, HTTP/2 stream id, Kafka correlation id; null when none. */
  requestId: number | null;
  /** What the request is about, without its variable parts (URL path, DNS name, command). */
  endpoint: string;
  /** {@link ResponseStatus}. */
  responseStatus: number;
  /** HTTP status, SQL error number, DNS rcode, gRPC status; null when none. */
  responseCode: number | null;
  /** Error message, reason phrase of an error, rcode name; "" when none. */
  responseException: string;
  /** DNS answers, PostgreSQL SQLSTATE, TLS cipher suite; "" when none. */
  responseResult: string;
  /** µs from the request to the response; 0 without a response. */
  responseDuration: number;
  /** Application bytes of the request and of the response. */
  requestLength: number;
  responseLength: number;
  /** Rows a SQL statement changed or returned; null when not told. */
  sqlAffectedRows: number | null;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** X-Request-ID of the request and of the response. */
  xRequestId0: string;
  xRequestId1: string;
  /** TCP sequence number of the request's / response's first byte; 0 for UDP. */
  reqTcpSeq: number;
  respTcpSeq: number;
}

/** How a field is checked. `?` kinds may be null. */
export type RequestFieldKind = "u8" | "u16" | "u32" | "u32?" | "count" | "flag" | "str" | "i32?";

export interface RequestFieldSpec {
  key: keyof RequestRecord;
  /** snake_case name: the SQL column and the `appliance requests --json` key. */
  column: string;
  kind: RequestFieldKind;
}

function field(key: keyof RequestRecord, column: string, kind: RequestFieldKind) {
  return { key, column, kind };
}

/** Every field of {@link RequestRecord}, in output order. */
export const REQUEST_FIELDS: readonly RequestFieldSpec[] = [
  field("flowId", "flow_id", "count"),
  field("startTime", "start_time", "count"),
  field("endTime", "end_time", "count"),
  field("ipVersion", "ip_version", "u8"),
  field("ip0", "ip_0", "str"),
  field("ip1", "ip_1", "str"),
  field("clientPort", "client_port", "u16"),
  field("serverPort", "server_port", "u16"),
  field("protocol", "protocol", "u8"),
  field("vlan", "vlan", "u16"),
  field("tunnelType", "tunnel_type", "u8"),
  field("captureNic", "capture_nic", "u32"),
  field("observationPoint", "observation_point", "str"),
  field("l7Protocol", "l7_protocol", "u8"),
  field("version", "version", "str"),
  field("type", "type", "u8"),
  field("isTls", "is_tls", "flag"),
  field("requestType", "request_type", "str"),
  field("requestDomain", "request_domain", "str"),
  field("requestResource", "request_resource", "str"),
  field("requestId", "request_id", "u32?"),
  field("endpoint", "endpoint", "str"),
  field("responseStatus", "response_status", "u8"),
  field("responseCode", "response_code", "i32?"),
  field("responseException", "response_exception", "str"),
  field("responseResult", "response_result", "str"),
  field("responseDuration", "response_duration", "count"),
  field("requestLength", "request_length", "count"),
  field("responseLength", "response_length", "count"),
  field("sqlAffectedRows", "sql_affected_rows", "u32?"),
  field("traceId", "trace_id", "str"),
  field("spanId", "span_id", "str"),
  field("parentSpanId", "parent_span_id", "str"),
  field("xRequestId0", "x_request_id_0", "str"),
  field("xRequestId1", "x_request_id_1", "str"),
  field("reqTcpSeq", "req_tcp_seq", "u32"),
  field("respTcpSeq", "resp_tcp_seq", "u32"),
];

/**
 * The record with DESIGN §7's snake_case names, in {@link REQUEST_FIELDS} order, plus
 * `l7_protocol_str`.
 */
export function requestRecordColumns(
  record: RequestRecord,
): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  for (const spec of REQUEST_FIELDS) {
    out[spec.column] = record[spec.key];
    if (spec.key === "l7Protocol") {
      out.l7_protocol_str = L7_PROTOCOL_NAMES[record.l7Protocol] ?? String(record.l7Protocol);
    }
  }
  return out;
}
