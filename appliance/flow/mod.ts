/**
 * @module
 * Flow: a bidirectional flow table over decoded packets, one {@link FlowRecord} per
 * (VLAN, IP version, addresses, ports, protocol) with packets, bytes and TCP flags per direction.
 * The client is the SYN sender, else the side off the well-known/service port, else the first
 * sender.
 *
 * ```ts
 * const table = new FlowTable();
 * while (source.next()) {
 *   if (decoder.decode(source.packet) === DecodeStatus.Ok) table.add(decoder.out);
 * }
 * const records = table.records(); // [{ flowId: 1, ip0: "10.1.0.7", serverPort: 80, packetTx: 6, … }]
 * ```
 */
export { FlowTable, type FlowTableStats } from "./table.ts";
export { type FirstPacket, isServicePort, senderIsClient, SERVICE_PORTS } from "./direction.ts";
export type { FlowRecord } from "../wire/mod.ts";
