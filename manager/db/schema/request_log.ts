import {
  bigint,
  bigserial,
  index,
  inet,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { flowTagColumns } from "./inventory.ts";

/**
 * One row per request/response pair (or lone request or response) seen on a flow: the wire's
 * `RequestRecord` (`appliance/wire/request_record.ts`) with DeepFlow's `flow_log.l7_flow_log`
 * names; the TypeScript keys are the wire's. Partitioned by RANGE ("time") per UTC day like
 * `flow_log`, with the same Citus-ready key (DESIGN §4). Indexes serve the searches of the
 * request-log page: by time, by service (server IP and port), by trace id.
 */
export const requestLog = pgTable("request_log", {
  id: bigserial("id", { mode: "number" }).notNull(),
  applianceId: text("appliance_id").notNull(),
  /** start_time truncated to the second: the partition and time-filter key. */
  time: timestamp("time", { withTimezone: true, mode: "date" }).notNull(),
  /** DESIGN §7: 0 Packet, 3 eBPF, 4 OTel; the appliance reports Packet only. */
  signalSource: smallint("signal_source").notNull().default(0),
  flowId: bigint("flow_id", { mode: "number" }).notNull(),
  /** µs since the epoch. */
  startTime: bigint("start_time", { mode: "number" }).notNull(),
  endTime: bigint("end_time", { mode: "number" }).notNull(),
  ipVersion: smallint("ip_version").notNull(),
  ip0: inet("ip_0").notNull(),
  ip1: inet("ip_1").notNull(),
  clientPort: integer("client_port").notNull(),
  serverPort: integer("server_port").notNull(),
  protocol: smallint("protocol").notNull(),
  vlan: integer("vlan").notNull(),
  tunnelType: smallint("tunnel_type").notNull(),
  captureNic: bigint("capture_nic", { mode: "number" }).notNull(),
  observationPoint: text("observation_point").notNull(),
  l7Protocol: smallint("l7_protocol").notNull(),
  version: text("version").notNull(),
  type: smallint("type").notNull(),
  isTls: smallint("is_tls").notNull(),
  requestType: text("request_type").notNull(),
  requestDomain: text("request_domain").notNull(),
  requestResource: text("request_resource").notNull(),
  requestId: bigint("request_id", { mode: "number" }),
  endpoint: text("endpoint").notNull(),
  responseStatus: smallint("response_status").notNull(),
  responseCode: integer("response_code"),
  responseException: text("response_exception").notNull(),
  responseResult: text("response_result").notNull(),
  /** µs; 0 without a response. */
  responseDuration: bigint("response_duration", { mode: "number" }).notNull(),
  requestLength: bigint("request_length", { mode: "number" }).notNull(),
  responseLength: bigint("response_length", { mode: "number" }).notNull(),
  sqlAffectedRows: bigint("sql_affected_rows", { mode: "number" }),
  traceId: text("trace_id").notNull(),
  spanId: text("span_id").notNull(),
  parentSpanId: text("parent_span_id").notNull(),
  xRequestId0: text("x_request_id_0").notNull(),
  xRequestId1: text("x_request_id_1").notNull(),
  reqTcpSeq: bigint("req_tcp_seq", { mode: "number" }).notNull(),
  respTcpSeq: bigint("resp_tcp_seq", { mode: "number" }).notNull(),
  /** The statement with its literals replaced by `?` (DB protocols; '' otherwise), set at ingest. */
  normalizedStatement: text("normalized_statement").notNull().default(""),
  /** AutoTagging (DESIGN §5): `region_0`…`labels_1`, as on flow_log. */
  ...flowTagColumns(),
}, (t) => [
  primaryKey({ columns: [t.applianceId, t.time, t.id] }),
  index("request_log_time_idx").on(t.time),
  index("request_log_service_idx").on(t.ip1, t.serverPort, t.time),
  index("request_log_trace_id_idx").on(t.traceId),
]);
