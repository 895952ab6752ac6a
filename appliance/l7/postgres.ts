/**
 * PostgreSQL frontend/backend protocol 3.0: the simple query (`Q`) and the extended query
 * (`P`arse / `B`ind / `E`xecute … `S`ync, prepared statements remembered by name), each paired
 * with the backend's answer up to `ReadyForQuery`; CommandComplete gives the affected rows,
 * ErrorResponse the SQLSTATE (response_result), message (response_exception) and status.
 */
import { L7Protocol, type RequestRecord, ResponseStatus } from "../wire/mod.ts";
import { indexOfByte, u32 } from "./_bytes.ts";
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
import { obfuscateSql } from "./sql.ts";
import { applySqlComment } from "./trace.ts";

const PROTOCOL_3 = 0x00030000;
const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** A message longer than this is not PostgreSQL we can use. */
const MAX_MESSAGE = 64 * 1024 * 1024;
/** Prepared statements remembered per connection. */
const MAX_STATEMENTS = 256;
const FRONTEND_TYPES = "QPBEDSCXHFdcfp";
const BACKEND_TYPES = "RSKZTDCEINntsv123AcdGHWV";

/** SQLSTATE classes that blame the client's statement or data (PostgreSQL appendix A). */
const CLIENT_CLASSES = new Set(["22", "23", "28", "2B", "3D", "3F", "42", "0A", "21", "26", "34"]);

function cString(b: Uint8Array, at: number, end: number): [string, number] | undefined {
  const zero = indexOfByte(b, 0, at, end);
  if (zero < 0) return undefined;
  return [textShared(b, at, zero), zero + 1];
}

class PostgresSession implements ParserSession {
  #startupSeen = false;
  #sslAsked = false;
  #database = "";
  /** The request of an extended-query cycle being built (until Sync). */
  #extended: RequestRecord | undefined;
  readonly #statements = new Map<string, string>();
  // The answer being collected until ReadyForQuery.
  #rows: number | null = null;
  #code = "";
  #message = "";
  #answerLength = 0;

  parse(payload: Payload, direction: Direction, sink: RequestSink): number {
    const { bytes: b, start, end } = payload;
    if (direction === Direction.ToClient && this.#sslAsked) {
      this.#sslAsked = false;
      return b[start] === 78 ? 1 : MALFORMED; // 'N': go on in the clear; 'S' means TLS
    }
    if (direction === Direction.ToServer && !this.#startupSeen && b[start] === 0) {
      return this.#startup(b, start, end);
    }
    if (end - start < 5) return NEED_MORE;
    const type = b[start]!;
    const length = u32(b, start + 1);
    if (length < 4 || length > MAX_MESSAGE) return MALFORMED;
    if (end - start < length + 1) return NEED_MORE;
    const body = start + 5;
    const stop = start + 1 + length;
    if (direction === Direction.ToServer) return this.#frontend(type, b, body, stop, sink);
    return this.#backend(type, b, body, stop, sink);
  }

  #startup(b: Uint8Array, start: number, end: number): number {
    if (end - start < 8) return NEED_MORE;
    const length = u32(b, start);
    if (length < 8 || length > 10_000) return MALFORMED;
    if (end - start < length) return NEED_MORE;
    const code = u32(b, start + 4);
    if (code === SSL_REQUEST || code === GSS_REQUEST) {
      this.#sslAsked = true;
      return length;
    }
    if (code === CANCEL_REQUEST) return length;
    if (code !== PROTOCOL_3) return MALFORMED;
    this.#startupSeen = true;
    let i = start + 8;
    const stop = start + length;
    let user = "";
    while (i < stop && b[i] !== 0) {
      const key = cString(b, i, stop);
      if (key === undefined) return MALFORMED;
      const value = cString(b, key[1], stop);
      if (value === undefined) return MALFORMED;
      if (key[0] === "database") this.#database = value[0];
      if (key[0] === "user") user = value[0];
      i = value[1];
    }
    if (this.#database === "") this.#database = user;
    return length;
  }

  #statement(sql: string, r: RequestRecord, sink: RequestSink): void {
    applySqlComment(sql, r);
    r.requestResource = sink.obfuscate ? obfuscateSql(sql) : sql;
    r.requestDomain = this.#database;
  }

  #frontend(type: number, b: Uint8Array, body: number, stop: number, sink: RequestSink): number {
    const size = stop - body + 5;
    switch (type) {
      case 81: { // Q: simple query
        const sql = cString(b, body, stop);
        if (sql === undefined) return MALFORMED;
        const r = sink.request();
        r.requestType = "QUERY";
        r.requestLength = size;
        this.#statement(sql[0], r, sink);
        this.#clearAnswer();
        return size;
      }
      case 80: { // P: Parse(name, query, parameter types)
        const name = cString(b, body, stop);
        const sql = name && cString(b, name[1], stop);
        if (name === undefined || sql === undefined) return MALFORMED;
        if (this.#statements.size >= MAX_STATEMENTS) this.#statements.clear();
        this.#statements.set(name[0], sql[0]);
        this.#cycle(sink, sql[0], size);
        return size;
      }
      case 66: { // B: Bind(portal, statement, …)
        const portal = cString(b, body, stop);
        const name = portal && cString(b, portal[1], stop);
        if (portal === undefined || name === undefined) return MALFORMED;
        const sql = this.#statements.get(name[0]);
        this.#cycle(sink, sql, size);
        return size;
      }
      case 69: // E: Execute
      case 68: // D: Describe
      case 67: // C: Close
      case 72: // H: Flush
        if (this.#extended !== undefined) this.#extended.requestLength += size;
        return size;
      case 83: // S: Sync ends the cycle; the answer ends with ReadyForQuery
        this.#extended = undefined;
        return size;
      default:
        return FRONTEND_TYPES.includes(String.fromCharCode(type)) ? size : MALFORMED;
    }
  }

  /** Starts (or adds to) the request of an extended-query cycle. */
  #cycle(sink: RequestSink, sql: string | undefined, size: number): void {
    let r = this.#extended;
    if (r === undefined) {
      r = this.#extended = sink.request();
      r.requestType = "EXECUTE";
      r.requestDomain = this.#database;
      this.#clearAnswer();
    }
    r.requestLength += size;
    if (sql !== undefined && r.requestResource === "") this.#statement(sql, r, sink);
  }

  #clearAnswer(): void {
    this.#rows = null;
    this.#code = "";
    this.#message = "";
    this.#answerLength = 0;
  }

  #backend(type: number, b: Uint8Array, body: number, stop: number, sink: RequestSink): number {
    const size = stop - body + 5;
    this.#answerLength += size;
    switch (type) {
      case 67: { // C: CommandComplete "INSERT 0 5", "SELECT 3", "UPDATE 2"
        const tag = cString(b, body, stop);
        if (tag === undefined) return MALFORMED;
        const last = tag[0].slice(tag[0].lastIndexOf(" ") + 1);
        if (/^\d+$/.test(last)) this.#rows = (this.#rows ?? 0) + Number(last);
        return size;
      }
      case 69: { // E: ErrorResponse, fields of (code byte, C string)
        let i = body;
        while (i < stop && b[i] !== 0) {
          const field = b[i]!;
          const value = cString(b, i + 1, stop);
          if (value === undefined) return MALFORMED;
          if (field === 67 && this.#code === "") this.#code = value[0]; // C: SQLSTATE
          if (field === 77 && this.#message === "") this.#message = value[0]; // M: message
          i = value[1];
        }
        return size;
      }
      case 90: { // Z: ReadyForQuery ends the answer
        if (sink.pending === 0) {
          this.#clearAnswer();
          return size;
        }
        const r = sink.response();
        if (r !== undefined) {
          r.responseLength = this.#answerLength;
          r.sqlAffectedRows = this.#rows;
          if (this.#code !== "") {
            r.responseResult = this.#code;
            r.responseException = this.#message;
            if (/^\d{5}$/.test(this.#code)) r.responseCode = Number(this.#code);
            r.responseStatus = CLIENT_CLASSES.has(this.#code.slice(0, 2))
              ? ResponseStatus.ClientError
              : ResponseStatus.ServerError;
          }
        }
        this.#clearAnswer();
        return size;
      }
      default:
        return BACKEND_TYPES.includes(String.fromCharCode(type)) ? size : MALFORMED;
    }
  }
}

function checkPostgres(payload: Payload, direction: Direction, ports: Ports): boolean {
  const { bytes: b, start, end } = payload;
  if (end - start < 8) return false;
  if (direction === Direction.ToServer && b[start] === 0) {
    const length = u32(b, start);
    const code = u32(b, start + 4);
    if (length < 8 || length > 10_000) return false;
    if (code === SSL_REQUEST || code === GSS_REQUEST) return length === 8 && ports.server === 5432;
    return code === PROTOCOL_3;
  }
  // Mid-connection: a Query or Parse whose length matches the payload.
  const type = b[start]!;
  const length = u32(b, start + 1);
  if (direction === Direction.ToServer && (type === 81 || type === 80)) {
    return length >= 5 && length + 1 <= end - start && b[start + length] === 0;
  }
  return false;
}

export const postgres: L7Parser = {
  protocol: L7Protocol.PostgreSql,
  name: "postgresql",
  ports: [5432],
  tcp: true,
  udp: false,
  check: checkPostgres,
  session: () => new PostgresSession(),
};
