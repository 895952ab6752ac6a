/**
 * The NAT scenario of the generator: the same TCP connections seen at two capture points on
 * either side of a middlebox that does source NAT and load balancing. Clients talk to a virtual
 * IP; the middlebox rewrites the client's address and port to its own (SNAT) and the virtual IP
 * to one of the real servers (LB). The outside capture point sits on the client side (`c`), the
 * inside one on the server side (`s`); a classic pcap holds no capture point, so the scenario
 * writes one file per point and says which capture point and observation point each stands for.
 *
 * By default sequence numbers cross the middlebox unchanged (what SNAT/DNAT and L4 LBs do);
 * with `randomizeSeq` the middlebox shifts both sides' sequence spaces by per-connection offsets
 * (firewall "TCP sequence randomization", or a proxying LB), so no ISN seen inside matches outside.
 * The first connection's first request is lost between the outside point and the middlebox:
 * outside it is sent twice (a retransmission), inside only once.
 */
import type { FlowRecord } from "../../appliance/wire/mod.ts";
import { type Host, internetChecksum, makeHost, writePcap } from "./_frames.ts";
import { httpExchange } from "./_content.ts";
import {
  Conversation,
  type GeneratedPacket,
  httpConnection,
  Random,
  TcpConnection,
} from "./_traffic.ts";

/** One side's addresses of a connection. */
export interface NatTuple {
  ip0: string;
  clientPort: number;
  ip1: string;
  serverPort: number;
}

export interface NatConnection {
  outside: NatTuple;
  inside: NatTuple;
  /** Client ISN as each side saw it (equal unless `randomizeSeq`). */
  outsideSynSeq: number;
  insideSynSeq: number;
  /** Start of the connection, µs since the epoch. */
  startUs: number;
}

export interface NatCapturePoint {
  /** The file's role. */
  name: "outside" | "inside";
  /** The capture point (`capture_nic`) the file's flows belong to. */
  captureNic: number;
  observationPoint: "c" | "s";
  pcap: Uint8Array;
}

export interface NatScenarioOptions {
  /** Capture start, ms since the epoch (default 2026-01-01T00:00:00Z). */
  start?: number;
  /** Connections (default 6); they overlap in time. */
  connections?: number;
  seed?: number;
  randomizeSeq?: boolean;
}

export interface NatScenario {
  points: [NatCapturePoint, NatCapturePoint];
  connections: NatConnection[];
  /** µs the middlebox adds each way: inside sees client packets later, server packets earlier. */
  middleboxDelayUs: number;
}

export const NAT_VIP = "203.0.113.10";
export const NAT_SNAT_IP = "10.9.0.1";
export const NAT_REAL_SERVERS = ["10.9.1.11", "10.9.1.12"] as const;
export const NAT_VIP_PORT = 443;
export const NAT_REAL_PORT = 8443;
const DELAY_US = 250;

interface Rewrite {
  client: Host;
  server: Host;
  clientPort: number;
  serverPort: number;
  /** Added to the client's (server's) sequence numbers and to the acks of them. */
  clientSeqOffset: number;
  serverSeqOffset: number;
}

/** A copy of an IPv4/TCP frame with new addresses, ports and client sequence space. */
function rewriteFrame(frame: Uint8Array, fromClient: boolean, r: Rewrite): Uint8Array {
  const out = frame.slice();
  const view = new DataView(out.buffer);
  const ipLength = view.getUint16(16);
  const tcpAt = 34;
  const tcpLength = ipLength - 20;
  const src = fromClient ? r.client : r.server;
  const dst = fromClient ? r.server : r.client;
  out.set(dst.mac, 0);
  out.set(src.mac, 6);
  out.set(src.ip, 26);
  out.set(dst.ip, 30);
  view.setUint16(24, 0);
  view.setUint16(24, internetChecksum(out.subarray(14, 34)));
  view.setUint16(tcpAt, fromClient ? r.clientPort : r.serverPort);
  view.setUint16(tcpAt + 2, fromClient ? r.serverPort : r.clientPort);
  const own = fromClient ? r.clientSeqOffset : r.serverSeqOffset;
  const peer = fromClient ? r.serverSeqOffset : r.clientSeqOffset;
  view.setUint32(tcpAt + 4, (view.getUint32(tcpAt + 4) + own) >>> 0);
  if (out[tcpAt + 13]! & 0x10) {
    view.setUint32(tcpAt + 8, (view.getUint32(tcpAt + 8) + peer) >>> 0);
  }
  view.setUint16(tcpAt + 16, 0);
  const pseudo = new Uint8Array(12);
  pseudo.set(src.ip, 0);
  pseudo.set(dst.ip, 4);
  pseudo[9] = 6;
  pseudo[10] = tcpLength >> 8;
  pseudo[11] = tcpLength & 0xff;
  view.setUint16(tcpAt + 16, internetChecksum(pseudo, out.subarray(tcpAt, tcpAt + tcpLength)));
  return out;
}

function clientSeqOf(frame: Uint8Array): { seq: number; payload: number; fromPort: number } {
  const view = new DataView(frame.buffer, frame.byteOffset);
  const ipLength = view.getUint16(16);
  const dataOffset = (frame[46]! >> 4) * 4;
  return {
    seq: view.getUint32(38),
    payload: ipLength - 20 - dataOffset,
    fromPort: view.getUint16(34),
  };
}

/** Builds both capture files of the NAT scenario; the same options give the same bytes. */
export function generateNatScenario(options: NatScenarioOptions = {}): NatScenario {
  const rng = new Random(options.seed ?? 0x5a7);
  const startUs = (options.start ?? Date.UTC(2026, 0, 1)) * 1000;
  const count = options.connections ?? 6;
  const vip = makeHost(NAT_VIP, 3_000);
  const snat = makeHost(NAT_SNAT_IP, 5_000);
  const reals = NAT_REAL_SERVERS.map((ip, i) => makeHost(ip, 7_000 + i * 1000));
  const outsidePackets: GeneratedPacket[] = [];
  const insidePackets: GeneratedPacket[] = [];
  const connections: NatConnection[] = [];
  const tally = {
    httpRequests: 0,
    httpResponses: {},
    dnsQueries: 0,
    dnsResponses: 0,
    nxdomain: 0,
    retransmissions: 0,
    resets: 0,
  };

  for (let i = 0; i < count; i++) {
    const client = makeHost(`198.51.100.${10 + (i % 3)}`, 100 + i);
    const clientPort = 50_000 + i * 7;
    // Overlapping connections, 1.5 s apart: timing alone cannot tell them apart for sure.
    const begin = startUs + 1_000_000 + i * 1_500_000;
    const packets: GeneratedPacket[] = [];
    const conv = new Conversation(packets, client, vip, clientPort, NAT_VIP_PORT, 6, begin);
    const tcp = new TcpConnection(conv, rng, 1460);
    const exchanges = Array.from(
      { length: 1 + (i % 3) },
      (_, k) => httpExchange(rng, "api", "api.example.com", begin / 1000 + k * 100, false),
    );
    httpConnection(tcp, rng, tally, {
      exchanges,
      close: "client-fin",
      retransmit: i === 0,
      rttUs: 2_000 + i * 500,
    });
    const rewrite: Rewrite = {
      client: snat,
      server: reals[i % reals.length]!,
      clientPort: 20_000 + i,
      serverPort: NAT_REAL_PORT,
      clientSeqOffset: options.randomizeSeq ? rng.int(1, 0xfffffffe) : 0,
      serverSeqOffset: options.randomizeSeq ? rng.int(1, 0xfffffffe) : 0,
    };
    // A client segment sent again later (same seq, with data) was lost before the middlebox:
    // the inside point sees only the resend.
    const lost = new Set<number>();
    const seen = new Map<number, number>();
    packets.forEach((p, index) => {
      const s = clientSeqOf(p.frame);
      if (s.fromPort !== clientPort || s.payload === 0) return;
      const earlier = seen.get(s.seq);
      if (earlier !== undefined) lost.add(earlier);
      else seen.set(s.seq, index);
    });
    packets.forEach((p, index) => {
      outsidePackets.push({ ...p, order: outsidePackets.length });
      if (lost.has(index)) return;
      const fromClient = clientSeqOf(p.frame).fromPort === clientPort;
      insidePackets.push({
        timeUs: p.timeUs + (fromClient ? DELAY_US : -DELAY_US),
        frame: rewriteFrame(p.frame, fromClient, rewrite),
        order: insidePackets.length,
      });
    });
    connections.push({
      outside: { ip0: client.text, clientPort, ip1: vip.text, serverPort: NAT_VIP_PORT },
      inside: {
        ip0: snat.text,
        clientPort: rewrite.clientPort,
        ip1: rewrite.server.text,
        serverPort: NAT_REAL_PORT,
      },
      outsideSynSeq: tcp.isn(true),
      insideSynSeq: (tcp.isn(true) + rewrite.clientSeqOffset) >>> 0,
      startUs: begin,
    });
  }
  const sorted = (list: GeneratedPacket[]) =>
    list.sort((a, b) => a.timeUs - b.timeUs || a.order - b.order);
  return {
    points: [
      {
        name: "outside",
        captureNic: 1,
        observationPoint: "c",
        pcap: writePcap(sorted(outsidePackets)),
      },
      {
        name: "inside",
        captureNic: 2,
        observationPoint: "s",
        pcap: writePcap(sorted(insidePackets)),
      },
    ],
    connections,
    middleboxDelayUs: DELAY_US,
  };
}

/** The records of `point` tagged with its capture point (what an appliance reports for it). */
export function tagRecords(records: FlowRecord[], point: NatCapturePoint): FlowRecord[] {
  return records.map((r) => ({
    ...r,
    captureNic: point.captureNic,
    observationPoint: point.observationPoint,
  }));
}
