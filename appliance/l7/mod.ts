/**
 * @module
 * L7: request logs from packets. Per flow, the protocol is inferred from the first payloads
 * (ports only a hint), TCP is reassembled per direction (stream.ts), and the protocol's parser
 * (one `check`/`parse` contract, parser.ts) turns messages into {@link RequestRecord}s, paired
 * request ↔ response in order or by id (engine.ts). Parsers: HTTP/1.x, HTTP/2 and gRPC (HPACK,
 * hpack.ts), DNS (UDP and TCP), PostgreSQL, MySQL/MariaDB, Redis (RESP2/3), TLS handshakes (SNI,
 * version, cipher, ALPN), Kafka, MongoDB OP_MSG.
 *
 * ```ts
 * const l7 = new L7Engine({ obfuscate: true });
 * const table = new FlowTable({ onFlowEnd: (slot) => l7.flowEnded(slot) });
 * while (source.next()) {
 *   if (decoder.decode(source.packet) !== DecodeStatus.Ok) continue;
 *   const side = table.add(decoder.out);
 *   if (side >= 0) l7.add(decoder.out, side, table.flowIdOf(side >> 1));
 * }
 * l7.finish();
 * l7.drain(); // [{ l7Protocol: 20, requestType: "GET", requestResource: "/index.html", responseCode: 200, … }]
 * ```
 */
export {
  L7Engine,
  type L7Options,
  l7ProtocolName,
  type L7ProtocolStats,
  type L7Stats,
} from "./engine.ts";
export {
  Direction,
  type L7Parser,
  MALFORMED,
  NEED_MORE,
  type ParserSession,
  type Payload,
  type Ports,
  type RequestSink,
} from "./parser.ts";
export {
  dns,
  http1,
  http2,
  kafka,
  mongo,
  mysql,
  PARSERS,
  postgres,
  redis,
  tls,
} from "./protocols.ts";
export { cipherSuiteName, tlsVersionName } from "./tls.ts";
export { describeRequests, requestTable } from "./render.ts";
export { obfuscateSql, sqlKeyword } from "./sql.ts";
export { TcpStream } from "./stream.ts";
export {
  L7_PROTOCOL_NAMES,
  L7Protocol,
  type RequestRecord,
  requestRecordColumns,
  RequestType,
  ResponseStatus,
} from "../wire/mod.ts";
