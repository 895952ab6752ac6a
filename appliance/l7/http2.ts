/**
 * HTTP/2 over cleartext TCP (RFC 9113, prior knowledge): the connection preface, frames one at
 * a time (HEADERS + CONTINUATION decoded with HPACK per direction, DATA counted, RST_STREAM,
 * SETTINGS; the rest skipped by length), requests paired with responses by stream id. A
 * request whose content-type is application/grpc is gRPC: its status comes from the
 * `grpc-status` trailer. A stream's record is completed when the response ends (END_STREAM or
 * RST_STREAM), so its duration runs to the response's last frame.
 */
import { L7Protocol, type RequestRecord, ResponseStatus } from "../wire/mod.ts";
import { startsWith } from "./_bytes.ts";
import { type HeaderHandler, HpackDecoder } from "./hpack.ts";
import {
  Direction,
  type L7Parser,
  MALFORMED,
  NEED_MORE,
  type ParserSession,
  type Payload,
  type Ports,
  type RequestSink,
} from "./parser.ts";
import { applyB3, applySw8, applyTraceparent, applyUberTraceId } from "./trace.ts";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME_HEADER = 9;
const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const SETTINGS = 4;
const CONTINUATION = 9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** Largest header block (HEADERS + CONTINUATION) gathered; larger ones are damage to us. */
const MAX_BLOCK = 128 * 1024;
/** Streams tracked per connection; older ones are forgotten. */
const MAX_STREAMS = 1024;

/** RFC 9113 §7 error codes. */
const ERROR_CODES = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];

/** gRPC status codes (grpc/doc/statuscodes.md); those caused by the caller are client errors. */
const GRPC_CODES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];
const GRPC_CLIENT_ERRORS = new Set([1, 3, 5, 6, 7, 9, 11, 16]);

/** What one stream's response has said so far. */
interface Stream {
  request: RequestRecord | undefined;
  grpc: boolean;
  status: number;
  grpcStatus: number;
  grpcMessage: string;
  responseLength: number;
}

function u24(b: Uint8Array, i: number): number {
  return (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
}

function streamId(b: Uint8Array, i: number): number {
  return ((b[i]! & 0x7f) * 0x1000000) + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
}

/** True for a SETTINGS frame on stream 0 whose settings are all known ids (a server preface). */
function isSettingsFrame(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < FRAME_HEADER || b[start + 3] !== SETTINGS || b[start + 4] !== 0) return false;
  const length = u24(b, start);
  if (length % 6 !== 0 || length > 60 || streamId(b, start + 5) !== 0) return false;
  for (
    let i = start + FRAME_HEADER;
    i + 6 <= Math.min(end, start + FRAME_HEADER + length);
    i += 6
  ) {
    const id = (b[i]! << 8) | b[i + 1]!;
    if (id === 0 || id > 0x10) return false;
  }
  return true;
}

function checkHttp2(payload: Payload, direction: Direction): boolean {
  const { bytes: b, start, end } = payload;
  if (direction === Direction.ToServer && end - start >= 14) {
    return startsWith(b, start, end, PREFACE.slice(0, Math.min(PREFACE.length, end - start)));
  }
  return isSettingsFrame(b, start, end);
}

function httpStatus(code: number): number {
  if (code >= 500) return ResponseStatus.ServerError;
  if (code >= 400) return ResponseStatus.ClientError;
  return ResponseStatus.Success;
}

/** `grpc-message` is percent-encoded (gRPC over HTTP/2 spec). */
function percentDecoded(s: string): string {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

class Http2Session implements ParserSession, HeaderHandler {
  readonly #hpack = [new HpackDecoder(), new HpackDecoder()];
  readonly #streams = new Map<number, Stream>();
  /** Gathered HEADERS + CONTINUATION fragments. */
  #block = new Uint8Array(4096);
  // The header block being decoded: its direction, record and stream.
  #direction: Direction = Direction.ToServer;
  #record: RequestRecord | undefined;
  #stream: Stream | undefined;

  parse(payload: Payload, direction: Direction, sink: RequestSink): number {
    const { bytes: b, start, end } = payload;
    if (direction === Direction.ToServer && b[start] === 0x50) {
      if (end - start < PREFACE.length) {
        return startsWith(b, start, end, "PRI") ? NEED_MORE : MALFORMED;
      }
      if (startsWith(b, start, end, PREFACE)) return PREFACE.length;
    }
    if (end - start < FRAME_HEADER) return NEED_MORE;
    const length = u24(b, start);
    const type = b[start + 3]!;
    const flags = b[start + 4]!;
    const id = streamId(b, start + 5);
    const total = FRAME_HEADER + length;
    if (type === DATA) {
      // Only the header matters: the body is skipped as it arrives.
      if (id === 0) return MALFORMED;
      this.#data(id, length, flags, direction, sink);
      return total;
    }
    if (type === HEADERS) return this.#headers(b, start, end, flags, id, direction, sink);
    if (type === CONTINUATION) return MALFORMED; // only ever right after its HEADERS
    if (type === RST_STREAM) {
      if (end - start < total) return NEED_MORE;
      if (length !== 4 || id === 0) return MALFORMED;
      const code =
        (b[start + 9]! << 24 | b[start + 10]! << 16 | b[start + 11]! << 8 | b[start + 12]!) >>> 0;
      this.#reset(id, code, direction, sink);
      return total;
    }
    if (type === SETTINGS) {
      if (end - start < total) return NEED_MORE;
      if (id !== 0 || length % 6 !== 0) return MALFORMED;
      // SETTINGS_HEADER_TABLE_SIZE bounds the table the peer's encoder may use (§6.5.2).
      for (let i = start + FRAME_HEADER; i < start + total; i += 6) {
        if (b[i] === 0 && b[i + 1] === 1) {
          const v = (b[i + 2]! << 24 | b[i + 3]! << 16 | b[i + 4]! << 8 | b[i + 5]!) >>> 0;
          this.#hpack[1 - direction]!.limit = Math.max(v, 4096);
        }
      }
      return total;
    }
    return total;
  }

  // HeaderHandler: one field of the block being decoded.
  header(name: string, value: string): void {
    const r = this.#record;
    if (r === undefined) return;
    const request = this.#direction === Direction.ToServer;
    if (name.charCodeAt(0) === 58) {
      if (request) {
        if (name === ":method") r.requestType = value;
        else if (name === ":path") {
          r.requestResource = value;
          const q = value.indexOf("?");
          r.endpoint = q < 0 ? value : value.slice(0, q);
        } else if (name === ":authority") r.requestDomain = value;
      } else if (name === ":status") {
        const s = this.#stream!;
        if (s.status < 200) s.status = Number(value) || 0; // 1xx: the final status follows
      }
      return;
    }
    switch (name) {
      case "content-type":
        if (request && value.startsWith("application/grpc")) this.#stream!.grpc = true;
        break;
      case "host":
        if (request && r.requestDomain === "") r.requestDomain = value;
        break;
      case "grpc-status":
        if (!request) this.#stream!.grpcStatus = Number(value);
        break;
      case "grpc-message":
        if (!request) this.#stream!.grpcMessage = percentDecoded(value);
        break;
      case "traceparent":
        applyTraceparent(value, r);
        break;
      case "b3":
        applyB3(value, r);
        break;
      case "x-b3-traceid":
        r.traceId = value;
        break;
      case "x-b3-spanid":
        r.spanId = value;
        break;
      case "x-b3-parentspanid":
        r.parentSpanId = value;
        break;
      case "uber-trace-id":
        applyUberTraceId(value, r);
        break;
      case "sw8":
        applySw8(value, r);
        break;
      case "x-request-id":
        if (request) r.xRequestId0 = value;
        else r.xRequestId1 = value;
        break;
    }
  }

  #headers(
    b: Uint8Array,
    start: number,
    end: number,
    flags: number,
    id: number,
    direction: Direction,
    sink: RequestSink,
  ): number {
    // The block may run on in CONTINUATION frames: wait until all of them are here.
    let pos = start;
    let blockLength = 0;
    let frameFlags = flags;
    for (;;) {
      if (end - pos < FRAME_HEADER) return end - start > MAX_BLOCK ? MALFORMED : NEED_MORE;
      const length = u24(b, pos);
      if (pos > start && (b[pos + 3] !== CONTINUATION || streamId(b, pos + 5) !== id)) {
        return MALFORMED;
      }
      if (pos + FRAME_HEADER + length > end) {
        return end - start > MAX_BLOCK || length > MAX_BLOCK ? MALFORMED : NEED_MORE;
      }
      frameFlags = b[pos + 4]!;
      blockLength += length;
      pos += FRAME_HEADER + length;
      if ((frameFlags & END_HEADERS) !== 0) break;
    }
    if (id === 0 || blockLength > MAX_BLOCK) return MALFORMED;
    const consumed = pos - start;
    // The fragment of the HEADERS frame, without padding and priority fields.
    let from = start + FRAME_HEADER;
    let to = from + u24(b, start);
    if ((flags & PADDED) !== 0) {
      if (to <= from) return MALFORMED;
      to -= b[from]!;
      from++;
    }
    if ((flags & PRIORITY) !== 0) from += 5;
    if (to < from) return MALFORMED;
    let block = b;
    let blockStart = from;
    let blockEnd = to;
    if (consumed > FRAME_HEADER + u24(b, start)) {
      // Copy the fragments into one block.
      if (this.#block.length < blockLength) this.#block = new Uint8Array(blockLength * 2);
      block = this.#block;
      block.set(b.subarray(from, to));
      let n = to - from;
      for (let p = start + FRAME_HEADER + u24(b, start); p < pos;) {
        const length = u24(b, p);
        block.set(b.subarray(p + FRAME_HEADER, p + FRAME_HEADER + length), n);
        n += length;
        p += FRAME_HEADER + length;
      }
      blockStart = 0;
      blockEnd = n;
    }
    const endStream = (flags & END_STREAM) !== 0;
    const request = direction === Direction.ToServer;
    let s = this.#streams.get(id);
    if (request && s === undefined) {
      const r = sink.requestWithId(id);
      r.version = "2";
      s = {
        request: r,
        grpc: false,
        status: 0,
        grpcStatus: -1,
        grpcMessage: "",
        responseLength: 0,
      };
      if (this.#streams.size >= MAX_STREAMS) {
        this.#streams.delete(this.#streams.keys().next().value!);
      }
      this.#streams.set(id, s);
    }
    this.#direction = direction;
    this.#stream = s;
    this.#record = s?.request;
    const ok = this.#hpack[direction]!.decode(block, blockStart, blockEnd, this);
    this.#record = undefined;
    this.#stream = undefined;
    if (!ok) {
      this.#hpack[direction]!.reset();
      return MALFORMED;
    }
    if (s !== undefined) {
      if (request) {
        if (s.request !== undefined) {
          s.request.requestLength += consumed;
          if (s.grpc) s.request.l7Protocol = L7Protocol.Grpc;
        }
      } else {
        s.responseLength += consumed;
        if (endStream) this.#finish(id, s, sink);
      }
    } else if (!request && endStream) {
      sink.responseFor(id); // counted as unmatched: the request was not seen
    }
    return consumed;
  }

  #data(id: number, length: number, flags: number, direction: Direction, sink: RequestSink) {
    const s = this.#streams.get(id);
    if (s === undefined) return;
    if (direction === Direction.ToServer) {
      if (s.request !== undefined) s.request.requestLength += FRAME_HEADER + length;
      return;
    }
    s.responseLength += FRAME_HEADER + length;
    if ((flags & END_STREAM) !== 0) this.#finish(id, s, sink);
  }

  #reset(id: number, code: number, direction: Direction, sink: RequestSink) {
    const s = this.#streams.get(id);
    if (s === undefined) return;
    this.#streams.delete(id);
    const r = sink.responseFor(id);
    if (r === undefined) return;
    r.responseLength = s.responseLength;
    const name = ERROR_CODES[code] ?? `0x${code.toString(16)}`;
    if (s.status > 0) this.#fill(r, s);
    if (code !== 0 || s.status === 0) {
      // A stream the client cancelled is its doing; one the server reset is the server's.
      r.responseStatus = direction === Direction.ToServer
        ? ResponseStatus.ClientError
        : ResponseStatus.ServerError;
      r.responseException = `RST_STREAM ${name}`;
    }
  }

  #finish(id: number, s: Stream, sink: RequestSink) {
    this.#streams.delete(id);
    const r = sink.responseFor(id);
    if (r === undefined) return;
    r.responseLength = s.responseLength;
    this.#fill(r, s);
  }

  #fill(r: RequestRecord, s: Stream) {
    if (s.grpc && s.grpcStatus >= 0) {
      r.responseCode = s.grpcStatus;
      if (s.grpcStatus !== 0) {
        r.responseStatus = GRPC_CLIENT_ERRORS.has(s.grpcStatus)
          ? ResponseStatus.ClientError
          : ResponseStatus.ServerError;
        r.responseException = s.grpcMessage || (GRPC_CODES[s.grpcStatus] ?? "");
      }
      return;
    }
    r.responseCode = s.status;
    r.responseStatus = httpStatus(s.status);
  }
}

export const http2: L7Parser = {
  protocol: L7Protocol.Http2,
  name: "http2",
  ports: [],
  tcp: true,
  udp: false,
  check: (payload: Payload, direction: Direction, _ports: Ports) => checkHttp2(payload, direction),
  session: () => new Http2Session(),
};
