/**
 * Redis RESP2 and RESP3: commands (arrays of bulk strings, or inline commands) paired in order
 * with their replies; an error reply (`-ERR …`, RESP3 `!` blob error) is a server error with its
 * text as exception. RESP3 push messages (`>`) are not replies and pair with nothing.
 */
import { L7Protocol, ResponseStatus } from "../wire/mod.ts";
import { ascii, findCrlf, isTextByte, parseDecimal, text } from "./_bytes.ts";
import { textShared } from "./_text_cache.ts";
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

const INCOMPLETE = -2;
const BAD = -1;
const MAX_DEPTH = 16;
/** Arguments shown in request_resource, and bytes of each. */
const MAX_ARGS = 16;
const MAX_ARG_BYTES = 256;

/** Reads a CRLF-terminated signed integer at `[i, …)`; sets `#value`; returns the next index. */
function lineNumber(b: Uint8Array, i: number, end: number, out: { value: number }): number {
  const eol = findCrlf(b, i, Math.min(end, i + 24));
  if (eol < 0) return end - i >= 24 ? BAD : INCOMPLETE;
  const negative = b[i] === 45;
  const n = parseDecimal(b, negative ? i + 1 : i, eol);
  if (n < 0) return BAD;
  out.value = negative ? -n : n;
  return eol + 2;
}

const scratch = { value: 0 };

/** Index just after the RESP value at `i`, or INCOMPLETE / BAD. */
function valueEnd(b: Uint8Array, i: number, end: number, depth: number): number {
  if (i >= end) return INCOMPLETE;
  if (depth > MAX_DEPTH) return BAD;
  const type = b[i]!;
  switch (type) {
    case 43: // + simple string
    case 45: // - error
    case 58: // : integer
    case 95: // _ null
    case 35: // # boolean
    case 44: // , double
    case 40: { // ( big number
      const eol = findCrlf(b, i + 1, end);
      return eol < 0 ? INCOMPLETE : eol + 2;
    }
    case 36: // $ bulk string
    case 33: // ! blob error
    case 61: { // = verbatim string
      const next = lineNumber(b, i + 1, end, scratch);
      if (next < 0) return next;
      const len = scratch.value;
      if (len < 0) return next; // $-1 null
      if (next + len + 2 > end) return INCOMPLETE;
      return b[next + len] === 13 && b[next + len + 1] === 10 ? next + len + 2 : BAD;
    }
    case 42: // * array
    case 126: // ~ set
    case 62: // > push
    case 37: // % map
    case 124: { // | attribute (followed by the value it describes)
      let next = lineNumber(b, i + 1, end, scratch);
      if (next < 0) return next;
      let count = scratch.value;
      if (count < 0) return next; // *-1 null array
      if (type === 37 || type === 124) count *= 2;
      for (let k = 0; k < count; k++) {
        next = valueEnd(b, next, end, depth + 1);
        if (next < 0) return next;
      }
      return type === 124 ? valueEnd(b, next, end, depth + 1) : next;
    }
    default:
      return BAD;
  }
}

class RedisSession implements ParserSession {
  constructor(readonly tcp: boolean) {}

  parse(payload: Payload, direction: Direction, sink: RequestSink): number {
    const { bytes: b, start, end } = payload;
    if (direction === Direction.ToServer) {
      return b[start] === 42
        ? this.#command(b, start, end, sink)
        : this.#inline(b, start, end, sink);
    }
    const next = valueEnd(b, start, end, 0);
    if (next === INCOMPLETE) return NEED_MORE;
    if (next === BAD) return MALFORMED;
    if (b[start] === 62) return next - start; // push: not a reply
    const r = sink.response();
    if (r !== undefined) {
      r.responseLength = next - start;
      if (b[start] === 45) {
        r.responseStatus = ResponseStatus.ServerError;
        r.responseException = ascii(b, start + 1, findCrlf(b, start, next));
      } else if (b[start] === 33) {
        const body = findCrlf(b, start, next) + 2;
        r.responseStatus = ResponseStatus.ServerError;
        r.responseException = ascii(b, body, next - 2);
      }
    }
    return next - start;
  }

  #command(b: Uint8Array, start: number, end: number, sink: RequestSink): number {
    const next = valueEnd(b, start, end, 0);
    if (next === INCOMPLETE) return NEED_MORE;
    if (next === BAD) return MALFORMED;
    let i = lineNumber(b, start + 1, end, scratch);
    const count = scratch.value;
    const args: string[] = [];
    for (let k = 0; k < count && i > 0; k++) {
      if (b[i] !== 36) return MALFORMED;
      const data = lineNumber(b, i + 1, end, scratch);
      if (data < 0) return MALFORMED;
      const len = Math.max(0, scratch.value);
      if (k < MAX_ARGS) args.push(textShared(b, data, data + Math.min(len, MAX_ARG_BYTES)));
      i = data + len + 2;
    }
    this.#request(args, next - start, sink);
    return next - start;
  }

  #inline(b: Uint8Array, start: number, end: number, sink: RequestSink): number {
    const eol = findCrlf(b, start, end);
    if (eol < 0) return end - start > 64 * 1024 ? MALFORMED : NEED_MORE;
    for (let i = start; i < eol; i++) if (!isTextByte(b[i]!)) return MALFORMED;
    const args = text(b, start, eol).trim().split(/\s+/).filter((a) => a !== "");
    if (args.length > 0) this.#request(args, eol + 2 - start, sink);
    return eol + 2 - start;
  }

  #request(args: string[], length: number, sink: RequestSink): void {
    const r = sink.request();
    const command = (args[0] ?? "").toUpperCase();
    r.requestType = command;
    r.endpoint = command;
    r.requestLength = length;
    // Obfuscation keeps the command and its key, hides values.
    const shown = sink.obfuscate ? args.map((a, i) => i < 2 ? a : "?") : args;
    r.requestResource = shown.join(" ");
  }
}

/** `*N\r\n$` at the start: a RESP command array. */
function checkRedis(payload: Payload, direction: Direction, ports: Ports): boolean {
  const { bytes: b, start, end } = payload;
  const known = ports.server === 6379 || ports.server === 6380 || ports.server === 26379;
  if (direction === Direction.ToClient) {
    if (!known || end - start < 3) return false;
    return valueEnd(b, start, end, 0) > 0;
  }
  if (b[start] === 42) {
    const next = lineNumber(b, start + 1, end, scratch);
    return next > 0 && scratch.value > 0 && scratch.value < 1024 * 1024 && b[next] === 36;
  }
  // Inline commands only on Redis's ports: plain text lines are too common otherwise.
  if (!known) return false;
  const eol = findCrlf(b, start, Math.min(end, start + 1024));
  if (eol <= start) return false;
  for (let i = start; i < eol; i++) if (!isTextByte(b[i]!)) return false;
  return true;
}

export const redis: L7Parser = {
  protocol: L7Protocol.Redis,
  name: "redis",
  ports: [6379, 6380, 26379],
  tcp: true,
  udp: false,
  check: checkRedis,
  session: (tcp: boolean) => new RedisSession(tcp),
};
