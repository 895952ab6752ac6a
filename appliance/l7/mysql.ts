/**
 * MySQL / MariaDB client/server protocol: commands (COM_QUERY, COM_STMT_PREPARE/EXECUTE with
 * their statement and parameters, COM_INIT_DB, COM_PING, …) paired in order with the first
 * packet of the answer: OK (affected rows), ERR (error code → response_code, message →
 * response_exception; DeepFlow's status: 2000–2999 client error, others server error) or a result
 * set (the rest of it is skipped until the next command).
 */
import { L7Protocol, ResponseStatus } from "../wire/mod.ts";
import { ascii, isTextByte, text, u16le, u24le, u32le } from "./_bytes.ts";
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

const COMMANDS: Readonly<Record<number, string>> = {
  0x01: "COM_QUIT",
  0x02: "COM_INIT_DB",
  0x03: "COM_QUERY",
  0x04: "COM_FIELD_LIST",
  0x05: "COM_CREATE_DB",
  0x06: "COM_DROP_DB",
  0x07: "COM_REFRESH",
  0x09: "COM_STATISTICS",
  0x0a: "COM_PROCESS_INFO",
  0x0c: "COM_PROCESS_KILL",
  0x0d: "COM_DEBUG",
  0x0e: "COM_PING",
  0x11: "COM_CHANGE_USER",
  0x16: "COM_STMT_PREPARE",
  0x17: "COM_STMT_EXECUTE",
  0x18: "COM_STMT_SEND_LONG_DATA",
  0x19: "COM_STMT_CLOSE",
  0x1a: "COM_STMT_RESET",
  0x1b: "COM_SET_OPTION",
  0x1c: "COM_STMT_FETCH",
  0x1f: "COM_RESET_CONNECTION",
};
/** Commands the server does not answer. */
const NO_ANSWER = new Set([0x01, 0x18, 0x19]);
const MAX_STATEMENTS = 256;
/** Packets above this are parsed from their first segment (statement text is cut anyway). */
const PARTIAL_FROM = 16 * 1024;

/** A length-encoded integer at `i`: [value, next index], or undefined. */
function lenenc(b: Uint8Array, i: number, end: number): [number, number] | undefined {
  if (i >= end) return undefined;
  const first = b[i]!;
  if (first < 0xfb) return [first, i + 1];
  if (first === 0xfc && i + 3 <= end) return [u16le(b, i + 1), i + 3];
  if (first === 0xfd && i + 4 <= end) return [u24le(b, i + 1), i + 4];
  if (first === 0xfe && i + 9 <= end) {
    return [u32le(b, i + 1) + u32le(b, i + 5) * 2 ** 32, i + 9];
  }
  return undefined;
}

interface Prepared {
  sql: string;
  params: number;
  /** Parameter types sent by the last execute that bound them (they may be omitted later). */
  types: number[];
}

/** Binary protocol value of `type` at `i` as text: [text, next], or undefined. */
function binaryValue(b: Uint8Array, type: number, unsigned: boolean, i: number, end: number) {
  const view = new DataView(b.buffer, b.byteOffset);
  switch (type) {
    case 0x01: // TINY
      return i + 1 <= end
        ? [String(unsigned ? b[i]! : (b[i]! << 24) >> 24), i + 1] as const
        : undefined;
    case 0x02: // SHORT
    case 0x0d: // YEAR
      return i + 2 <= end
        ? [String(unsigned ? view.getUint16(i, true) : view.getInt16(i, true)), i + 2] as const
        : undefined;
    case 0x03: // LONG
    case 0x09: // INT24
      return i + 4 <= end
        ? [String(unsigned ? view.getUint32(i, true) : view.getInt32(i, true)), i + 4] as const
        : undefined;
    case 0x08: // LONGLONG
      return i + 8 <= end
        ? [
          String(unsigned ? view.getBigUint64(i, true) : view.getBigInt64(i, true)),
          i + 8,
        ] as const
        : undefined;
    case 0x04: // FLOAT
      return i + 4 <= end ? [String(view.getFloat32(i, true)), i + 4] as const : undefined;
    case 0x05: // DOUBLE
      return i + 8 <= end ? [String(view.getFloat64(i, true)), i + 8] as const : undefined;
    case 0x06: // NULL
      return ["NULL", i] as const;
    default: { // strings, decimals, blobs, dates as length-encoded strings
      const len = lenenc(b, i, end);
      if (len === undefined || len[1] + len[0] > end) return undefined;
      if (type >= 0x07 && type <= 0x0c && type !== 0x08 && type !== 0x09) {
        return ["'<time>'", len[1] + len[0]] as const;
      }
      return [`'${text(b, len[1], len[1] + len[0])}'`, len[1] + len[0]] as const;
    }
  }
}

class MySqlSession implements ParserSession {
  /** The server's answer to the current command was seen: skip the rest of it. */
  #answered = true;
  #lastCommand = 0;
  #lastSql = "";
  #database = "";
  readonly #prepared = new Map<number, Prepared>();

  parse(payload: Payload, direction: Direction, sink: RequestSink): number {
    const { bytes: b, start, end } = payload;
    if (end - start < 4) return NEED_MORE;
    const length = u24le(b, start);
    const size = 4 + length;
    const seqId = b[start + 3]!;
    const body = start + 4;
    // Packets the parser skips or needs only the head of are not waited for (rows, big
    // statements): the stream skips their rest as it arrives.
    const skipping = direction === Direction.ToClient ? this.#answered : seqId !== 0;
    if (end - start < size && !skipping && (size <= PARTIAL_FROM || end - start < 5)) {
      return NEED_MORE;
    }
    const stop = Math.min(start + size, end);
    if (direction === Direction.ToServer) {
      if (seqId !== 0 || length === 0) return size; // handshake response, auth, long data
      return this.#command(b, body, stop, sink) ? size : MALFORMED;
    }
    if (this.#answered || length === 0) {
      // The greeting, or the rest of a result set.
      if (seqId === 0 && b[body] === 0x0a) this.#greeting();
      return size;
    }
    this.#answered = true;
    this.#answer(b, body, stop, sink, size);
    return size;
  }

  #greeting(): void {
    this.#prepared.clear();
  }

  #command(b: Uint8Array, body: number, stop: number, sink: RequestSink): boolean {
    const command = b[body]!;
    const name = COMMANDS[command];
    if (name === undefined) return false;
    this.#lastCommand = command;
    if (command === 0x19 && stop - body >= 5) this.#prepared.delete(u32le(b, body + 1));
    if (NO_ANSWER.has(command)) return true;
    const r = sink.request();
    this.#answered = false;
    r.requestType = name;
    r.requestLength = stop - body + 4;
    r.requestDomain = this.#database;
    if (command === 0x03 || command === 0x16) {
      const sql = textShared(b, body + 1, stop);
      applySqlComment(sql, r);
      r.requestResource = sink.obfuscate ? obfuscateSql(sql) : sql;
      this.#lastSql = sql;
    } else if (command === 0x02) {
      this.#database = r.requestResource = r.requestDomain = text(b, body + 1, stop);
    } else if (command === 0x17 && stop - body >= 10) {
      const id = u32le(b, body + 1);
      r.requestId = id;
      const stmt = this.#prepared.get(id);
      if (stmt !== undefined) {
        const params = this.#params(b, body + 10, stop, stmt);
        const sql = sink.obfuscate ? obfuscateSql(stmt.sql) : stmt.sql;
        r.requestResource = params === "" || sink.obfuscate ? sql : `${sql} , ${params}`;
        applySqlComment(stmt.sql, r);
      }
    }
    return true;
  }

  /** COM_STMT_EXECUTE parameters, joined by " , " (DeepFlow's rendering); "" if unreadable. */
  #params(b: Uint8Array, at: number, stop: number, stmt: Prepared): string {
    const n = stmt.params;
    if (n === 0) return "";
    const bitmap = at;
    let i = at + ((n + 7) >> 3);
    if (i >= stop) return "";
    const bound = b[i++];
    if (bound === 1) {
      if (i + 2 * n > stop) return "";
      stmt.types = [];
      for (let k = 0; k < n; k++) stmt.types.push(u16le(b, i + 2 * k));
      i += 2 * n;
    }
    if (stmt.types.length !== n) return "";
    const values: string[] = [];
    for (let k = 0; k < n; k++) {
      if ((b[bitmap + (k >> 3)]! >> (k & 7)) & 1) {
        values.push("NULL");
        continue;
      }
      const t = stmt.types[k]!;
      const value = binaryValue(b, t & 0xff, (t & 0x8000) !== 0, i, stop);
      if (value === undefined) return values.join(" , ");
      values.push(value[0]);
      i = value[1];
    }
    return values.join(" , ");
  }

  #answer(b: Uint8Array, body: number, stop: number, sink: RequestSink, size: number): void {
    const r = sink.response();
    if (r === undefined) return;
    r.responseLength = size;
    const first = b[body]!;
    if (first === 0xff && stop - body >= 3) {
      const code = u16le(b, body + 1);
      r.responseCode = code;
      r.responseStatus = code >= 2000 && code < 3000
        ? ResponseStatus.ClientError
        : ResponseStatus.ServerError;
      let message = body + 3;
      if (b[message] === 35) message += 6; // '#' and the 5-byte SQLSTATE
      r.responseException = text(b, message, stop);
      if (b[body + 3] === 35) r.responseResult = ascii(b, body + 4, body + 9);
    } else if (first === 0x00 && this.#lastCommand === 0x16 && stop - body >= 12) {
      // COM_STMT_PREPARE_OK: statement id, columns, parameters.
      const id = u32le(b, body + 1);
      r.requestId = id;
      if (this.#prepared.size >= MAX_STATEMENTS) this.#prepared.clear();
      this.#prepared.set(id, { sql: this.#lastSql, params: u16le(b, body + 7), types: [] });
    } else if (first === 0x00) {
      const rows = lenenc(b, body + 1, stop);
      if (rows !== undefined) r.sqlAffectedRows = rows[0];
    }
  }
}

/** A client command packet with sequence id 0, or the server's greeting (protocol 10). */
function checkMySql(payload: Payload, direction: Direction, ports: Ports): boolean {
  const { bytes: b, start, end } = payload;
  if (end - start < 5) return false;
  const length = u24le(b, start);
  if (length === 0 || length + 4 > end - start + (ports.server === 3306 ? 1 << 20 : 0)) {
    return false;
  }
  const seqId = b[start + 3]!;
  const first = b[start + 4]!;
  if (direction === Direction.ToClient) {
    if (seqId !== 0 || first !== 0x0a || length < 20) return false;
    for (let i = start + 5; i < Math.min(end, start + 10); i++) {
      if (b[i] === 0) return i > start + 5;
      if (!isTextByte(b[i]!)) return false;
    }
    return true;
  }
  if (seqId !== 0) return false;
  if (first === 0x03 || first === 0x16) {
    // The statement is text.
    for (let i = start + 5; i < Math.min(end, start + 4 + length, start + 21); i++) {
      if (!isTextByte(b[i]!)) return false;
    }
    return length > 1;
  }
  return ports.server === 3306 && COMMANDS[first] !== undefined && length + 4 === end - start;
}

export const mysql: L7Parser = {
  protocol: L7Protocol.MySql,
  name: "mysql",
  ports: [3306],
  tcp: true,
  udp: false,
  check: checkMySql,
  session: () => new MySqlSession(),
};
