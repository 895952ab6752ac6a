/**
 * DNS (RFC 1035) over UDP and over TCP (RFC 7766: a 2-byte length before each message).
 * Queries pair with responses by id. request_type is the query type (A, AAAA, …),
 * request_resource the name, response_code the rcode, response_result the answers.
 */
import { L7Protocol, ResponseStatus } from "../wire/mod.ts";
import { u16 } from "./_bytes.ts";
import { MAX_CACHED_BYTES, sharedText, TextKind } from "./_text_cache.ts";
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

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  12: "PTR",
  13: "HINFO",
  15: "MX",
  16: "TXT",
  28: "AAAA",
  33: "SRV",
  35: "NAPTR",
  39: "DNAME",
  41: "OPT",
  43: "DS",
  46: "RRSIG",
  47: "NSEC",
  48: "DNSKEY",
  50: "NSEC3",
  64: "SVCB",
  65: "HTTPS",
  99: "SPF",
  251: "IXFR",
  252: "AXFR",
  255: "ANY",
  257: "CAA",
};

/** RFC 1035 §4.1.1 and RFC 6895 rcode names. */
const RCODE_NAMES: readonly string[] = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
];

export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

/** Where the name at `at` ends (after its last label or pointer), or -1 when malformed. */
function skipName(b: Uint8Array, at: number, end: number): number {
  let i = at;
  for (let labels = 0; labels < 128 && i < end; labels++) {
    const len = b[i]!;
    if (len === 0) return i + 1;
    if ((len & 0xc0) === 0xc0) return i + 2 <= end ? i + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    i += 1 + len;
  }
  return -1;
}

/** The name at `at` (following compression pointers within the message), or undefined. */
function readName(b: Uint8Array, message: number, at: number, end: number): string | undefined {
  let name = "";
  let i = at;
  for (let steps = 0; steps < 128 && i < end; steps++) {
    const len = b[i]!;
    if (len === 0) return name === "" ? "." : name;
    if ((len & 0xc0) === 0xc0) {
      if (i + 1 >= end) return undefined;
      const target = message + (((len & 0x3f) << 8) | b[i + 1]!);
      if (target >= i) return undefined; // RFC 1035 §4.1.4: pointers point back
      i = target;
      continue;
    }
    if ((len & 0xc0) !== 0 || i + 1 + len > end) return undefined;
    if (name !== "") name += ".";
    for (let k = i + 1; k <= i + len; k++) {
      const c = b[k]!;
      name += c > 32 && c < 127 && c !== 46 ? String.fromCharCode(c) : `\\${c}`;
    }
    i += 1 + len;
  }
  return undefined;
}

/**
 * The name `[start, end)`: labels only, its zero byte last, at most {@link MAX_CACHED_BYTES}
 * bytes (so at most 80 labels, all inside: {@link readName} cannot fail on it).
 */
function plainName(b: Uint8Array, start: number, end: number): string {
  return readName(b, start, start, end) ?? "";
}

/**
 * {@link readName} for a name at `at` that is labels only (no compression pointer, as question
 * names are), shared with earlier messages that had the same name; other names are read.
 */
function questionName(b: Uint8Array, message: number, at: number, end: number) {
  let i = at;
  while (i < end && b[i] !== 0 && (b[i]! & 0xc0) === 0) i += 1 + b[i]!;
  if (i >= end || b[i] !== 0 || i + 1 - at > MAX_CACHED_BYTES) return readName(b, message, at, end);
  return sharedText(b, at, i + 1, TextKind.DnsName, plainName);
}

/** An A (4 bytes) or AAAA (16) answer `[start, end)` as `A=…` / `AAAA=…`. */
function addressAnswer(b: Uint8Array, start: number, end: number): string {
  const type = end - start === 4 ? 1 : 28;
  return `${dnsTypeName(type)}=${formatRdata(b, start, type, start, end - start, end)}`;
}

/** Opcodes: QUERY, IQUERY, STATUS, NOTIFY, UPDATE (RFC 1035, 1996, 2136); 3 is unassigned. */
const OPCODES = 0b110111;
/** Most entries per section a message is believed to have when inferring the protocol. */
const MAX_COUNT = 256;

/**
 * A plausible DNS message at `[start, end)`: header (known opcode, sane counts) and its first
 * question, or for IQUERY/NOTIFY/UPDATE without question its first record. Multi-question
 * queries (mDNS) and known answers in queries count on DNS ports (53, 5353, 5355); elsewhere
 * only one question, and no answer in a query. `port53`: the flow uses port 53, where a header
 * alone is enough (its names may be damaged: it is still a query, as tshark counts it).
 */
function looksLikeDns(
  b: Uint8Array,
  start: number,
  end: number,
  response: boolean,
  port53: boolean,
  dnsPort: boolean,
): boolean {
  if (end - start < 12) return false;
  const flags = u16(b, start + 2);
  if (((flags & 0x8000) !== 0) !== response) return false;
  const opcode = (flags >> 11) & 0xf;
  if (((OPCODES >> opcode) & 1) === 0) return false;
  if (port53) return true;
  const qd = u16(b, start + 4);
  const an = u16(b, start + 6);
  if (qd > 64 || an > MAX_COUNT || u16(b, start + 8) > MAX_COUNT) return false;
  if (u16(b, start + 10) > MAX_COUNT) return false;
  if (!dnsPort && (qd !== 1 || (!response && an !== 0))) return false;
  if (qd === 0) {
    // Only the opcodes that may go without a question, with a record instead.
    if (opcode === 0 || an === 0) return false;
    const rr = skipName(b, start + 12, end);
    return rr > 0 && rr + 10 <= end;
  }
  const q = skipName(b, start + 12, end);
  return q > 0 && q + 4 <= end;
}

function statusOfRcode(rcode: number): number {
  if (rcode === 0) return ResponseStatus.Success;
  // FORMERR and NXDOMAIN are the asker's; SERVFAIL, NOTIMP, REFUSED the server's.
  if (rcode === 1 || rcode === 3) return ResponseStatus.ClientError;
  return ResponseStatus.ServerError;
}

function formatRdata(
  b: Uint8Array,
  message: number,
  type: number,
  at: number,
  len: number,
  end: number,
) {
  if (type === 1 && len === 4) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  if (type === 28 && len === 16) {
    const words: string[] = [];
    for (let k = 0; k < 16; k += 2) words.push(u16(b, at + k).toString(16));
    return words.join(":").replace(/\b(?:0:){2,}/, ":").replace(/^0::/, "::");
  }
  if (type === 5 || type === 2 || type === 12) return readName(b, message, at, end);
  if (type === 15 && len > 2) return readName(b, message, at + 2, end);
  return undefined;
}

/** Parses one DNS message at `[m, end)`; returns false when malformed. */
function parseMessage(b: Uint8Array, m: number, end: number, sink: RequestSink): boolean {
  if (end - m < 12) return false;
  const id = u16(b, m);
  const flags = u16(b, m + 2);
  const qd = u16(b, m + 4);
  const an = u16(b, m + 6);
  let i = m + 12;
  let name: string | undefined = "";
  let qtype = 0;
  let damaged = false;
  if (qd > 0) {
    name = questionName(b, m, i, end);
    i = skipName(b, i, end);
    if (name === undefined || i < 0 || i + 4 > end) {
      // A damaged question: the query is still one (paired by id), its name unknown.
      name = "";
      damaged = true;
    } else {
      qtype = u16(b, i);
      i += 4;
      for (let q = 1; q < qd && !damaged; q++) {
        const next = skipName(b, i, end);
        if (next < 0 || next + 4 > end) damaged = true;
        else i = next + 4;
      }
    }
  }
  if ((flags & 0x8000) === 0) {
    const r = sink.requestWithId(id);
    r.requestType = qd === 0 ? "" : dnsTypeName(qtype);
    r.requestResource = name;
    r.endpoint = name;
    r.requestLength = end - m;
    return !damaged;
  }
  const r = sink.responseFor(id);
  if (r === undefined) return !damaged;
  const rcode = flags & 0xf;
  r.responseCode = rcode;
  r.responseStatus = statusOfRcode(rcode);
  if (rcode !== 0) r.responseException = RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
  r.responseLength = end - m;
  if (damaged) return false;
  let answers = "";
  for (let a = 0; a < an && a < 32; a++) {
    const rr = skipName(b, i, end);
    if (rr < 0 || rr + 10 > end) break;
    const type = u16(b, rr);
    const len = u16(b, rr + 8);
    const data = rr + 10;
    if (data + len > end) break;
    let answer: string | undefined;
    if ((type === 1 && len === 4) || (type === 28 && len === 16)) {
      // An address answer is its bytes' text alone: shared with earlier ones.
      answer = sharedText(b, data, data + len, TextKind.Answer, addressAnswer);
    } else {
      const value = formatRdata(b, m, type, data, len, end);
      if (value !== undefined) answer = `${dnsTypeName(type)}=${value}`;
    }
    if (answer !== undefined) answers = answers === "" ? answer : `${answers};${answer}`;
    i = data + len;
  }
  r.responseResult = answers;
  return true;
}

class DnsSession implements ParserSession {
  constructor(readonly tcp: boolean) {}

  parse(payload: Payload, _direction: Direction, sink: RequestSink): number {
    const { bytes: b, start, end } = payload;
    if (!this.tcp) return parseMessage(b, start, end, sink) ? end - start : MALFORMED;
    if (end - start < 2) return NEED_MORE;
    const length = u16(b, start);
    if (length < 12) return MALFORMED;
    if (end - start < 2 + length) return NEED_MORE;
    return parseMessage(b, start + 2, start + 2 + length, sink) ? 2 + length : MALFORMED;
  }
}

const DNS_PORTS = [53, 5353, 5355];
/** NetBIOS name service: DNS's message format, not DNS (tshark: NBNS). */
const NBNS = 137;

function checkDns(payload: Payload, direction: Direction, ports: Ports): boolean {
  const { bytes: b, start, end } = payload;
  if (ports.server === NBNS || ports.client === NBNS) return false;
  const response = direction === Direction.ToClient;
  const port53 = ports.server === 53;
  const dnsPort = port53 || DNS_PORTS.includes(ports.server) || DNS_PORTS.includes(ports.client);
  if (!ports.tcp) return looksLikeDns(b, start, end, response, port53, dnsPort);
  // RFC 7766 §8: the length prefix covers the message (which may span segments; on port 53
  // it may come alone in its own segment).
  const len = end - start >= 2 ? u16(b, start) : 0;
  if (port53 && end - start < 14) return end - start === 2 && len >= 12;
  if (end - start < 14 || len < 12 || (len > end - start - 2 && !port53)) return false;
  return looksLikeDns(b, start + 2, Math.min(end, start + 2 + len), response, port53, dnsPort);
}

export const dns: L7Parser = {
  protocol: L7Protocol.Dns,
  name: "dns",
  ports: DNS_PORTS,
  tcp: true,
  udp: true,
  check: checkDns,
  session: (tcp: boolean) => new DnsSession(tcp),
};
