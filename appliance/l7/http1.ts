/**
 * HTTP/1.0 and 1.1 (RFC 9112): requests and responses on keep-alive connections, pipelined
 * (paired in order), bodies by Content-Length or chunked (skipped, not buffered), headers split
 * across segments, 1xx interim responses, HEAD/204/304 without bodies. Trace context from
 * traceparent, b3 / X-B3-*, uber-trace-id, sw8 and X-Request-ID.
 */
import { L7Protocol, type RequestRecord, ResponseStatus } from "../wire/mod.ts";
import {
  ascii,
  equalsIgnoreCase,
  findCrlf,
  findHeaderEnd,
  indexOfByte,
  MAX_TEXT,
  parseDecimal,
  parseHex,
  startsWith,
} from "./_bytes.ts";
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
import { asciiShared } from "./_text_cache.ts";
import { applyB3, applySw8, applyTraceparentBytes, applyUberTraceId } from "./trace.ts";

const METHODS = [
  "GET",
  "POST",
  "PUT",
  "DELETE",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "CONNECT",
  "TRACE",
  "PROPFIND",
];
/** Longest header block accepted (larger ones are not HTTP we can use). */
const MAX_HEADER = 64 * 1024;
/** A body without length in a response runs to the end of the connection. */
const TO_CLOSE = Number.MAX_SAFE_INTEGER;

/** Index in {@link METHODS} of the method at `start` (followed by a space), or -1. */
function methodIndex(b: Uint8Array, start: number, end: number): number {
  for (let i = 0; i < METHODS.length; i++) {
    const m = METHODS[i]!;
    if (b[start + m.length] === 32 && startsWith(b, start, end, m)) return i;
  }
  return -1;
}

function methodLength(b: Uint8Array, start: number, end: number): number {
  const i = methodIndex(b, start, end);
  return i < 0 ? -1 : METHODS[i]!.length;
}

/** "1.1" / "1.0" without making a string; others read. */
function versionText(b: Uint8Array, at: number): string {
  if (b[at] === 49 && b[at + 1] === 46) {
    if (b[at + 2] === 49) return "1.1";
    if (b[at + 2] === 48) return "1.0";
  }
  return ascii(b, at, at + 3);
}

function checkHttp(payload: Payload, direction: Direction): boolean {
  const { bytes: b, start, end } = payload;
  if (direction === Direction.ToClient) {
    return startsWith(b, start, end, "HTTP/1.") && end - start >= 12 && b[start + 8] === 32;
  }
  const m = methodLength(b, start, end);
  if (m < 0) return false;
  const lineEnd = findCrlf(b, start, Math.min(end, start + 8192));
  if (lineEnd < 0) return end - start < 8192 && end - start > m + 1; // a long URL, cut
  if (startsWith(b, lineEnd - 8, lineEnd, "HTTP/1.")) return true;
  // HTTP/0.9: "GET /path" and an empty line.
  return m === 3 && b[start] === 71 && b[start + 4] === 47 &&
    findHeaderEnd(b, start, end) === lineEnd;
}

type Headers = {
  contentLength: number;
  chunked: boolean;
  host: string;
};

/** Reads the header lines `[from, headerEnd)` into the record; returns what framing needs. */
function readHeaders(
  b: Uint8Array,
  from: number,
  headerEnd: number,
  r: RequestRecord | undefined,
  request: boolean,
  out: Headers,
): boolean {
  out.contentLength = -1;
  out.chunked = false;
  out.host = "";
  let pos = from;
  while (pos < headerEnd) {
    let eol = findCrlf(b, pos, headerEnd + 2);
    if (eol < 0) eol = headerEnd;
    const colon = indexOfByte(b, 58, pos, eol);
    if (colon > pos) {
      let v = colon + 1;
      while (v < eol && (b[v] === 32 || b[v] === 9)) v++;
      let ve = eol;
      while (ve > v && (b[ve - 1] === 32 || b[ve - 1] === 9)) ve--;
      const c = b[pos]! | 0x20;
      const len = colon - pos;
      if (c === 99 && equalsIgnoreCase(b, pos, colon, "content-length")) {
        out.contentLength = parseDecimal(b, v, ve);
        if (out.contentLength < 0) return false;
      } else if (c === 116 && equalsIgnoreCase(b, pos, colon, "transfer-encoding")) {
        out.chunked = ascii(b, v, ve).toLowerCase().includes("chunked");
      } else if (r !== undefined && len >= 2) {
        if (request && c === 104 && equalsIgnoreCase(b, pos, colon, "host")) {
          out.host = asciiShared(b, v, ve);
        } else if (c === 116 && equalsIgnoreCase(b, pos, colon, "traceparent")) {
          applyTraceparentBytes(b, v, ve, r);
        } else if (c === 98 && len === 2 && equalsIgnoreCase(b, pos, colon, "b3")) {
          applyB3(ascii(b, v, ve), r);
        } else if (c === 120 && len > 6) {
          if (equalsIgnoreCase(b, pos, colon, "x-request-id")) {
            if (request) r.xRequestId0 = ascii(b, v, ve);
            else r.xRequestId1 = ascii(b, v, ve);
          } else if (equalsIgnoreCase(b, pos, colon, "x-b3-traceid")) r.traceId = ascii(b, v, ve);
          else if (equalsIgnoreCase(b, pos, colon, "x-b3-spanid")) r.spanId = ascii(b, v, ve);
          else if (equalsIgnoreCase(b, pos, colon, "x-b3-parentspanid")) {
            r.parentSpanId = ascii(b, v, ve);
          }
        } else if (c === 117 && equalsIgnoreCase(b, pos, colon, "uber-trace-id")) {
          applyUberTraceId(ascii(b, v, ve), r);
        } else if (c === 115 && len === 3 && equalsIgnoreCase(b, pos, colon, "sw8")) {
          applySw8(ascii(b, v, ve), r);
        }
      }
    }
    pos = eol + 2;
  }
  return true;
}

function statusOf(code: number): number {
  if (code >= 500) return ResponseStatus.ServerError;
  if (code >= 400) return ResponseStatus.ClientError;
  return ResponseStatus.Success;
}

class Http1Session implements ParserSession {
  /** Per direction: inside a chunked body. */
  readonly #chunked = [false, false];
  readonly #headers: Headers = { contentLength: -1, chunked: false, host: "" };

  parse(payload: Payload, direction: Direction, sink: RequestSink): number {
    const { bytes: b, start, end } = payload;
    if (this.#chunked[direction]) return this.#chunk(b, start, end, direction);
    const headerEnd = findHeaderEnd(b, start, end);
    if (headerEnd < 0) return end - start > MAX_HEADER ? MALFORMED : NEED_MORE;
    const bodyStart = headerEnd + 4;
    const lineEnd = findCrlf(b, start, bodyStart);
    return direction === Direction.ToServer
      ? this.#request(b, start, lineEnd, headerEnd, sink)
      : this.#response(b, start, lineEnd, headerEnd, sink);
  }

  #request(b: Uint8Array, start: number, lineEnd: number, headerEnd: number, sink: RequestSink) {
    const method = methodIndex(b, start, lineEnd);
    if (method < 0) return MALFORMED;
    const m = METHODS[method]!.length;
    let targetEnd = lineEnd - 9;
    let version = "";
    if (targetEnd >= start + m && startsWith(b, targetEnd + 1, lineEnd, "HTTP/1.")) {
      version = versionText(b, lineEnd - 3);
    } else if (m === 3 && b[start] === 71 && lineEnd > start + 4) {
      targetEnd = lineEnd; // HTTP/0.9: "GET /path", no version
      version = "0.9";
    } else {
      return MALFORMED;
    }
    const r = sink.request();
    r.requestType = METHODS[method]!;
    r.version = version;
    const targetStart = start + m + 1;
    const target = asciiShared(b, targetStart, targetEnd);
    r.requestResource = target;
    const query = indexOfByte(b, 63, targetStart, Math.min(targetEnd, targetStart + MAX_TEXT));
    r.endpoint = query < 0 ? target : asciiShared(b, targetStart, query);
    const h = this.#headers;
    if (!readHeaders(b, lineEnd + 2, headerEnd, r, true, h)) return MALFORMED;
    r.requestDomain = h.host;
    const head = headerEnd + 4 - start;
    if (h.chunked) {
      this.#chunked[Direction.ToServer] = true;
      r.requestLength = head;
      return head;
    }
    const body = h.contentLength > 0 ? h.contentLength : 0;
    r.requestLength = head + body;
    return head + body;
  }

  #response(b: Uint8Array, start: number, lineEnd: number, headerEnd: number, sink: RequestSink) {
    if (!startsWith(b, start, lineEnd, "HTTP/1.") || b[start + 8] !== 32) return MALFORMED;
    const code = parseDecimal(b, start + 9, start + 12);
    if (code < 100 || code > 999) return MALFORMED;
    const head = headerEnd + 4 - start;
    const h = this.#headers;
    if (code < 200) {
      // Interim (100 Continue, 103 Early Hints): the final response follows.
      return readHeaders(b, lineEnd + 2, headerEnd, undefined, false, h) ? head : MALFORMED;
    }
    const headRequest = sink.peek()?.requestType === "HEAD";
    const r = sink.response();
    if (!readHeaders(b, lineEnd + 2, headerEnd, r, false, h)) return MALFORMED;
    let body: number;
    if (headRequest || code === 204 || code === 304) body = 0;
    else if (h.chunked) {
      this.#chunked[Direction.ToClient] = true;
      body = 0;
    } else body = h.contentLength >= 0 ? h.contentLength : TO_CLOSE;
    if (r !== undefined) {
      r.responseCode = code;
      r.responseStatus = statusOf(code);
      if (code >= 400) r.responseException = asciiShared(b, start + 13, lineEnd);
      r.responseLength = head + (body === TO_CLOSE ? 0 : body);
      if (r.version === "") r.version = versionText(b, start + 5);
    }
    return head + body;
  }

  /** One chunk (RFC 9112 §7.1): size line, data, CRLF; or the last chunk and trailers. */
  #chunk(b: Uint8Array, start: number, end: number, direction: Direction): number {
    const lineEnd = findCrlf(b, start, Math.min(end, start + 1024));
    if (lineEnd < 0) return end - start >= 1024 ? MALFORMED : NEED_MORE;
    let sizeEnd = indexOfByte(b, 59, start, lineEnd); // ;extensions
    if (sizeEnd < 0) sizeEnd = lineEnd;
    while (sizeEnd > start && b[sizeEnd - 1] === 32) sizeEnd--;
    const size = parseHex(b, start, sizeEnd);
    if (size < 0) {
      this.#chunked[direction] = false;
      return MALFORMED;
    }
    if (size > 0) return lineEnd + 2 - start + size + 2;
    // Last chunk: trailer fields end with an empty line.
    if (lineEnd + 4 <= end && b[lineEnd + 2] === 13 && b[lineEnd + 3] === 10) {
      this.#chunked[direction] = false;
      return lineEnd + 4 - start;
    }
    const trailersEnd = findHeaderEnd(b, lineEnd, end);
    if (trailersEnd < 0) return end - start > MAX_HEADER ? MALFORMED : NEED_MORE;
    this.#chunked[direction] = false;
    return trailersEnd + 4 - start;
  }
}

export const http1: L7Parser = {
  protocol: L7Protocol.Http1,
  name: "http",
  ports: [80, 8080, 8000, 8008, 8888, 3000, 5000, 9000],
  tcp: true,
  udp: false,
  check: (payload: Payload, direction: Direction, _ports: Ports) => checkHttp(payload, direction),
  session: () => new Http1Session(),
};
