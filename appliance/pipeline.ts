/**
 * The only place that wires capture → decode → flow. A packet's life: `capture/pcap.ts` walks
 * the file's records into one reused `CapturedPacket`; `decode/decoder.ts` fills one reused
 * `DecodedPacket` (or counts why not); `flow/table.ts` adds it to its flow.
 */
import {
  type CapturedPacket,
  type CaptureError,
  type CaptureStats,
  type LiveSource,
  openCaptureFile,
  type PacketSource,
} from "./capture/mod.ts";
import {
  type DecodedPacket,
  type DecodeErrorName,
  type DecodeErrorSample,
  Decoder,
  DecodeStatus,
} from "./decode/mod.ts";
import { type FlowRecord, FlowTable, type FlowTimeouts, SecondCounters } from "./flow/mod.ts";
import type { SecondRecord } from "./wire/mod.ts";
import { L7Engine, type L7Options, type L7Stats, type RequestRecord } from "./l7/mod.ts";
import { filterOptionsFor, PacketFilter } from "./policy/mod.ts";

export interface FlowSummary {
  /** Flow-log records (one per flow per minute), by start time then flow id. */
  records: FlowRecord[];
  /** Request-log records by start time (with `l7` in the options). */
  requests?: RequestRecord[];
  /** What the L7 parsers counted (with `l7`). */
  l7?: L7Stats;
  /** With `seconds`: per-second network counters (stream `metrics_1s`), oldest first. */
  seconds?: SecondRecord[];
  /** Flows (a flow has one record per minute it saw packets in). */
  flows: number;
  /** Flows reported early to stay within the table's bound on live flows. */
  evictedFlows: number;
  /** Packets read from the source (those filtered out included). */
  packets: number;
  /** Packets skipped before decoding because they do not match `--filter`. */
  filtered: number;
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
  /** Observation point of the capture point the packets come from (default `rest`). */
  observationPoint?: string;
  /** Idle timeouts, seconds (defaults: `DEFAULT_TIMEOUTS` in flow/table.ts). */
  timeouts?: Partial<FlowTimeouts>;
  /** Bound on live flows (default 1,000,000). */
  maxFlows?: number;
  /**
   * tcpdump filter expression: other packets are skipped before decoding. Compiled for the
   * source's link type when the build starts; a bad one throws `FilterError`.
   */
  filter?: string;
  /** Parse application protocols into request logs (`requests` in the summary). */
  l7?: L7Options;
  /**
   * With `l7`: the request records completed so far go to it every {@link LIVE_SLICE} packets
   * and at the end, as a live capture hands them over each slice, instead of being kept for the
   * summary (whose `requests` is then empty): a long capture's records need not all be in
   * memory at once.
   */
  onRequests?: (records: RequestRecord[]) => void;
  /** Count per-second network metrics (`seconds` in the summary; flow/seconds.ts). */
  seconds?: boolean;
  /**
   * Sees every packet that passed `filter`, with its decoding when it decoded (the PCAP store).
   * Both objects are reused for the next packet: copy what must outlive the call.
   */
  onPacket?: (packet: CapturedPacket, decoded: DecodedPacket | undefined) => void;
  /**
   * Sees every packet read (before `filter`), e.g. traffic distribution; opened with the
   * source's link type, flushed after each burst and at the end.
   */
  tap?: (linkType: number) => PacketTap;
}

/**
 * Packets handled between two looks at the clock, so a busy link cannot hold the loop; request
 * records are handed over at the same pace (`onRequests`, `onProgress`).
 */
const LIVE_SLICE = 65_536;

/** A consumer of every captured packet beside the flow build (agent/distribution.ts). */
export interface PacketTap {
  process(packet: CapturedPacket): void;
  flush(): void;
}

function newFlowTable(
  options: BuildFlowsOptions,
  l7?: L7Engine,
  seconds?: SecondCounters,
): FlowTable {
  const table: FlowTable = new FlowTable({
    onFlowEnd: l7 === undefined && seconds === undefined ? undefined : (slot) => {
      l7?.flowEnded(slot);
      seconds?.ended(slot, table.clock);
    },
    firstFlowId: options.firstFlowId,
    observationPoints: options.observationPoint === undefined ? [] : [options.observationPoint],
    timeouts: options.timeouts,
    maxFlows: options.maxFlows,
  });
  return table;
}

function newSecondCounters(options: BuildFlowsOptions): SecondCounters | undefined {
  return options.seconds === true
    ? new SecondCounters({ observationPoint: options.observationPoint })
    : undefined;
}

/**
 * Ends every flow still live (the input is over). Its records, oldest first, become objects on
 * the summary's first read of `records` (building them costs more than the flow table itself).
 */
function finishRecords(table: FlowTable): () => FlowRecord[] {
  table.finish();
  const batch = table.drainBatch();
  let records: FlowRecord[] | undefined;
  return () => records ??= batch.toSortedArray();
}

/**
 * What one build ends with, file or live: the records and every stage's counters. Request
 * records go to `onRequests` when given (the summary's `requests` is then empty).
 */
function summarize(
  source: PacketSource,
  path: PacketPath,
  started: number,
  onRequests?: (records: RequestRecord[]) => void,
): FlowSummary {
  const { decoder, table, l7 } = path;
  const records = finishRecords(table);
  // Per-second records stay rows until read, as flow records do.
  const counters = path.seconds;
  counters?.finish();
  let seconds: SecondRecord[] | undefined;
  const summary: FlowSummary = {
    get records() {
      return records();
    },
    get seconds() {
      return counters === undefined ? undefined : seconds ??= counters.drain();
    },
    flows: table.stats.flows,
    evictedFlows: table.stats.evicted,
    packets: path.packets,
    filtered: path.filter?.rejected ?? 0,
    bytes: path.bytes,
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
  if (l7 !== undefined) {
    l7.finish();
    if (onRequests !== undefined) {
      onRequests(l7.drain());
      summary.requests = [];
    } else {
      summary.requests = l7.drain().sort((a, b) =>
        a.startTime - b.startTime || a.flowId - b.flowId
      );
    }
    summary.l7 = l7.stats;
  }
  return summary;
}

/**
 * What both builds, file and live, do with each packet: tap (PCAP store, distribution), filter,
 * decode, the flow table, then L7 and per-second counters with the packet's flow id.
 */
class PacketPath {
  packets = 0;
  bytes = 0;
  readonly tap: PacketTap | undefined;
  readonly #onPacket: BuildFlowsOptions["onPacket"];

  readonly decoder = new Decoder();
  readonly l7: L7Engine | undefined;
  readonly seconds: SecondCounters | undefined;
  readonly table: FlowTable;

  constructor(options: BuildFlowsOptions, linkType: number, public filter?: PacketFilter) {
    this.l7 = options.l7 === undefined
      ? undefined
      : new L7Engine({ observationPoint: options.observationPoint, ...options.l7 });
    this.seconds = newSecondCounters(options);
    this.table = newFlowTable(options, this.l7, this.seconds);
    this.tap = options.tap?.(linkType);
    this.#onPacket = options.onPacket;
  }

  handle(packet: CapturedPacket): void {
    this.packets++;
    this.bytes += packet.originalLength;
    this.tap?.process(packet);
    if (this.filter !== undefined && !this.filter.matches(packet)) return;
    const decoder = this.decoder;
    const ok = decoder.decode(packet) === DecodeStatus.Ok;
    this.#onPacket?.(packet, ok ? decoder.out : undefined);
    if (!ok) return;
    const out = decoder.out;
    const side = this.table.add(out);
    if (side < 0 || (this.l7 === undefined && this.seconds === undefined)) return;
    const flowId = this.table.flowIdOf(side >> 1);
    this.l7?.add(out, side, flowId);
    this.seconds?.count(out, side, flowId);
  }
}

/** Reads every packet of `source` into flows. */
export function buildFlows(source: PacketSource, options: BuildFlowsOptions = {}): FlowSummary {
  const started = performance.now();
  const filter = options.filter === undefined
    ? undefined
    : new PacketFilter(options.filter, source.linkType, filterOptionsFor(source));
  const path = new PacketPath(options, source.linkType, filter);
  const l7 = path.l7;
  const onRequests = l7 === undefined ? undefined : options.onRequests;
  if (onRequests === undefined) {
    while (source.next()) path.handle(source.packet);
  } else {
    for (let n = 0; source.next();) {
      path.handle(source.packet);
      if (++n === LIVE_SLICE) {
        n = 0;
        onRequests(l7!.drain());
      }
    }
  }
  path.tap?.flush();
  return summarize(source, path, started, onRequests);
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

export interface LiveFlowSummary extends FlowSummary {
  /** The live source's counters at the end, drops included. */
  capture: CaptureStats;
}

/** Where a live build stands, for an agent that reports as it goes. */
export interface LiveProgress {
  /** Records emitted since the last call (minutes ended, flows closed): the caller's now. */
  records: FlowRecord[];
  /** With `l7`: request-log records completed since the last call. */
  requests?: RequestRecord[];
  /** With `seconds`: per-second records of the seconds ended since the last call. */
  seconds?: SecondRecord[];
  packets: number;
  bytes: number;
  notIp: number;
  malformed: number;
  filtered: number;
  capture: CaptureStats;
}

export interface BuildLiveFlowsOptions extends BuildFlowsOptions {
  /** Stop after this many ms; without it, run until `source.stop()` (e.g. on SIGINT). */
  durationMs?: number;
  /**
   * Called about every 250 ms: the records (and request records) go to it instead of the
   * summary, which then holds only those of the flows still open at the end.
   */
  onProgress?: (progress: LiveProgress) => void;
}

/**
 * Reads a live source into flows until the duration is over or the source is stopped, then
 * drains what the kernel still holds, closes the source and returns its counters.
 */
export async function buildFlowsLive(
  source: LiveSource,
  options: BuildLiveFlowsOptions = {},
): Promise<LiveFlowSummary> {
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
  const path = new PacketPath(options, source.linkType);
  const { decoder, table, l7, seconds } = path;
  const drain = (limit: number) => {
    let n = 0;
    while (n < limit && source.next()) {
      n++;
      path.handle(source.packet);
    }
    if (n > 0) path.tap?.flush();
    return n;
  };
  try {
    // Packets captured here: libpcap's rules for this host, not a capture file's.
    if (options.filter !== undefined) {
      path.filter = new PacketFilter(options.filter, source.linkType);
    }
    while (!source.stopped) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      if (await source.wait(Math.min(left, 250))) drain(LIVE_SLICE);
      // Live flows time out and minutes end by the wall clock, also when no packet comes.
      table.advance(Date.now() * 1000);
      seconds?.advance(Date.now() * 1000);
      options.onProgress?.({
        records: table.drain(),
        ...(l7 === undefined ? {} : { requests: l7.drain() }),
        ...(seconds === undefined ? {} : { seconds: seconds.drain() }),
        packets: path.packets,
        bytes: path.bytes,
        notIp: decoder.notIp,
        malformed: decoder.malformed,
        filtered: path.filter?.rejected ?? 0,
        capture: source.stats(),
      });
    }
    source.stop();
    while (drain(LIVE_SLICE) > 0);
  } finally {
    await source.close();
  }
  return { ...summarize(source, path, started), capture: source.stats() };
}
