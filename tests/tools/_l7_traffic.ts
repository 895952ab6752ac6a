/**
 * An application-heavy capture for the L7 bench and tests (`gen_pcap.ts --l7`): many short
 * requests per flow, so that parsing — not packet handling — dominates. HTTP/1.1 keep-alive
 * connections (5–20 exchanges each, small JSON answers), MySQL connections (greeting, login,
 * then 5–20 COM_QUERY with OK / ERR / small result sets) and DNS over UDP (1–4 queries per
 * client port, some NXDOMAIN). It knows how many requests of each protocol it made.
 */
import {
  type Host,
  ipFrame,
  makeHost,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_SYN,
  tcpSegment,
  udpDatagram,
  writePcap,
} from "./_frames.ts";
import { Random } from "./_traffic.ts";

export interface L7TrafficOptions {
  /** Connections (HTTP, MySQL and DNS client ports, in about equal parts); default 1000. */
  connections?: number;
  seed?: number;
  /** Capture start, µs since the epoch (default 2026-01-01T00:00:00Z). */
  startUs?: number;
}

export interface L7TrafficSummary {
  packets: number;
  bytes: number;
  flows: number;
  /** Requests made per protocol (each one answered). */
  requests: { http: number; mysql: number; dns: number };
  /** Answers that are errors: HTTP ≥ 400, MySQL ERR, DNS NXDOMAIN. */
  errors: { http: number; mysql: number; dns: number };
}

interface Packet {
  timeUs: number;
  frame: Uint8Array;
  order: number;
}

const encoder = new TextEncoder();
const PATHS = ["/api/v1/items", "/api/v1/orders", "/api/v1/users/42", "/health", "/"];
const TABLES = ["orders", "users", "items", "payments"];
const NAMES = ["www.example.com", "api.example.com", "cdn.example.net", "db.internal.example"];

/** Sequence numbers of one TCP connection, putting its segments on the wire. */
class Tcp {
  #seq: [number, number];
  time: number;

  constructor(
    readonly sink: Packet[],
    readonly client: Host,
    readonly server: Host,
    readonly clientPort: number,
    readonly serverPort: number,
    rng: Random,
    startUs: number,
  ) {
    this.#seq = [rng.int(0, 0xffffffff), rng.int(0, 0xffffffff)];
    this.time = startUs;
  }

  send(fromClient: boolean, flags: number, payload?: Uint8Array): void {
    const i = fromClient ? 0 : 1;
    const from = fromClient ? this.client : this.server;
    const to = fromClient ? this.server : this.client;
    const segment = tcpSegment(from, to, {
      srcPort: fromClient ? this.clientPort : this.serverPort,
      dstPort: fromClient ? this.serverPort : this.clientPort,
      seq: this.#seq[i],
      ack: this.#seq[1 - i]!,
      flags,
      window: 502,
      payload,
    });
    this.sink.push({ timeUs: this.time, frame: ipFrame(from, to, 6, segment), order: 0 });
    const advance = (payload?.length ?? 0) + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0);
    this.#seq[i] = (this.#seq[i] + advance) >>> 0;
  }

  open(rng: Random): void {
    this.send(true, TCP_SYN);
    this.time += rng.int(100, 2_000);
    this.send(false, TCP_SYN | TCP_ACK);
    this.time += rng.int(20, 200);
    this.send(true, TCP_ACK);
  }

  close(rng: Random): void {
    this.time += rng.int(100, 5_000);
    this.send(true, TCP_FIN | TCP_ACK);
    this.time += rng.int(50, 500);
    this.send(false, TCP_FIN | TCP_ACK);
    this.time += rng.int(20, 200);
    this.send(true, TCP_ACK);
  }

  /** A request and its answer, the client ACKing the answer. */
  exchange(rng: Random, request: Uint8Array, answer: Uint8Array): void {
    this.time += rng.int(50, 3_000);
    this.send(true, TCP_PSH | TCP_ACK, request);
    this.time += rng.int(100, 20_000);
    this.send(false, TCP_PSH | TCP_ACK, answer);
    this.time += rng.int(20, 200);
    this.send(true, TCP_ACK);
  }
}

function httpRequest(rng: Random, path: string): Uint8Array {
  const post = rng.next() < 0.3;
  const body = post ? `{"item":${rng.int(1, 9999)},"quantity":${rng.int(1, 5)}}` : "";
  const trace = rng.int(0, 0xffffffff).toString(16).padStart(8, "0");
  return encoder.encode(
    `${post ? "POST" : "GET"} ${path} HTTP/1.1\r\nHost: api.example.com\r\n` +
      `User-Agent: tapline-bench/1.0\r\nAccept: application/json\r\n` +
      `traceparent: 00-${trace.repeat(4)}-${trace.repeat(2)}-01\r\n` +
      (post ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : "") +
      `\r\n${body}`,
  );
}

function httpResponse(rng: Random, status: number): Uint8Array {
  const body = JSON.stringify({ id: rng.int(1, 1e6), ok: status < 400, n: rng.int(0, 99) });
  return encoder.encode(
    `HTTP/1.1 ${status} ${status === 200 ? "OK" : status === 404 ? "Not Found" : "Error"}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
      `Connection: keep-alive\r\n\r\n${body}`,
  );
}

/** A MySQL packet: 3-byte length, sequence id, body. */
function mysqlPacket(seqId: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = body.length & 0xff;
  out[1] = (body.length >> 8) & 0xff;
  out[2] = body.length >> 16;
  out[3] = seqId;
  out.set(body, 4);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function mysqlGreeting(): Uint8Array {
  const body = [0x0a, ...encoder.encode("10.11.6-MariaDB"), 0, 7, 0, 0, 0];
  body.push(...encoder.encode("abcdefgh"), 0, 0xfe, 0xf7, 0x2d, 0x02, 0, 0xff, 0x81, 0x15);
  body.push(...new Array(10).fill(0), ...encoder.encode("ijklmnopqrst"), 0);
  body.push(...encoder.encode("mysql_native_password"), 0);
  return mysqlPacket(0, new Uint8Array(body));
}

function mysqlLogin(): Uint8Array {
  const body = [0x0d, 0xa6, 0x0f, 0, 0, 0, 0, 1, 0x2d, ...new Array(23).fill(0)];
  body.push(...encoder.encode("app"), 0, 0, ...encoder.encode("shop"), 0);
  return mysqlPacket(1, new Uint8Array(body));
}

const MYSQL_OK = (seqId: number, rows: number) =>
  mysqlPacket(seqId, new Uint8Array([0, rows, 0, 2, 0, 0, 0]));

/** A one-column result set of `rows` short text rows. */
function mysqlResultSet(rng: Random, rows: number): Uint8Array {
  const parts = [mysqlPacket(1, new Uint8Array([1]))];
  const column = [3, ...encoder.encode("def"), 4, ...encoder.encode("shop"), 1, 116, 1, 116];
  column.push(2, 105, 100, 2, 105, 100, 0x0c, 0x3f, 0, 11, 0, 0, 0, 3, 0, 0, 0, 0, 0);
  parts.push(mysqlPacket(2, new Uint8Array(column)));
  let seqId = 3;
  for (let i = 0; i < rows; i++) {
    const value = encoder.encode(String(rng.int(1, 99999)));
    parts.push(mysqlPacket(seqId++, new Uint8Array([value.length, ...value])));
  }
  parts.push(mysqlPacket(seqId, new Uint8Array([0xfe, 0, 0, 2, 0])));
  return concat(parts);
}

function mysqlError(): Uint8Array {
  const message = encoder.encode("Table 'shop.nope' doesn't exist");
  return mysqlPacket(
    1,
    new Uint8Array([0xff, 0x7a, 0x04, 35, ...encoder.encode("42S02"), ...message]),
  );
}

function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split(".")) out.push(label.length, ...encoder.encode(label));
  out.push(0);
  return out;
}

/** Makes the capture: a classic pcap (Ethernet) and what it holds. */
export function generateL7Traffic(
  options: L7TrafficOptions = {},
): { bytes: Uint8Array; summary: L7TrafficSummary } {
  const rng = new Random(options.seed ?? 1);
  const connections = options.connections ?? 1000;
  const startUs = options.startUs ?? Date.UTC(2026, 0, 1) * 1000;
  const spanUs = 60_000_000;
  const clients = Array.from({ length: 50 }, (_, i) => makeHost(`10.2.${i >> 4}.${10 + i}`));
  const web = makeHost("10.3.0.80");
  const db = makeHost("10.3.0.33");
  const resolver = makeHost("10.3.0.53");
  const packets: Packet[] = [];
  const requests = { http: 0, mysql: 0, dns: 0 };
  const errors = { http: 0, mysql: 0, dns: 0 };
  let nextPort = 20_000;
  for (let c = 0; c < connections; c++) {
    const client = rng.pick(clients);
    const port = nextPort++;
    if (nextPort > 65_000) nextPort = 20_000;
    const begin = startUs + Math.floor(rng.next() * spanUs);
    const kind = c % 3;
    if (kind === 0) {
      const tcp = new Tcp(packets, client, web, port, 80, rng, begin);
      tcp.open(rng);
      for (let k = rng.int(5, 20); k > 0; k--) {
        const path = rng.pick(PATHS);
        const status = path === "/" ? 404 : rng.next() < 0.05 ? 500 : 200;
        tcp.exchange(rng, httpRequest(rng, path), httpResponse(rng, status));
        requests.http++;
        if (status >= 400) errors.http++;
      }
      tcp.close(rng);
    } else if (kind === 1) {
      const tcp = new Tcp(packets, client, db, port, 3306, rng, begin);
      tcp.open(rng);
      tcp.time += rng.int(50, 500);
      tcp.send(false, TCP_PSH | TCP_ACK, mysqlGreeting());
      tcp.exchange(rng, mysqlLogin(), MYSQL_OK(2, 0));
      for (let k = rng.int(5, 20); k > 0; k--) {
        const table = rng.pick(TABLES);
        const roll = rng.next();
        let sql: string;
        let answer: Uint8Array;
        if (roll < 0.6) {
          sql = `SELECT id FROM ${table} WHERE id = ${rng.int(1, 99999)}`;
          answer = mysqlResultSet(rng, rng.int(1, 3));
        } else if (roll < 0.95) {
          sql = `UPDATE ${table} SET seen = 1 WHERE id = ${rng.int(1, 99999)}`;
          answer = MYSQL_OK(1, 1);
        } else {
          sql = `SELECT * FROM nope WHERE id = ${rng.int(1, 99)}`;
          answer = mysqlError();
          errors.mysql++;
        }
        const query = mysqlPacket(0, new Uint8Array([3, ...encoder.encode(sql)]));
        tcp.exchange(rng, query, answer);
        requests.mysql++;
      }
      tcp.time += rng.int(50, 500);
      tcp.send(true, TCP_PSH | TCP_ACK, mysqlPacket(0, new Uint8Array([1])));
      tcp.close(rng);
    } else {
      let time = begin;
      for (let k = rng.int(1, 4); k > 0; k--) {
        const id = rng.int(0, 0xffff);
        const nxdomain = rng.next() < 0.1;
        const q = [...dnsName(nxdomain ? "nope.example.org" : rng.pick(NAMES)), 0, 1, 0, 1];
        const query = new Uint8Array([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...q]);
        const answers = nxdomain
          ? []
          : [0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 93, 184, 1, rng.int(1, 254)];
        const flags = nxdomain ? 0x83 : 0x80;
        const response = new Uint8Array([
          id >> 8,
          id & 0xff,
          0x81,
          flags,
          0,
          1,
          0,
          nxdomain ? 0 : 1,
          0,
          0,
          0,
          0,
          ...q,
          ...answers,
        ]);
        const out = udpDatagram(client, resolver, port, 53, query);
        packets.push({ timeUs: time, frame: ipFrame(client, resolver, 17, out), order: 0 });
        time += rng.int(200, 20_000);
        const back = udpDatagram(resolver, client, 53, port, response);
        packets.push({ timeUs: time, frame: ipFrame(resolver, client, 17, back), order: 0 });
        time += rng.int(1_000, 100_000);
        requests.dns++;
        if (nxdomain) errors.dns++;
      }
    }
  }
  packets.forEach((p, i) => p.order = i);
  packets.sort((a, b) => a.timeUs - b.timeUs || a.order - b.order);
  return {
    bytes: writePcap(packets),
    summary: {
      packets: packets.length,
      bytes: packets.reduce((n, p) => n + p.frame.length, 0),
      flows: connections,
      requests,
      errors,
    },
  };
}
