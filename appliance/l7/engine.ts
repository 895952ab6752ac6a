import type { DecodedPacket } from "../decode/mod.ts";
import { L7_PROTOCOL_NAMES, type RequestRecord, RequestType, ResponseStatus } from "../wire/mod.ts";
import {
  type L7Parser,
  MALFORMED,
  NEED_MORE,
  type ParserSession,
  type Payload,
  type RequestSink,
} from "./parser.ts";
import { PARSERS } from "./protocols.ts";
import { addressShared } from "./_text_cache.ts";
import {
  DEFAULT_MAX_HELD_BYTES,
  DEFAULT_MAX_HELD_SEGMENTS,
  type StreamConsumer,
  type StreamStats,
  TcpStream,
} from "./stream.ts";

export interface L7Options {
  /** Parsers tried on new flows (default: all of {@link PARSERS}). */
  parsers?: readonly L7Parser[];
  /** Replace literals in SQL statements and Redis arguments by `?`. */
  obfuscate?: boolean;
  /** Seconds without a response after which a request is a server timeout (DeepFlow: 1800, 150). */
  timeouts?: { tcp?: number; udp?: number };
  /** Observation point written into records (default `rest`). */
  observationPoint?: string;
  /** Bound on segments and bytes held out of order per direction. */
  maxHeldSegments?: number;
  maxHeldBytes?: number;
  /** Longest incomplete message kept while its rest arrives (default 256 KiB). */
  maxMessageBytes?: number;
}

/** Counters of one protocol. */
export interface L7ProtocolStats {
  flows: number;
  requests: number;
  responses: number;
  /** Requests left unanswered past the timeout. */
  timeouts: number;
  /** Requests unanswered when their flow or the input ended. */
  unanswered: number;
  /** Responses with no request to pair with. */
  unmatched: number;
  /** Messages the parser rejected (the stream resynchronised after them). */
  parseFailed: number;
}

export interface L7Stats extends StreamStats {
  byProtocol: Record<string, L7ProtocolStats>;
  /** Flows with payload whose protocol no parser recognised. */
  unknownFlows: number;
  /** Messages longer than `maxMessageBytes` (dropped; the stream resynchronised). */
  tooLarge: number;
}

const DEFAULT_MAX_MESSAGE = 256 * 1024;
/** Payloads looked at before a flow's protocol is declared unknown. */
const INFERENCE_TRIES = 4;
/** Unanswered requests kept per flow; older ones are reported unanswered. */
const MAX_PENDING = 1024;
const SWEEP_US = 1_000_000;
const SYN = 0x02;
const ACK = 0x10;

/** `#tries` value of a slot whose flow no parser recognised: its packets are ignored. */
const NO_L7 = 255;

/**
 * L7 state of one flow whose protocol was recognised (flows still being inferred, and those
 * given up, have no object: two typed arrays by slot hold their state).
 */
class FlowL7 {
  session: ParserSession;
  streams: [TcpStream, TcpStream] | undefined;
  queue: RequestRecord[] = [];
  /**
   * Requests paired by id, oldest first: their ids and records side by side (a flow has few
   * pending at once, and two arrays cost less to make than a Map).
   */
  ids: number[] | undefined;
  idRecords: RequestRecord[] | undefined;
  /** In the engine's set of flows with unanswered requests. */
  waiting = false;
  /** Addresses as text, made when the flow's first record is (undefined before). */
  ip0: string | undefined;
  ip1 = "";
  constructor(
    readonly flowId: number,
    readonly parser: L7Parser,
    readonly parserIndex: number,
    readonly ipVersion: number,
    readonly clientPort: number,
    readonly serverPort: number,
    readonly protocol: number,
    readonly vlan: number,
    readonly tunnelType: number,
  ) {
    this.session = parser.session(protocol === 6);
  }
}

/** A new record of flow `f` at `time` (one object literal: every record has one shape). */
function newRecord(f: FlowL7, time: number, seq: number, observationPoint: string): RequestRecord {
  return {
    flowId: f.flowId,
    startTime: time,
    endTime: time,
    ipVersion: f.ipVersion,
    ip0: f.ip0!,
    ip1: f.ip1,
    clientPort: f.clientPort,
    serverPort: f.serverPort,
    protocol: f.protocol,
    vlan: f.vlan,
    tunnelType: f.tunnelType,
    captureNic: 0,
    observationPoint,
    l7Protocol: f.parser.protocol,
    version: "",
    type: RequestType.Request,
    isTls: 0,
    requestType: "",
    requestDomain: "",
    requestResource: "",
    requestId: null,
    endpoint: "",
    responseStatus: ResponseStatus.Unknown,
    responseCode: null,
    responseException: "",
    responseResult: "",
    responseDuration: 0,
    requestLength: 0,
    responseLength: 0,
    sqlAffectedRows: null,
    traceId: "",
    spanId: "",
    parentSpanId: "",
    xRequestId0: "",
    xRequestId1: "",
    reqTcpSeq: seq,
    respTcpSeq: 0,
  };
}

/**
 * Turns the payloads of flows into request-log records. The pipeline gives it every packet the
 * flow table counted, with the flow's side (`slot * 2 + direction`) and id; it tells it when a
 * slot's flow ends. Per flow it infers the protocol from the first payloads, reassembles TCP,
 * frames messages with the protocol's parser and pairs requests with responses.
 */
export class L7Engine implements StreamConsumer, RequestSink {
  readonly stats: L7Stats;
  readonly streamStats: StreamStats;
  readonly maxHeld: number;
  readonly maxHeldBytes: number;
  readonly obfuscate: boolean;
  readonly #parsers: readonly L7Parser[];
  readonly #protocolStats: L7ProtocolStats[];
  readonly #timeoutTcpUs: number;
  readonly #timeoutUdpUs: number;
  readonly #maxMessage: number;
  readonly #observationPoint: string;
  #flows: (FlowL7 | undefined)[] = [];
  /** By slot, for flows without a {@link FlowL7}: the flow id, and payloads tried or NO_L7. */
  #slotFlowId = new Float64Array(1024);
  #tries = new Uint8Array(1024);
  /** The packet being handled and its direction (a flow's addresses are read from it). */
  #packet: DecodedPacket | undefined;
  #packetDir = 0;
  #records: RequestRecord[] = [];
  /** Flows that may hold unanswered requests (the timeout sweep looks only at these). */
  readonly #waiting = new Set<FlowL7>();
  #nextSweep = 0;
  readonly #payload: Payload = { bytes: new Uint8Array(0), start: 0, end: 0 };
  readonly #ports = { client: 0, server: 0, tcp: false };
  // The message being parsed: its flow, time and TCP sequence number.
  #flow: FlowL7 | undefined;
  #time = 0;
  #seq = 0;
  #packetTime = 0;

  constructor(options: L7Options = {}) {
    this.#parsers = options.parsers ?? PARSERS;
    this.obfuscate = options.obfuscate ?? false;
    this.#timeoutTcpUs = (options.timeouts?.tcp ?? 1800) * 1e6;
    this.#timeoutUdpUs = (options.timeouts?.udp ?? 150) * 1e6;
    this.#maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    this.#observationPoint = options.observationPoint ?? "rest";
    this.maxHeld = options.maxHeldSegments ?? DEFAULT_MAX_HELD_SEGMENTS;
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    this.#protocolStats = this.#parsers.map(() => ({
      flows: 0,
      requests: 0,
      responses: 0,
      timeouts: 0,
      unanswered: 0,
      unmatched: 0,
      parseFailed: 0,
    }));
    const byProtocol: Record<string, L7ProtocolStats> = {};
    this.#parsers.forEach((p, i) => byProtocol[p.name] = this.#protocolStats[i]!);
    const stats: L7Stats = {
      byProtocol,
      unknownFlows: 0,
      tooLarge: 0,
      retransmitted: 0,
      outOfOrder: 0,
      outOfOrderOverflow: 0,
      gaps: 0,
    };
    this.stats = this.streamStats = stats;
  }

  /** A packet of flow `flowId`, counted by the flow table on side `side`. */
  add(p: DecodedPacket, side: number, flowId: number): void {
    const t = p.timestampUs;
    this.#packetTime = t;
    if (t >= this.#nextSweep) this.#sweep(t);
    const tcp = p.protocol === 6;
    if ((!tcp && p.protocol !== 17) || !p.hasTransport) return;
    const slot = side >> 1;
    const dir = (side & 1) as 0 | 1;
    let f = this.#flows[slot];
    if (f !== undefined && f.flowId !== flowId) {
      this.#end(f);
      f = this.#flows[slot] = undefined;
    }
    if (f === undefined) {
      if (p.payloadLength === 0) return;
      if (slot >= this.#tries.length) this.#grow(slot);
      if (this.#slotFlowId[slot] !== flowId) {
        this.#slotFlowId[slot] = flowId;
        this.#tries[slot] = 0;
      } else if (this.#tries[slot] === NO_L7) return;
    } else if (p.payloadLength === 0) {
      if (tcp) this.#tcpControl(f, p, dir);
      return;
    }
    const start = p.payloadOffset;
    const frameEnd = p.reassembled ? p.buffer.length : p.frameOffset + p.capturedLength;
    let end = start + p.payloadLength;
    let lost = 0;
    if (end > frameEnd) {
      lost = end - frameEnd;
      end = frameEnd;
    }
    this.#packet = p;
    this.#packetDir = dir;
    if (f === undefined) {
      // Inference on the payload as it came, before any per-flow object exists.
      if (end <= start) return;
      const found = this.#infer(p, dir, start, end);
      if (found < 0) {
        if (++this.#tries[slot]! >= INFERENCE_TRIES) {
          this.#tries[slot] = NO_L7;
          this.stats.unknownFlows++;
        }
        return;
      }
      const parser = this.#parsers[found]!;
      f = this.#flows[slot] = new FlowL7(
        flowId,
        parser,
        found,
        p.ipVersion,
        dir === 0 ? p.srcPort : p.dstPort,
        dir === 0 ? p.dstPort : p.srcPort,
        p.protocol,
        p.vlan,
        p.tunnelType,
      );
      this.#protocolStats[found]!.flows++;
    }
    if (!tcp) {
      if (end > start) this.#udp(f, dir, p.buffer, start, end);
      return;
    }
    const streams = f.streams ??= [new TcpStream(this, 0), new TcpStream(this, 1)];
    this.#flow = f;
    if ((p.tcpFlags & ACK) !== 0) streams[1 - dir]!.acknowledged(p.tcpAck);
    if ((p.tcpFlags & SYN) !== 0) streams[dir].syn(p.tcpSeq);
    const seq = (p.tcpFlags & SYN) !== 0 ? (p.tcpSeq + 1) >>> 0 : p.tcpSeq;
    streams[dir].segment(seq, p.buffer, start, end, lost);
  }

  /** The flow table freed slot `slot`: its unanswered requests are reported, its state dropped. */
  flowEnded(slot: number): void {
    if (slot < this.#tries.length) this.#tries[slot] = 0;
    const f = this.#flows[slot];
    if (f === undefined) return;
    this.#end(f);
    this.#flows[slot] = undefined;
  }

  #grow(slot: number): void {
    let n = this.#tries.length * 2;
    while (n <= slot) n *= 2;
    const ids = new Float64Array(n);
    ids.set(this.#slotFlowId);
    const tries = new Uint8Array(n);
    tries.set(this.#tries);
    this.#slotFlowId = ids;
    this.#tries = tries;
  }

  /** Ends every flow's L7 state (the input is over). */
  finish(): void {
    for (let slot = 0; slot < this.#flows.length; slot++) this.flowEnded(slot);
  }

  /** Records completed since the last call. */
  drain(): RequestRecord[] {
    const records = this.#records;
    this.#records = [];
    return records;
  }

  // StreamConsumer: in-order TCP bytes.
  data(stream: TcpStream, bytes: Uint8Array, start: number, end: number, seq: number): void {
    const f = this.#flow!;
    if (stream.skip > 0) {
      const n = Math.min(stream.skip, end - start);
      stream.skip -= n;
      start += n;
      seq = (seq + n) >>> 0;
      if (start >= end) return;
    }
    const time = this.#packetTime;
    if (stream.bufferLength === 0) {
      const left = this.#frame(f, stream, bytes, start, end, seq, time, start);
      if (left < end) this.#keep(stream, bytes, left, end, (seq + left - start) >>> 0, time);
      return;
    }
    const old = stream.bufferLength;
    const total = old + end - start;
    if (total > this.#maxMessage) {
      this.stats.tooLarge++;
      this.gap(stream);
      return;
    }
    let buf = stream.buffer!;
    if (buf.length < total) {
      const grown = new Uint8Array(Math.min(this.#maxMessage, Math.max(total, buf.length * 2)));
      grown.set(buf.subarray(0, old));
      buf = stream.buffer = grown;
    }
    buf.set(bytes.subarray(start, end), old);
    stream.bufferLength = 0;
    const left = this.#frame(f, stream, buf, 0, total, stream.bufferSeq, stream.bufferTime, old);
    if (left < total) {
      const keptTime = left < old ? stream.bufferTime : time;
      buf.copyWithin(0, left, total);
      stream.bufferLength = total - left;
      stream.bufferSeq = (stream.bufferSeq + left) >>> 0;
      stream.bufferTime = keptTime;
    }
  }

  // StreamConsumer: bytes were lost.
  gap(stream: TcpStream): void {
    stream.bufferLength = 0;
    stream.skip = 0;
  }

  // RequestSink.
  get pending(): number {
    const f = this.#flow!;
    return f.queue.length + (f.ids?.length ?? 0);
  }

  request(): RequestRecord {
    const f = this.#flow!;
    const r = this.#newRecord(f);
    if (f.queue.length >= MAX_PENDING) this.#unanswered(f, f.queue.shift()!, false);
    f.queue.push(r);
    if (!f.waiting) {
      f.waiting = true;
      this.#waiting.add(f);
    }
    return r;
  }

  requestWithId(id: number): RequestRecord {
    const f = this.#flow!;
    const r = this.#newRecord(f);
    r.requestId = id;
    const ids = f.ids ??= [];
    const records = f.idRecords ??= [];
    const at = ids.indexOf(id);
    if (at >= 0) {
      // The same id again: the old request is reported unanswered, the new one takes its place.
      this.#unanswered(f, records[at]!, false);
      records[at] = r;
    } else {
      if (ids.length >= MAX_PENDING) {
        // The oldest is reported unanswered once, and can no longer be answered.
        ids.shift();
        this.#unanswered(f, records.shift()!, false);
      }
      ids.push(id);
      records.push(r);
    }
    if (!f.waiting) {
      f.waiting = true;
      this.#waiting.add(f);
    }
    return r;
  }

  peek(): RequestRecord | undefined {
    return this.#flow!.queue[0];
  }

  response(): RequestRecord | undefined {
    const f = this.#flow!;
    const r = f.queue.shift();
    if (r === undefined) {
      this.#protocolStats[f.parserIndex]!.unmatched++;
      return undefined;
    }
    return this.#answer(f, r);
  }

  responseFor(id: number): RequestRecord | undefined {
    const f = this.#flow!;
    const at = f.ids === undefined ? -1 : f.ids.indexOf(id);
    if (at < 0) {
      this.#protocolStats[f.parserIndex]!.unmatched++;
      return undefined;
    }
    const r = f.idRecords![at]!;
    removeAt(f.ids!, at);
    removeAt(f.idRecords!, at);
    return this.#answer(f, r);
  }

  #answer(f: FlowL7, r: RequestRecord): RequestRecord {
    r.type = RequestType.Session;
    r.endTime = this.#time;
    r.responseDuration = Math.max(0, this.#time - r.startTime);
    r.respTcpSeq = this.#seq;
    r.responseStatus = ResponseStatus.Success;
    this.#protocolStats[f.parserIndex]!.responses++;
    this.#records.push(r);
    return r;
  }

  #newRecord(f: FlowL7): RequestRecord {
    if (f.ip0 === undefined) {
      // Records are made while a packet of their flow is handled: its addresses are at hand.
      const p = this.#packet!;
      const client = this.#packetDir === 0 ? p.srcOffset : p.dstOffset;
      const server = this.#packetDir === 0 ? p.dstOffset : p.srcOffset;
      f.ip0 = addressShared(p.buffer, client, p.ipVersion);
      f.ip1 = addressShared(p.buffer, server, p.ipVersion);
    }
    this.#protocolStats[f.parserIndex]!.requests++;
    return newRecord(f, this.#time, this.#seq, this.#observationPoint);
  }

  /** Reports a request without response: a server timeout, or unknown when the flow ended. */
  #unanswered(f: FlowL7, r: RequestRecord, timedOut: boolean): void {
    const stats = this.#protocolStats[f.parserIndex]!;
    r.type = RequestType.Request;
    if (timedOut) {
      stats.timeouts++;
      r.responseStatus = ResponseStatus.ServerError;
      r.responseException = "Timeout";
    } else {
      stats.unanswered++;
    }
    this.#records.push(r);
  }

  #tcpControl(f: FlowL7, p: DecodedPacket, dir: 0 | 1): void {
    if (f.streams === undefined) return;
    this.#flow = f;
    if ((p.tcpFlags & ACK) !== 0) f.streams[1 - dir]!.acknowledged(p.tcpAck);
  }

  #udp(f: FlowL7, dir: 0 | 1, bytes: Uint8Array, start: number, end: number): void {
    this.#flow = f;
    this.#time = this.#packetTime;
    this.#seq = 0;
    const payload = this.#payload;
    payload.bytes = bytes;
    payload.start = start;
    payload.end = end;
    if (f.session!.parse(payload, dir, this) < 0) this.#protocolStats[f.parserIndex]!.parseFailed++;
  }

  /** Tries the parsers (those whose port the flow uses first): the index of the one, or -1. */
  #infer(p: DecodedPacket, dir: 0 | 1, start: number, end: number): number {
    const payload = this.#payload;
    payload.bytes = p.buffer;
    payload.start = start;
    payload.end = end;
    const ports = this.#ports;
    const client = ports.client = dir === 0 ? p.srcPort : p.dstPort;
    const server = ports.server = dir === 0 ? p.dstPort : p.srcPort;
    const tcp = ports.tcp = p.protocol === 6;
    const parsers = this.#parsers;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < parsers.length; i++) {
        const parser = parsers[i]!;
        if (tcp ? !parser.tcp : !parser.udp) continue;
        const byPort = parser.ports.includes(server) || parser.ports.includes(client);
        if (byPort !== (pass === 0)) continue;
        if (parser.check(payload, dir, ports)) return i;
      }
    }
    return -1;
  }

  /**
   * Parses messages in `[start, end)`; returns where the unparsed rest begins. Bytes before
   * `freshFrom` arrived earlier (at `time`), later ones with this packet.
   */
  #frame(
    f: FlowL7,
    stream: TcpStream,
    bytes: Uint8Array,
    start: number,
    end: number,
    seq: number,
    time: number,
    freshFrom: number,
  ): number {
    const payload = this.#payload;
    const session = f.session!;
    let pos = start;
    while (pos < end) {
      payload.bytes = bytes;
      payload.start = pos;
      payload.end = end;
      this.#time = pos < freshFrom ? time : this.#packetTime;
      this.#seq = (seq + pos - start) >>> 0;
      this.#flow = f;
      const n = session.parse(payload, stream.direction, this);
      if (n > 0) {
        if (pos + n > end) {
          stream.skip = pos + n - end;
          return end;
        }
        pos += n;
      } else if (n === NEED_MORE) {
        return pos;
      } else {
        if (n === MALFORMED) this.#protocolStats[f.parserIndex]!.parseFailed++;
        return end;
      }
    }
    return end;
  }

  /** Keeps an incomplete message's bytes until the rest arrives. */
  #keep(
    stream: TcpStream,
    bytes: Uint8Array,
    start: number,
    end: number,
    seq: number,
    time: number,
  ) {
    const n = end - start;
    if (n > this.#maxMessage) {
      this.stats.tooLarge++;
      return;
    }
    if (stream.buffer === undefined || stream.buffer.length < n) {
      stream.buffer = new Uint8Array(Math.min(this.#maxMessage, Math.max(n * 2, 2048)));
    }
    stream.buffer.set(bytes.subarray(start, end));
    stream.bufferLength = n;
    stream.bufferSeq = seq;
    stream.bufferTime = time;
  }

  #end(f: FlowL7): void {
    for (const r of f.queue) this.#unanswered(f, r, false);
    if (f.idRecords !== undefined) { for (const r of f.idRecords) this.#unanswered(f, r, false); }
    f.queue.length = 0;
    f.ids = f.idRecords = undefined;
    this.#waiting.delete(f);
    f.waiting = false;
    f.streams?.[0].clear();
    f.streams?.[1].clear();
  }

  /** Reports requests unanswered past their timeout. */
  #sweep(now: number): void {
    this.#nextSweep = now + SWEEP_US;
    for (const f of this.#waiting) {
      if (f.queue.length === 0 && (f.ids === undefined || f.ids.length === 0)) {
        this.#waiting.delete(f);
        f.waiting = false;
        continue;
      }
      const limit = now - (f.protocol === 6 ? this.#timeoutTcpUs : this.#timeoutUdpUs);
      while (f.queue.length > 0 && f.queue[0]!.startTime < limit) {
        this.#unanswered(f, f.queue.shift()!, true);
      }
      const ids = f.ids;
      const records = f.idRecords;
      if (ids === undefined || records === undefined) continue;
      for (let i = 0; i < records.length;) {
        const r = records[i]!;
        if (r.startTime >= limit) {
          i++;
          continue;
        }
        removeAt(ids, i);
        removeAt(records, i);
        this.#unanswered(f, r, true);
      }
    }
  }
}

/** Removes element `i` of `a`, keeping the order of the rest. */
function removeAt<T>(a: T[], i: number): void {
  if (i === 0) {
    a.shift();
    return;
  }
  for (let k = i + 1; k < a.length; k++) a[k - 1] = a[k]!;
  a.length--;
}

/** `l7_protocol_str` for a value. */
export function l7ProtocolName(protocol: number): string {
  return L7_PROTOCOL_NAMES[protocol] ?? String(protocol);
}
