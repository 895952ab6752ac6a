/**
 * MongoDB wire protocol OP_MSG (opcode 2013): the section-0 BSON document of a request names
 * the command (its first key), the collection (that key's string value) and the database
 * (`$db`); the reply, paired by `responseTo` = request id, says `ok`, and on failure `errmsg`
 * and `code`. Other opcodes are skipped by their length.
 */
import { L7Protocol, ResponseStatus } from "../wire/mod.ts";
import { text, u32le } from "./_bytes.ts";
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

const OP_MSG = 2013;
const HEADER = 16;
const MAX_MESSAGE = 48 * 1000 * 1000;
/** OP_MSG flag bits defined: checksumPresent, moreToCome, exhaustAllowed. */
const KNOWN_FLAGS = 0x00010003;

/** Index after the NUL ending the C string at `i`, or -1. */
function cstringEnd(b: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) if (b[i] === 0) return i + 1;
  return -1;
}

/** Bytes taken by a BSON value of `type` at `i`; -1 when unknown or cut. */
function valueLength(b: Uint8Array, type: number, i: number, end: number): number {
  switch (type) {
    case 0x01:
    case 0x09:
    case 0x11:
    case 0x12:
      return 8;
    case 0x02:
    case 0x0d:
    case 0x0e:
      return i + 4 <= end ? 4 + u32le(b, i) : -1;
    case 0x03:
    case 0x04:
    case 0x0f:
      return i + 4 <= end ? u32le(b, i) : -1;
    case 0x05:
      return i + 4 <= end ? 5 + u32le(b, i) : -1;
    case 0x06:
    case 0x0a:
    case 0x7f:
    case 0xff:
      return 0;
    case 0x07:
      return 12;
    case 0x08:
      return 1;
    case 0x0b: {
      const a = cstringEnd(b, i, end);
      const c = a < 0 ? -1 : cstringEnd(b, a, end);
      return c < 0 ? -1 : c - i;
    }
    case 0x0c:
      return i + 4 <= end ? 4 + u32le(b, i) + 12 : -1;
    case 0x10:
      return 4;
    case 0x13:
      return 16;
  }
  return -1;
}

/** What a section-0 document says. */
const doc = { command: "", collection: "", db: "", ok: -1, errmsg: "", code: -1 };

function readString(b: Uint8Array, i: number, end: number): string {
  const n = u32le(b, i);
  return n >= 1 && i + 4 + n <= end ? text(b, i + 4, i + 3 + n) : "";
}

function numberValue(b: Uint8Array, type: number, i: number): number {
  if (type === 0x01) return new DataView(b.buffer, b.byteOffset + i, 8).getFloat64(0, true);
  if (type === 0x10) return u32le(b, i) | 0;
  if (type === 0x12) return u32le(b, i) | 0; // low word: codes and ok fit in it
  if (type === 0x08) return b[i]!;
  return -1;
}

/** Reads the top level of the BSON document at `i`; false when it is damaged. */
function readDocument(b: Uint8Array, i: number, end: number): boolean {
  doc.command =
    doc.collection =
    doc.db =
    doc.errmsg =
      "";
  doc.ok = doc.code = -1;
  if (i + 5 > end) return false;
  const docEnd = i + u32le(b, i);
  if (docEnd > end || docEnd < i + 5 || b[docEnd - 1] !== 0) return false;
  let p = i + 4;
  let first = true;
  while (p < docEnd - 1) {
    const type = b[p]!;
    const nameStart = p + 1;
    const valueStart = cstringEnd(b, nameStart, docEnd);
    if (valueStart < 0) return false;
    const n = valueLength(b, type, valueStart, docEnd);
    if (n < 0 || valueStart + n > docEnd) return false;
    const nameLength = valueStart - 1 - nameStart;
    const name = nameLength <= 8 || first ? text(b, nameStart, valueStart - 1) : "";
    if (first) {
      doc.command = name;
      if (type === 0x02) doc.collection = readString(b, valueStart, docEnd);
      first = false;
    }
    if (name === "$db" && type === 0x02) doc.db = readString(b, valueStart, docEnd);
    else if (name === "ok") doc.ok = numberValue(b, type, valueStart);
    else if (name === "errmsg" && type === 0x02) doc.errmsg = readString(b, valueStart, docEnd);
    else if (name === "code") doc.code = numberValue(b, type, valueStart);
    p = valueStart + n;
  }
  return true;
}

function checkMongo(payload: Payload, direction: Direction): boolean {
  if (direction !== Direction.ToServer) return false;
  const { bytes: b, start, end } = payload;
  if (end - start < HEADER + 10) return false;
  const length = u32le(b, start);
  if (length < HEADER + 10 || length > MAX_MESSAGE) return false;
  if (u32le(b, start + 12) !== OP_MSG || u32le(b, start + 8) !== 0) return false;
  if ((u32le(b, start + 16) & ~KNOWN_FLAGS) !== 0 || b[start + 20] !== 0) return false;
  return readDocument(b, start + 21, Math.min(end, start + length));
}

class MongoSession implements ParserSession {
  parse(payload: Payload, direction: Direction, sink: RequestSink): number {
    const { bytes: b, start, end } = payload;
    if (end - start < HEADER) return NEED_MORE;
    const length = u32le(b, start);
    if (length < HEADER || length > MAX_MESSAGE) return MALFORMED;
    if (u32le(b, start + 12) !== OP_MSG) return length;
    if (end - start < length) return NEED_MORE;
    const msgEnd = start + length;
    // Sections: the kind-0 body holds the command or the reply; kind-1 sequences are skipped.
    let p = start + 20;
    let found = false;
    while (p < msgEnd && !found) {
      const kind = b[p]!;
      if (kind === 0) {
        if (!readDocument(b, p + 1, msgEnd)) return MALFORMED;
        found = true;
      } else if (kind === 1 && p + 5 <= msgEnd) {
        p += 1 + u32le(b, p + 1);
      } else {
        return MALFORMED;
      }
    }
    if (!found) return MALFORMED;
    if (direction === Direction.ToServer) {
      const r = sink.requestWithId(u32le(b, start + 4));
      r.requestType = doc.command;
      r.requestResource = doc.collection;
      r.requestDomain = doc.db;
      r.endpoint = doc.collection === "" ? doc.command : `${doc.command} ${doc.collection}`;
      r.requestLength = length;
      return length;
    }
    const r = sink.responseFor(u32le(b, start + 8));
    if (r !== undefined) {
      r.responseLength = length;
      if (doc.ok === 0) {
        r.responseStatus = ResponseStatus.ServerError;
        r.responseCode = doc.code >= 0 ? doc.code : null;
        r.responseException = doc.errmsg;
      }
    }
    return length;
  }
}

export const mongo: L7Parser = {
  protocol: L7Protocol.MongoDb,
  name: "mongodb",
  ports: [27017],
  tcp: true,
  udp: false,
  check: (payload: Payload, direction: Direction, _ports: Ports) => checkMongo(payload, direction),
  session: () => new MongoSession(),
};
