/**
 * The only place that wires capture → decode → flow. A packet's life: `capture/pcap.ts` walks
 * the file's records into one reused `CapturedPacket`; `decode/decoder.ts` fills one reused
 * `DecodedPacket` (or counts why not); `flow/table.ts` adds it to its flow.
 */
import { type CaptureError, openCaptureFile, type PacketSource } from "./capture/mod.ts";
import {
  type DecodeErrorName,
  type DecodeErrorSample,
  Decoder,
  DecodeStatus,
} from "./decode/mod.ts";
import { type FlowRecord, FlowTable } from "./flow/mod.ts";

export interface FlowSummary {
  records: FlowRecord[];
  /** Packets read from the source. */
  packets: number;
  /** Their frame bytes on the wire. */
  bytes: number;
  /** Packets that are not IP (ARP, LLDP, …). */
  notIp: number;
  /** Packets skipped as malformed, by kind. */
  decodeErrors: Partial<Record<DecodeErrorName, number>>;
  errorSamples: DecodeErrorSample[];
  /** IP fragments seen; later ones count in their datagram's flow when its first came first. */
  fragments: number;
  fragmentsMatched: number;
  fragmentsUnmatched: number;
  linkType: number;
  /** Set when the source is damaged after the packets it gave. */
  captureError: CaptureError | undefined;
  elapsedMs: number;
}

export interface BuildFlowsOptions {
  firstFlowId?: number;
}

/** Reads every packet of `source` into flows. */
export function buildFlows(source: PacketSource, options: BuildFlowsOptions = {}): FlowSummary {
  const started = performance.now();
  const decoder = new Decoder();
  const table = new FlowTable({ firstFlowId: options.firstFlowId });
  const out = decoder.out;
  let packets = 0;
  let bytes = 0;
  while (source.next()) {
    packets++;
    bytes += source.packet.originalLength;
    if (decoder.decode(source.packet) === DecodeStatus.Ok) table.add(out);
  }
  return {
    records: table.records(),
    packets,
    bytes,
    notIp: decoder.notIp,
    decodeErrors: decoder.errorCounts(),
    errorSamples: decoder.samples,
    fragments: table.stats.fragments,
    fragmentsMatched: table.stats.fragmentsMatched,
    fragmentsUnmatched: table.stats.fragmentsUnmatched,
    linkType: source.linkType,
    captureError: source.error,
    elapsedMs: performance.now() - started,
  };
}

/**
 * Reads a capture file into flows. Throws `CaptureError` when the file cannot be read at all;
 * damage after some packets is returned in `captureError` with the flows built before it.
 */
export async function buildFlowsFromFile(
  path: string,
  options: BuildFlowsOptions = {},
): Promise<FlowSummary> {
  return buildFlows(await openCaptureFile(path), options);
}
