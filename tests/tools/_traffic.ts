/** Conversations for the traffic generator: TCP/HTTP and UDP/DNS, with the flows they make. */
import {
  type Host,
  ipFrame,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  tcpSegment,
  udpDatagram,
} from "./_frames.ts";

/** Seeded generator: an LCG state stepped per draw, output through murmur3's finalizer. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = (seed ^ 0x5bd1e995) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (Math.imul(this.#state, 1_664_525) + 1_013_904_223) >>> 0;
    let h = this.#state;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return (h >>> 0) / 4_294_967_296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** What the appliance should report for one generated flow (a FlowRecord without its id). */
export interface ExpectedFlow {
  startTime: number;
  endTime: number;
  ipVersion: number;
  ip0: string;
  ip1: string;
  clientPort: number;
  serverPort: number;
  protocol: number;
  vlan: number;
  packetTx: number;
  packetRx: number;
  byteTx: number;
  byteRx: number;
  tcpFlagsBit0: number;
  tcpFlagsBit1: number;
}

export interface Tally {
  httpRequests: number;
  httpResponses: Record<string, number>;
  dnsQueries: number;
  dnsResponses: number;
  nxdomain: number;
  retransmissions: number;
  resets: number;
}

export interface GeneratedPacket {
  timeUs: number;
  frame: Uint8Array;
  /** Generation order, to keep equal timestamps stable. */
  order: number;
}

/** One flow's packets, counted into its expected record as they are made. */
export class Conversation {
  readonly expected: ExpectedFlow;
  time: number;

  constructor(
    readonly sink: GeneratedPacket[],
    readonly client: Host,
    readonly server: Host,
    clientPort: number,
    serverPort: number,
    protocol: number,
    startUs: number,
  ) {
    this.time = startUs;
    this.expected = {
      startTime: startUs,
      endTime: startUs,
      ipVersion: client.version,
      ip0: client.text,
      ip1: server.text,
      clientPort,
      serverPort,
      protocol,
      vlan: 0,
      packetTx: 0,
      packetRx: 0,
      byteTx: 0,
      byteRx: 0,
      tcpFlagsBit0: 0,
      tcpFlagsBit1: 0,
    };
  }

  wait(us: number): void {
    this.time += Math.max(1, Math.round(us));
  }

  emit(fromClient: boolean, frame: Uint8Array, tcpFlags = 0): void {
    const e = this.expected;
    this.sink.push({ timeUs: this.time, frame, order: this.sink.length });
    e.endTime = this.time;
    if (fromClient) {
      e.packetTx++;
      e.byteTx += frame.length;
      e.tcpFlagsBit0 |= tcpFlags;
    } else {
      e.packetRx++;
      e.byteRx += frame.length;
      e.tcpFlagsBit1 |= tcpFlags;
    }
  }
}

const SYN_OPTIONS = (mss: number) =>
  new Uint8Array([2, 4, mss >> 8, mss & 0xff, 1, 1, 4, 2, 1, 3, 3, 7]);

/** A TCP connection on top of a conversation: sequence numbers and segments. */
export class TcpConnection {
  #clientSeq: number;
  #serverSeq: number;

  constructor(readonly conv: Conversation, rng: Random, readonly mss: number) {
    this.#clientSeq = rng.int(0, 0xffffffff);
    this.#serverSeq = rng.int(0, 0xffffffff);
  }

  /** Sends a segment; returns its sequence number. */
  send(fromClient: boolean, flags: number, payload?: Uint8Array, seq?: number): number {
    const { client, server, expected } = this.conv;
    const from = fromClient ? client : server;
    const to = fromClient ? server : client;
    const ownSeq = seq ?? (fromClient ? this.#clientSeq : this.#serverSeq);
    const segment = tcpSegment(from, to, {
      srcPort: fromClient ? expected.clientPort : expected.serverPort,
      dstPort: fromClient ? expected.serverPort : expected.clientPort,
      seq: ownSeq,
      ack: fromClient ? this.#serverSeq : this.#clientSeq,
      flags,
      // Windows are scaled by 2^7 (the SYN's WS option) once the handshake is done.
      window: flags & TCP_SYN ? (fromClient ? 64_240 : 65_160) : (fromClient ? 502 : 509),
      options: flags & TCP_SYN ? SYN_OPTIONS(this.mss) : undefined,
      payload,
    });
    this.conv.emit(fromClient, ipFrame(from, to, 6, segment), flags);
    if (seq === undefined) {
      const advance = (payload?.length ?? 0) + (flags & TCP_SYN ? 1 : 0) +
        (flags & TCP_FIN ? 1 : 0);
      if (fromClient) this.#clientSeq = (this.#clientSeq + advance) >>> 0;
      else this.#serverSeq = (this.#serverSeq + advance) >>> 0;
    }
    return ownSeq;
  }
}

export interface HttpExchange {
  request: Uint8Array;
  response: Uint8Array;
  status: number;
}

export type CloseStyle = "client-fin" | "server-fin" | "client-rst";

/**
 * A whole HTTP/1.1 connection: handshake, the exchanges (each response cut into MSS-sized
 * segments and ACKed every second segment), then the close.
 */
export function httpConnection(
  tcp: TcpConnection,
  rng: Random,
  tally: Tally,
  plan: { exchanges: HttpExchange[]; close: CloseStyle; retransmit: boolean; rttUs: number },
): void {
  const conv = tcp.conv;
  const rtt = plan.rttUs;
  tcp.send(true, TCP_SYN);
  conv.wait(rtt);
  tcp.send(false, TCP_SYN | TCP_ACK);
  conv.wait(rng.int(30, 300));
  tcp.send(true, TCP_ACK);
  plan.exchanges.forEach((exchange, index) => {
    conv.wait(rng.int(100, 2_000));
    const seq = tcp.send(true, TCP_PSH | TCP_ACK, exchange.request);
    tally.httpRequests++;
    if (plan.retransmit && index === 0) {
      // The request got no answer within the initial RTO: resent with the same sequence number.
      conv.wait(rng.int(200_000, 300_000));
      tcp.send(true, TCP_PSH | TCP_ACK, exchange.request, seq);
      tally.retransmissions++;
    }
    conv.wait(rtt + rng.int(1_000, 40_000));
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < exchange.response.length; at += tcp.mss) {
      chunks.push(exchange.response.subarray(at, at + tcp.mss));
    }
    chunks.forEach((chunk, i) => {
      if (i > 0) conv.wait(rng.int(10, 120));
      const last = i === chunks.length - 1;
      tcp.send(false, last ? TCP_PSH | TCP_ACK : TCP_ACK, chunk);
      if (i % 2 === 1 && !last) {
        conv.wait(rng.int(20, 80));
        tcp.send(true, TCP_ACK);
      }
    });
    tally.httpResponses[exchange.status] = (tally.httpResponses[exchange.status] ?? 0) + 1;
    if (plan.close === "server-fin" && index === plan.exchanges.length - 1) {
      conv.wait(rng.int(20, 200));
      tcp.send(false, TCP_FIN | TCP_ACK);
    }
    conv.wait(rng.int(40, 400));
    tcp.send(true, TCP_ACK);
    if (index < plan.exchanges.length - 1) conv.wait(rng.int(5_000, 400_000));
  });
  conv.wait(rng.int(1_000, 50_000));
  if (plan.close === "client-rst") {
    tcp.send(true, TCP_RST | TCP_ACK);
    tally.resets++;
  } else if (plan.close === "client-fin") {
    tcp.send(true, TCP_FIN | TCP_ACK);
    conv.wait(rtt);
    tcp.send(false, TCP_FIN | TCP_ACK);
    conv.wait(rng.int(30, 300));
    tcp.send(true, TCP_ACK);
  } else {
    tcp.send(true, TCP_FIN | TCP_ACK);
    conv.wait(rtt);
    tcp.send(false, TCP_ACK);
  }
}

function encodeName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split(".")) {
    out.push(label.length, ...new TextEncoder().encode(label));
  }
  out.push(0);
  return out;
}

function u16(value: number): number[] {
  return [value >> 8, value & 0xff];
}

function u32(value: number): number[] {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

export interface DnsQuestion {
  name: string;
  /** 1 (A) or 28 (AAAA). */
  type: number;
  /** Addresses to answer with (4 or 16 bytes each); none and `nxdomain` for a missing name. */
  answers: Uint8Array[];
  nxdomain: boolean;
}

/** RFC 1035 query and response over UDP 53 (answers point back at the question's name). */
export function dnsExchange(
  conv: Conversation,
  rng: Random,
  tally: Tally,
  question: DnsQuestion,
): void {
  const { client, server, expected } = conv;
  const id = rng.int(0, 0xffff);
  const q = [...encodeName(question.name), ...u16(question.type), ...u16(1)];
  const query = new Uint8Array([...u16(id), ...u16(0x0100), ...u16(1), 0, 0, 0, 0, 0, 0, ...q]);
  conv.emit(
    true,
    ipFrame(client, server, 17, udpDatagram(client, server, expected.clientPort, 53, query)),
  );
  tally.dnsQueries++;
  conv.wait(rng.int(300, 30_000));
  const body: number[] = [];
  for (const address of question.answers) {
    body.push(0xc0, 12, ...u16(question.type), ...u16(1), ...u32(rng.int(30, 3_600)));
    body.push(...u16(address.length), ...address);
  }
  if (question.nxdomain) {
    // The authority section carries the zone's SOA, whose minimum TTL bounds negative caching.
    const zone = question.name.split(".").slice(-2).join(".");
    const soa = [
      ...encodeName(`ns1.${zone}`),
      ...encodeName(`hostmaster.${zone}`),
      ...u32(2026010101),
      ...u32(7200),
      ...u32(900),
      ...u32(1_209_600),
      ...u32(300),
    ];
    body.push(...encodeName(zone), ...u16(6), ...u16(1), ...u32(300), ...u16(soa.length), ...soa);
  }
  const flags = 0x8180 | (question.nxdomain ? 3 : 0);
  const answerCount = question.answers.length;
  const response = new Uint8Array([
    ...u16(id),
    ...u16(flags),
    ...u16(1),
    ...u16(answerCount),
    ...u16(question.nxdomain ? 1 : 0),
    0,
    0,
    ...q,
    ...body,
  ]);
  conv.emit(
    false,
    ipFrame(server, client, 17, udpDatagram(server, client, 53, expected.clientPort, response)),
  );
  tally.dnsResponses++;
  if (question.nxdomain) tally.nxdomain++;
}
