/** Conversations for the traffic generator: TCP/HTTP and UDP/DNS, with the flows they make. */
import { CloseType } from "../../appliance/wire/mod.ts";
import { FlowExpectation } from "./_expect.ts";
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

/** One flow's packets, noted into its expectation as they are made. */
export class Conversation {
  readonly expected: FlowExpectation;
  time: number;

  constructor(
    readonly sink: GeneratedPacket[],
    readonly client: Host,
    readonly server: Host,
    readonly clientPort: number,
    readonly serverPort: number,
    readonly protocol: number,
    startUs: number,
  ) {
    this.time = startUs;
    this.expected = new FlowExpectation({
      ipVersion: client.version,
      ip0: client.text,
      ip1: server.text,
      clientPort,
      serverPort,
      protocol,
    });
  }

  wait(us: number): void {
    this.time += Math.max(1, Math.round(us));
  }

  /**
   * Puts a frame on the wire now. `segment` is the IP payload (the L3 bytes); `payload` the
   * application bytes in it (the L4 bytes).
   */
  emit(
    fromClient: boolean,
    frame: Uint8Array,
    sizes: { segment: number; payload: number; tcpFlags?: number },
  ): void {
    const order = this.sink.length;
    this.sink.push({ timeUs: this.time, frame, order });
    this.expected.packet(this.time, order, fromClient, {
      frame: frame.length,
      l3: sizes.segment,
      l4: sizes.payload,
      tcpFlags: sizes.tcpFlags ?? 0,
    });
  }
}

const SYN_OPTIONS = (mss: number) =>
  new Uint8Array([2, 4, mss >> 8, mss & 0xff, 1, 1, 4, 2, 1, 3, 3, 7]);

export interface SegmentOptions {
  /** Resend at this sequence number (a retransmission, or a repeated SYN / SYN-ACK). */
  seq?: number;
  /** Advertised window (default: what the side normally advertises). */
  window?: number;
}

/**
 * A TCP connection on top of a conversation: sequence numbers and segments. It notes what each
 * segment means for the flow metrics as it sends it (the generator knows what it makes): SYN and
 * SYN-ACK counts and repeats, handshake timing, retransmissions (an explicit `seq`), zero
 * windows, SRT (client data → the server's pure ACK) and ART (client data → server data).
 */
export class TcpConnection {
  #clientSeq: number;
  #serverSeq: number;
  #clientIsn = 0;
  #serverIsn = 0;
  /** The last payload byte each side sent: what a one-byte keep-alive repeats. */
  readonly #lastByte = new Uint8Array(2);
  #synTime = 0;
  #synAckTime = 0;
  #clientDataTime = 0;
  #srtPending = false;
  #artPending = false;

  /** `from`: go on with that connection's sequence numbers (the same connection, a new flow). */
  constructor(
    readonly conv: Conversation,
    rng: Random,
    readonly mss: number,
    from?: TcpConnection,
  ) {
    if (from === undefined) {
      this.#clientSeq = rng.int(0, 0xffffffff);
      this.#serverSeq = rng.int(0, 0xffffffff);
    } else {
      this.#clientSeq = from.#clientSeq;
      this.#serverSeq = from.#serverSeq;
    }
  }

  /** New initial sequence numbers, for a new connection on the same ports. */
  restart(rng: Random): void {
    this.#clientSeq = rng.int(0, 0xffffffff);
    this.#serverSeq = rng.int(0, 0xffffffff);
  }

  /** The sequence number a side's SYN (SYN-ACK) carried. */
  isn(fromClient: boolean): number {
    return fromClient ? this.#clientIsn : this.#serverIsn;
  }

  /** Sends a segment; returns its sequence number. */
  send(fromClient: boolean, flags: number, payload?: Uint8Array, options: SegmentOptions = {}) {
    const { client, server, clientPort, serverPort, expected } = this.conv;
    const from = fromClient ? client : server;
    const to = fromClient ? server : client;
    const resent = options.seq !== undefined;
    const ownSeq = options.seq ?? (fromClient ? this.#clientSeq : this.#serverSeq);
    // Windows are scaled by 2^7 (the SYN's WS option) once the handshake is done.
    const window = options.window ??
      (flags & TCP_SYN ? (fromClient ? 64_240 : 65_160) : (fromClient ? 502 : 509));
    const segment = tcpSegment(from, to, {
      srcPort: fromClient ? clientPort : serverPort,
      dstPort: fromClient ? serverPort : clientPort,
      seq: ownSeq,
      ack: fromClient ? this.#serverSeq : this.#clientSeq,
      flags,
      window,
      options: flags & TCP_SYN ? SYN_OPTIONS(this.mss) : undefined,
      payload,
    });
    const length = payload?.length ?? 0;
    if (flags & TCP_SYN && !resent) {
      if (fromClient) expected.set({ synSeq: this.#clientIsn = ownSeq });
      else expected.set({ synAckSeq: this.#serverIsn = ownSeq });
    }
    this.#note(fromClient, flags, length, resent, window);
    this.conv.emit(fromClient, ipFrame(from, to, 6, segment), {
      segment: segment.length,
      payload: length,
      tcpFlags: flags,
    });
    if (length > 0 && !resent) this.#lastByte[fromClient ? 0 : 1] = payload![length - 1]!;
    if (!resent) {
      const advance = length + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
      if (fromClient) this.#clientSeq = (this.#clientSeq + advance) >>> 0;
      else this.#serverSeq = (this.#serverSeq + advance) >>> 0;
    }
    return ownSeq;
  }

  /** The client's ACK that completes the handshake. */
  handshakeAck(): void {
    const t = this.conv.time;
    this.conv.expected.rttClient(t, t - this.#synAckTime);
    this.send(true, TCP_ACK);
  }

  /** A keep-alive probe (RFC 9293 §3.8.4): one below the next sequence number, 0 or 1 byte. */
  keepalive(fromClient: boolean, withByte: boolean): void {
    const { client, server, clientPort, serverPort, expected } = this.conv;
    const from = fromClient ? client : server;
    const to = fromClient ? server : client;
    const seq = ((fromClient ? this.#clientSeq : this.#serverSeq) - 1) >>> 0;
    const ack = fromClient ? this.#serverSeq : this.#clientSeq;
    const payload = withByte
      ? this.#lastByte.subarray(fromClient ? 0 : 1, fromClient ? 1 : 2)
      : undefined;
    const segment = tcpSegment(from, to, {
      srcPort: fromClient ? clientPort : serverPort,
      dstPort: fromClient ? serverPort : clientPort,
      seq,
      ack,
      flags: TCP_ACK,
      window: fromClient ? 502 : 509,
      payload,
    });
    expected.set({ lastKeepaliveSeq: seq, lastKeepaliveAck: ack });
    this.conv.emit(fromClient, ipFrame(from, to, 6, segment), {
      segment: segment.length,
      payload: withByte ? 1 : 0,
      tcpFlags: TCP_ACK,
    });
  }

  #note(fromClient: boolean, flags: number, length: number, resent: boolean, window: number) {
    const expected = this.conv.expected;
    const t = this.conv.time;
    const c = expected.at(t);
    if (flags & TCP_SYN) {
      if (fromClient && !(flags & TCP_ACK)) {
        c.synCount++;
        if (resent) c.retransSyn++, c.retransTx++;
        else this.#synTime = t;
      } else if (!fromClient && flags & TCP_ACK) {
        c.synackCount++;
        if (resent) c.retransSynack++, c.retransRx++;
        else {
          if (this.#synTime > 0) expected.rttServer(t, t - this.#synTime);
          this.#synAckTime = t;
        }
      }
      return;
    }
    if (flags & TCP_RST) return;
    const fin = (flags & TCP_FIN) !== 0;
    if (resent && (length > 0 || fin)) {
      if (fromClient) c.retransTx++;
      else c.retransRx++;
    }
    if (window === 0 && !fin) {
      if (fromClient) c.zeroWinTx++;
      else c.zeroWinRx++;
    }
    if (fromClient) {
      if (length > 0) {
        this.#clientDataTime = t;
        this.#srtPending = this.#artPending = true;
      }
    } else if (length > 0) {
      if (this.#artPending && !resent) expected.art(t, t - this.#clientDataTime);
      this.#srtPending = this.#artPending = false;
    } else if (this.#srtPending && !fin && flags & TCP_ACK) {
      expected.srt(t, t - this.#clientDataTime);
      this.#srtPending = false;
    }
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
  tcp.handshakeAck();
  plan.exchanges.forEach((exchange, index) => {
    conv.wait(rng.int(100, 2_000));
    const seq = tcp.send(true, TCP_PSH | TCP_ACK, exchange.request);
    tally.httpRequests++;
    if (plan.retransmit && index === 0) {
      // The request got no answer within the initial RTO: resent with the same sequence number.
      conv.wait(rng.int(200_000, 300_000));
      tcp.send(true, TCP_PSH | TCP_ACK, exchange.request, { seq });
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
    conv.expected.end = { kind: "over", closeType: CloseType.ClientRst };
    return;
  }
  conv.expected.end = { kind: "over", closeType: CloseType.Normal };
  if (plan.close === "client-fin") {
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
  const { client, server, clientPort } = conv;
  const id = rng.int(0, 0xffff);
  const q = [...encodeName(question.name), ...u16(question.type), ...u16(1)];
  const query = new Uint8Array([...u16(id), ...u16(0x0100), ...u16(1), 0, 0, 0, 0, 0, 0, ...q]);
  const request = udpDatagram(client, server, clientPort, 53, query);
  conv.emit(true, ipFrame(client, server, 17, request), {
    segment: request.length,
    payload: query.length,
  });
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
  const answer = udpDatagram(server, client, 53, clientPort, response);
  conv.emit(false, ipFrame(server, client, 17, answer), {
    segment: answer.length,
    payload: response.length,
  });
  conv.expected.end = { kind: "idle", timeout: "udp", closeType: CloseType.Timeout };
  tally.dnsResponses++;
  if (question.nxdomain) tally.nxdomain++;
}
