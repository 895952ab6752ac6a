/**
 * The one contract every protocol file implements (DeepFlow's `check` / `parse`): `check` says
 * whether a payload is this protocol's, from its bytes (ports are only a hint); `session` makes
 * the per-flow parser whose `parse` turns messages into request-log records through a
 * {@link RequestSink}, which pairs requests with responses.
 */
import type { RequestRecord } from "../wire/mod.ts";

/** Which way a payload goes: client → server carries requests. */
export const Direction = { ToServer: 0, ToClient: 1 } as const;
export type Direction = typeof Direction[keyof typeof Direction];

/**
 * Bytes `[start, end)` of `bytes`: a view into the capture buffer, or into the stream's own
 * buffer when a message spans segments. One object is reused for every payload.
 */
export interface Payload {
  bytes: Uint8Array;
  start: number;
  end: number;
}

/** What `check` may use besides the bytes: the flow's ports (a hint only) and transport. */
export interface Ports {
  client: number;
  server: number;
  tcp: boolean;
}

/**
 * What `parse` returns: bytes consumed (more than the payload holds means "and skip the rest
 * of this message as it arrives", e.g. a body), {@link NEED_MORE} for an incomplete message, or
 * {@link MALFORMED}: the stream then drops what it holds and resynchronises.
 */
export const NEED_MORE = 0;
export const MALFORMED = -1;

/** How a parser hands its records over; the engine pairs them and fills the flow's fields. */
export interface RequestSink {
  /** A new request at the current message (FIFO pairing), to be filled in. */
  request(): RequestRecord;
  /** A new request paired by id (DNS id, correlation id, stream id). */
  requestWithId(id: number): RequestRecord;
  /** The oldest unanswered request, now answered at the current message; undefined if none. */
  response(): RequestRecord | undefined;
  /** The request with this id, now answered; undefined if none. */
  responseFor(id: number): RequestRecord | undefined;
  /** The oldest unanswered request without answering it (e.g. HTTP HEAD has no body). */
  peek(): RequestRecord | undefined;
  /** Unanswered requests of the flow. */
  readonly pending: number;
  /** Statement obfuscation is on (literals → ?). */
  readonly obfuscate: boolean;
}

/** One protocol's per-flow parser. */
export interface ParserSession {
  /** Parses the message at the start of `payload`; see {@link NEED_MORE}, {@link MALFORMED}. */
  parse(payload: Payload, direction: Direction, sink: RequestSink): number;
}

export interface L7Parser {
  /** `L7Protocol` value. */
  readonly protocol: number;
  /** Lowercase name used in counters (`http`, `dns`, …). */
  readonly name: string;
  /** Server ports that make this parser be tried first. */
  readonly ports: readonly number[];
  /** Transports it runs over. */
  readonly tcp: boolean;
  readonly udp: boolean;
  /** True when `payload` is this protocol's. Never throws, allocates nothing. */
  check(payload: Payload, direction: Direction, ports: Ports): boolean;
  /** A parser for one flow (over TCP or UDP). */
  session(tcp: boolean): ParserSession;
}
