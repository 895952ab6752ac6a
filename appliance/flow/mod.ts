/**
 * @module
 * Flow: a bidirectional flow table over decoded packets, keyed by the innermost 5-tuple, VLAN,
 * tunnel and capture point, with DeepFlow's L4 metrics (bytes per layer, TCP flags, handshake
 * and RTT, retransmissions, zero windows, SRT/ART, close type). It emits one
 * {@link FlowRecord} per flow per natural minute, and a last one when the flow ends (closed,
 * timed out, evicted, or live when the input ends). The client is the SYN sender, else the side
 * off the well-known/service port, else the first sender. Beside the table, {@link SecondCounters}
 * folds the same packets into per-second counters per (client, server, protocol, server port).
 *
 * ```ts
 * const table = new FlowTable();
 * while (source.next()) {
 *   if (decoder.decode(source.packet) === DecodeStatus.Ok) table.add(decoder.out);
 * }
 * table.finish();
 * const records = table.drain(); // [{ flowId: 1, ip0: "10.1.0.7", serverPort: 80, closeType: 1, … }]
 * ```
 */
export {
  DEFAULT_MAX_FLOWS,
  DEFAULT_TIMEOUTS,
  FlowTable,
  type FlowTableOptions,
  type FlowTableStats,
  type FlowTimeouts,
} from "./table.ts";
export { type FirstPacket, isServicePort, senderIsClient, SERVICE_PORTS } from "./direction.ts";
export { TcpState } from "./tcp.ts";
export type { FlowRecordBatch } from "./record.ts";
export { type SecondCounterOptions, SecondCounters } from "./seconds.ts";
export { CLOSE_TYPE_NAMES, CloseType, type FlowRecord, flowRecordColumns } from "../wire/mod.ts";
