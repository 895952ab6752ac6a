/**
 * TLS handshakes (RFC 8446, RFC 5246): the ClientHello is the request (request_type
 * "ClientHello", request_domain the SNI, request_resource the ALPN protocols offered), the
 * ServerHello its response (version — from supported_versions for TLS 1.3 —, the chosen cipher
 * suite in response_result; endpoint is the SNI); response_duration is the time from
 * ClientHello to ServerHello. Every other record (encrypted data, alerts, later handshake
 * messages) is skipped by its length, as it arrives.
 */
import { L7Protocol, ResponseStatus } from "../wire/mod.ts";
import { ascii, u16 } from "./_bytes.ts";
import {
  Direction,
  type L7Parser,
  MALFORMED,
  NEED_MORE,
  type ParserSession,
  type Payload,
  type RequestSink,
} from "./parser.ts";

const HANDSHAKE = 22;
const ALERT = 21;
const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const EXT_SNI = 0;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
/** Largest TLS record (2^14 plus expansion, RFC 8446 §5.2). */
const MAX_RECORD = 16384 + 2048;

const VERSIONS: Readonly<Record<number, string>> = {
  0x0300: "SSL 3.0",
  0x0301: "TLS 1.0",
  0x0302: "TLS 1.1",
  0x0303: "TLS 1.2",
  0x0304: "TLS 1.3",
};

/** IANA names of the cipher suites seen most; others as 0xNNNN. */
const CIPHERS: Readonly<Record<number, string>> = {
  0x1301: "TLS_AES_128_GCM_SHA256",
  0x1302: "TLS_AES_256_GCM_SHA384",
  0x1303: "TLS_CHACHA20_POLY1305_SHA256",
  0xc02b: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  0xc02c: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  0xc02f: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  0xc030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  0xcca8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  0xcca9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  0xc013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
  0xc014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
  0x009c: "TLS_RSA_WITH_AES_128_GCM_SHA256",
  0x009d: "TLS_RSA_WITH_AES_256_GCM_SHA384",
  0x002f: "TLS_RSA_WITH_AES_128_CBC_SHA",
  0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
};

export function tlsVersionName(version: number): string {
  return VERSIONS[version] ?? `0x${version.toString(16).padStart(4, "0")}`;
}

export function cipherSuiteName(suite: number): string {
  return CIPHERS[suite] ?? `0x${suite.toString(16).padStart(4, "0")}`;
}

/** ALPN protocol names in the extension body `[at, end)`, joined by ",". */
function alpnList(b: Uint8Array, at: number, end: number): string {
  if (at + 2 > end) return "";
  const stop = Math.min(end, at + 2 + u16(b, at));
  let names = "";
  for (let i = at + 2; i < stop;) {
    const n = b[i]!;
    if (n === 0 || i + 1 + n > stop) break;
    names += (names === "" ? "" : ",") + ascii(b, i + 1, i + 1 + n);
    i += 1 + n;
  }
  return names;
}

/** What a Hello's extensions tell; one object reused by the session. */
interface HelloInfo {
  sni: string;
  alpn: string;
  /** supported_versions: the highest offered (ClientHello) or the chosen one (ServerHello). */
  version: number;
}

/** Reads the extensions block at `at` (2-byte length first) up to `end`; false if malformed. */
function readExtensions(
  b: Uint8Array,
  at: number,
  end: number,
  client: boolean,
  out: HelloInfo,
): boolean {
  out.sni = out.alpn = "";
  out.version = 0;
  if (at === end) return true; // no extensions (TLS ≤ 1.2 may omit them)
  if (at + 2 > end) return false;
  const stop = at + 2 + u16(b, at);
  if (stop > end) return false;
  for (let i = at + 2; i + 4 <= stop;) {
    const type = u16(b, i);
    const len = u16(b, i + 2);
    const body = i + 4;
    if (body + len > stop) return false;
    if (type === EXT_SNI && client && len >= 5) {
      // server_name_list: length, then (type 0 = host_name, length, name).
      const nameLen = u16(b, body + 3);
      if (b[body + 2] === 0 && body + 5 + nameLen <= body + len) {
        out.sni = ascii(b, body + 5, body + 5 + nameLen);
      }
    } else if (type === EXT_ALPN) {
      out.alpn = alpnList(b, body, body + len);
    } else if (type === EXT_SUPPORTED_VERSIONS) {
      if (client) {
        const n = b[body]!;
        for (let k = body + 1; k + 2 <= body + 1 + n && k + 2 <= body + len; k += 2) {
          const v = u16(b, k);
          // GREASE values (0x?a?a) are not versions.
          if ((v & 0x0f0f) !== 0x0a0a && v > out.version && v <= 0x0304) out.version = v;
        }
      } else if (len === 2) out.version = u16(b, body);
    }
    i = body + len;
  }
  return true;
}

class TlsSession implements ParserSession {
  readonly #hello: HelloInfo = { sni: "", alpn: "", version: 0 };

  parse(payload: Payload, direction: Direction, sink: RequestSink): number {
    const { bytes: b, start, end } = payload;
    if (end - start < 5) return NEED_MORE;
    const type = b[start]!;
    const length = u16(b, start + 3);
    if (type < 20 || type > 24 || b[start + 1] !== 3 || length > MAX_RECORD) return MALFORMED;
    const size = 5 + length;
    // Only a record holding a Hello is needed whole; the rest are skipped as they come.
    const hello = type === HANDSHAKE && end - start > 5 &&
      (b[start + 5] === CLIENT_HELLO || b[start + 5] === SERVER_HELLO);
    if (!hello) {
      if (type === ALERT && end - start >= 7 && direction === Direction.ToClient) {
        const r = sink.peek();
        // A fatal alert before the ServerHello ends the handshake: the server refused.
        if (r !== undefined && r.responseCode === null && b[start + 5] === 2) {
          const answered = sink.response()!;
          answered.responseCode = b[start + 6]!;
          answered.responseStatus = ResponseStatus.ServerError;
          answered.responseException = `alert ${b[start + 6]}`;
        }
      }
      return size;
    }
    if (end - start < size) return NEED_MORE;
    const body = start + 5;
    const hsEnd = Math.min(start + size, body + 4 + ((b[body + 1]! << 16) | u16(b, body + 2)));
    if (b[body] === CLIENT_HELLO && direction === Direction.ToServer) {
      return this.#clientHello(b, body + 4, hsEnd, sink, size) ? size : MALFORMED;
    }
    if (b[body] === SERVER_HELLO && direction === Direction.ToClient) {
      return this.#serverHello(b, body + 4, hsEnd, sink, size) ? size : MALFORMED;
    }
    return size;
  }

  #clientHello(b: Uint8Array, at: number, end: number, sink: RequestSink, size: number) {
    // legacy_version(2) random(32) session_id<1> cipher_suites<2> compression<1> extensions<2>
    if (at + 35 > end) return false;
    const legacy = u16(b, at);
    let i = at + 34;
    i += 1 + b[i]!;
    if (i + 2 > end) return false;
    i += 2 + u16(b, i);
    if (i + 1 > end) return false;
    i += 1 + b[i]!;
    if (i > end) return false;
    const hello = this.#hello;
    if (!readExtensions(b, i, end, true, hello)) return false;
    const r = sink.request();
    r.requestType = "ClientHello";
    r.requestDomain = hello.sni;
    r.requestResource = hello.alpn;
    r.endpoint = hello.sni;
    r.version = tlsVersionName(hello.version || legacy);
    r.isTls = 1;
    r.requestLength = size;
    return true;
  }

  #serverHello(b: Uint8Array, at: number, end: number, sink: RequestSink, size: number) {
    // legacy_version(2) random(32) session_id<1> cipher_suite(2) compression(1) extensions<2>
    if (at + 35 > end) return false;
    const legacy = u16(b, at);
    let i = at + 34;
    i += 1 + b[i]!;
    if (i + 3 > end) return false;
    const suite = u16(b, i);
    i += 3;
    const hello = this.#hello;
    if (!readExtensions(b, i, end, false, hello)) return false;
    const r = sink.response();
    if (r === undefined) return true;
    r.version = tlsVersionName(hello.version || legacy);
    r.responseResult = cipherSuiteName(suite);
    r.responseLength = size;
    return true;
  }
}

/** A handshake record holding a ClientHello (to the server) or ServerHello (to the client). */
function checkTls(payload: Payload, direction: Direction): boolean {
  const { bytes: b, start, end } = payload;
  if (end - start < 11 || b[start] !== HANDSHAKE || b[start + 1] !== 3 || b[start + 2]! > 4) {
    return false;
  }
  const length = u16(b, start + 3);
  const hsLength = (b[start + 6]! << 16) | u16(b, start + 7);
  const wanted = direction === Direction.ToServer ? CLIENT_HELLO : SERVER_HELLO;
  return b[start + 5] === wanted && length <= MAX_RECORD && hsLength + 4 <= length &&
    b[start + 9] === 3;
}

export const tls: L7Parser = {
  protocol: L7Protocol.Tls,
  name: "tls",
  ports: [443, 8443, 993, 995, 465, 636, 853],
  tcp: true,
  udp: false,
  check: (payload, direction) => checkTls(payload, direction),
  session: () => new TlsSession(),
};
