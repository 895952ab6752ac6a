/**
 * Crafted TCP flows for the generator's `--scenarios`: one flow per way a connection can go
 * (every close type of DESIGN §7, retransmissions, zero windows, keep-alives, a flow spanning
 * several minutes, a long idle gap), each with its timing fixed, so tests can name the flow and
 * assert its exact counters. They start 1 s after the capture start and end about 7 minutes in.
 */
import { CloseType } from "../../appliance/wire/mod.ts";
import { type Host, makeHost, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from "./_frames.ts";
import { Conversation, type GeneratedPacket, Random, TcpConnection } from "./_traffic.ts";

export interface ScenarioFlow {
  /** Scenario name; a scenario with several flows numbers them (`port-reuse#2`). */
  name: string;
  conversation: Conversation;
  /** The close type the scenario is built to end with when its timeout passes in the capture. */
  closeType: number;
}

const SECOND = 1_000_000;
const SERVER = makeHost("10.4.0.80", 7_000);
const encoder = new TextEncoder();

function request(name: string, extra = 0): Uint8Array {
  return encoder.encode(
    `GET /scenario/${name}?pad=${"p".repeat(extra)} HTTP/1.1\r\nHost: scenarios.example\r\n` +
      `Accept: */*\r\n\r\n`,
  );
}

function response(size: number): Uint8Array {
  const body = "tapline scenario data\n".repeat(Math.ceil(size / 22)).slice(0, size);
  return encoder.encode(
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
}

/** One scripted connection: helpers over {@link TcpConnection} with fixed delays. */
class Script {
  readonly conv: Conversation;
  readonly tcp: TcpConnection;

  constructor(
    packets: GeneratedPacket[],
    rng: Random,
    client: Host,
    clientPort: number,
    startUs: number,
    from?: TcpConnection,
  ) {
    this.conv = new Conversation(packets, client, SERVER, clientPort, 80, 6, startUs);
    this.tcp = new TcpConnection(this.conv, rng, 1460, from);
  }

  wait(us: number): this {
    this.conv.wait(us);
    return this;
  }

  syn(resend = false): this {
    this.tcp.send(true, TCP_SYN, undefined, resend ? { seq: this.tcp.isn(true) } : {});
    return this;
  }

  synAck(resend = false): this {
    this.tcp.send(false, TCP_SYN | TCP_ACK, undefined, resend ? { seq: this.tcp.isn(false) } : {});
    return this;
  }

  /** SYN, SYN-ACK after 800 µs, the client's ACK 200 µs later. */
  handshake(): this {
    this.syn().wait(800).synAck().wait(200);
    this.tcp.handshakeAck();
    return this;
  }

  /** The client's request; returns its sequence number. */
  request(name: string, extra = 0): number {
    this.conv.wait(300);
    return this.tcp.send(true, TCP_PSH | TCP_ACK, request(name, extra));
  }

  /** The server's response in MSS-sized segments, 2 ms after the request, then the client ACK. */
  respond(size: number): this {
    const bytes = response(size);
    this.conv.wait(2_000);
    for (let at = 0; at < bytes.length; at += 1460) {
      if (at > 0) this.conv.wait(60);
      const last = at + 1460 >= bytes.length;
      this.tcp.send(false, last ? TCP_PSH | TCP_ACK : TCP_ACK, bytes.subarray(at, at + 1460));
    }
    this.conv.wait(100);
    this.tcp.send(true, TCP_ACK);
    return this;
  }

  /** Client FIN, server FIN, last ACK: a normal close. */
  closeNormally(): void {
    this.conv.wait(500);
    this.tcp.send(true, TCP_FIN | TCP_ACK);
    this.conv.wait(900);
    this.tcp.send(false, TCP_FIN | TCP_ACK);
    this.conv.wait(150);
    this.tcp.send(true, TCP_ACK);
    this.conv.expected.end = { kind: "over", closeType: CloseType.Normal };
  }

  reset(fromClient: boolean, closeType: number): void {
    this.conv.wait(400);
    this.tcp.send(fromClient, TCP_RST | TCP_ACK);
    this.conv.expected.end = { kind: "over", closeType };
  }

  /** Leaves the flow open in a state that times out with `closeType` after `timeout`. */
  idle(timeout: "tcpOpening" | "tcpEstablished" | "tcpClosing", closeType: number): void {
    this.conv.expected.end = { kind: "idle", timeout, closeType };
  }
}

/** Adds the scenario flows to `packets`, starting at `startUs`; returns them by name. */
export function addScenarios(packets: GeneratedPacket[], startUs: number): ScenarioFlow[] {
  const rng = new Random(0x5ce);
  const flows: ScenarioFlow[] = [];
  let clients = 0;
  const script = (name: string, atS: number, closeType: number, from?: Script) => {
    const client = from?.conv.client ?? makeHost(`10.3.0.${10 + clients}`, 100 + clients);
    const port = from?.conv.clientPort ?? 41_000 + clients;
    if (from === undefined) clients++;
    const s = new Script(packets, rng, client, port, startUs + atS * SECOND, from?.tcp);
    flows.push({ name, conversation: s.conv, closeType });
    return s;
  };

  // Normal: the server ACKs the request before answering (an SRT sample), then a 3-segment reply.
  const normal = script("normal", 1, CloseType.Normal);
  normal.handshake().request("normal");
  normal.wait(150).tcp.send(false, TCP_ACK);
  normal.respond(3_500).closeNormally();

  const serverRst = script("server-rst", 3, CloseType.ServerRst);
  serverRst.handshake().request("server-rst");
  serverRst.reset(false, CloseType.ServerRst);

  const clientRst = script("client-rst", 5, CloseType.ClientRst);
  clientRst.handshake().request("client-rst");
  clientRst.respond(800).reset(true, CloseType.ClientRst);

  const timeout = script("timeout", 7, CloseType.Timeout);
  timeout.handshake().request("timeout");
  timeout.respond(500).idle("tcpEstablished", CloseType.Timeout);

  // The client's SYN twice more (RTO 1 s, then 2 s), never answered.
  const synRepeat = script("client-syn-repeat", 9, CloseType.ClientSynRepeat);
  synRepeat.syn().wait(SECOND).syn(true).wait(2 * SECOND).syn(true);
  synRepeat.idle("tcpOpening", CloseType.ClientSynRepeat);

  const serverHalf = script("server-half-close", 11, CloseType.ServerHalfClose);
  serverHalf.handshake().request("server-half-close");
  serverHalf.respond(600).wait(500).tcp.send(true, TCP_FIN | TCP_ACK);
  serverHalf.wait(700).tcp.send(false, TCP_ACK);
  serverHalf.idle("tcpClosing", CloseType.ServerHalfClose);

  const synAckRepeat = script("server-synack-repeat", 13, CloseType.ServerSynRepeat);
  synAckRepeat.syn().wait(800).synAck().wait(SECOND).synAck(true).wait(2 * SECOND).synAck(true);
  synAckRepeat.idle("tcpOpening", CloseType.ServerSynRepeat);

  const clientHalf = script("client-half-close", 15, CloseType.ClientHalfClose);
  clientHalf.handshake().request("client-half-close");
  clientHalf.respond(600).wait(300).tcp.send(false, TCP_FIN | TCP_ACK);
  clientHalf.wait(200).tcp.send(true, TCP_ACK);
  clientHalf.idle("tcpClosing", CloseType.ClientHalfClose);

  // The same client port three times: a normal connection; a SYN the server answers with a
  // bare ACK (it still holds the old connection), reset by the client; a clean retry.
  const reuse1 = script("port-reuse#1", 17, CloseType.Normal);
  reuse1.handshake().request("port-reuse");
  reuse1.respond(400).closeNormally();
  const reuse2 = script("port-reuse#2", 18, CloseType.ClientPortReuse, reuse1);
  reuse2.tcp.restart(rng);
  reuse2.syn().wait(700).tcp.send(false, TCP_ACK);
  reuse2.reset(true, CloseType.ClientPortReuse);
  const reuse3 = script("port-reuse#3", 19, CloseType.Normal, reuse2);
  reuse3.tcp.restart(rng);
  reuse3.handshake().request("port-reuse");
  reuse3.respond(400).closeNormally();

  const directRst = script("server-direct-rst", 21, CloseType.ServerDirectRst);
  directRst.syn().reset(false, CloseType.ServerDirectRst);

  // The server keeps resending its SYN-ACK after the handshake ACK: it dropped the ACK because
  // its accept queue was full; the client resends its request; the server gives up with an RST.
  const queue = script("server-queue-overflow", 23, CloseType.ServerQueueOverflow);
  queue.handshake();
  const seq = queue.request("server-queue-overflow");
  queue.wait(200_000).synAck(true);
  queue.wait(200_000).tcp.send(true, TCP_PSH | TCP_ACK, request("server-queue-overflow"), { seq });
  queue.wait(400_000).synAck(true);
  queue.reset(false, CloseType.ServerQueueOverflow);

  const clientOther = script("client-other-rst", 25, CloseType.ClientOtherRst);
  clientOther.syn().wait(SECOND).syn(true);
  clientOther.reset(true, CloseType.ClientOtherRst);

  const serverOther = script("server-other-rst", 27, CloseType.ServerOtherRst);
  serverOther.syn().wait(800).synAck().wait(SECOND);
  serverOther.reset(false, CloseType.ServerOtherRst);

  const healthCheck = script("health-check", 29, CloseType.NormalClientRst);
  healthCheck.handshake().reset(true, CloseType.NormalClientRst);

  // The client's receive window fills (zero window), reopens; later the server's does too.
  const zero = script("zero-window", 31, CloseType.Normal);
  zero.handshake().request("zero-window");
  zero.wait(2_000).tcp.send(false, TCP_ACK, response(2_900).subarray(0, 1460));
  zero.wait(60).tcp.send(false, TCP_ACK, response(2_900).subarray(1460, 2920));
  zero.wait(100).tcp.send(true, TCP_ACK, undefined, { window: 0 });
  zero.wait(250_000).tcp.send(true, TCP_ACK);
  zero.wait(500).tcp.send(false, TCP_PSH | TCP_ACK, response(2_900).subarray(2920));
  zero.wait(100).tcp.send(true, TCP_ACK);
  zero.request("zero-window-2");
  zero.wait(400).tcp.send(false, TCP_ACK, undefined, { window: 0 });
  zero.wait(300_000).tcp.send(false, TCP_ACK);
  zero.respond(300).closeNormally();

  // Ten exchanges 20 s apart (about 3.5 minutes): a resent request, a resent response segment,
  // keep-alives both ways.
  const long = script("long-flow", 40, CloseType.Normal);
  long.handshake();
  for (let i = 0; i < 10; i++) {
    if (i > 0) long.wait(20 * SECOND);
    const sent = long.request("long-flow", i * 10);
    if (i === 3) {
      long.wait(300_000).tcp.send(true, TCP_PSH | TCP_ACK, request("long-flow", 30), { seq: sent });
    }
    if (i === 6) {
      long.wait(2_000);
      const first = long.tcp.send(false, TCP_ACK, response(1_800).subarray(0, 1460));
      long.wait(200_000).tcp.send(false, TCP_ACK, response(1_800).subarray(0, 1460), {
        seq: first,
      });
      long.wait(60).tcp.send(false, TCP_PSH | TCP_ACK, response(1_800).subarray(1460));
      long.wait(100).tcp.send(true, TCP_ACK);
    } else {
      long.respond(1_000 + 100 * i);
    }
    if (i === 4) long.wait(10 * SECOND).tcp.keepalive(true, false);
    if (i === 7) long.wait(10 * SECOND).tcp.keepalive(false, true);
  }
  long.closeNormally();

  // Idle for longer than the established timeout, then the client speaks again: the first flow
  // timed out, and the rest is a new flow first seen mid-stream.
  const idle = script("idle-resume#1", 60, CloseType.Timeout);
  idle.handshake().request("idle-resume");
  idle.respond(700).idle("tcpEstablished", CloseType.Timeout);
  const resumed = script("idle-resume#2", 400, CloseType.Normal, idle);
  resumed.request("idle-resume-again");
  resumed.respond(700).closeNormally();

  // Still open when the scenarios end: reported as Force Report unless the capture runs on
  // past its established timeout.
  const open = script("live-at-end", 420, CloseType.Timeout);
  open.handshake().request("live-at-end");
  open.respond(900).idle("tcpEstablished", CloseType.Timeout);
  return flows;
}
