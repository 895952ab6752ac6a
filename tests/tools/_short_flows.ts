/**
 * Many short flows for load and reliability tests (`gen_pcap.ts --short-flows`): each flow is
 * 2 or 3 packets (UDP request/response, TCP SYN/SYN-ACK/RST or a refused SYN/RST), IPv4, with a
 * 5-tuple of its own, so the appliance sees exactly `flows` flows (a flow still live at a
 * minute's end, e.g. in its UDP timeout, has a record in each minute). Built straight into the capture without payload parsing, so that
 * 200,000 flows take a second or two.
 */
import {
  type Host,
  ipFrame,
  makeHost,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
  tcpSegment,
  udpDatagram,
  writePcap,
} from "./_frames.ts";
import { type GeneratedPacket, Random } from "./_traffic.ts";

export interface ShortFlowsOptions {
  flows: number;
  seed?: number;
  /** Capture start, ms since the epoch. */
  start: number;
  /** Span over which flows start, seconds. */
  durationS: number;
}

export interface ShortFlowsSummary {
  packets: number;
  bytes: number;
  flows: number;
  tcpFlows: number;
  udpFlows: number;
  firstUs: number;
  lastUs: number;
}

/** Clients per capture; a flow's 5-tuple is unique through (client, client port). */
const CLIENTS = 8_192;
const FIRST_CLIENT_PORT = 10_000;
const UDP_SERVICES = [53, 123, 514];
const TCP_SERVICES = [80, 443, 22, 5432];
const payload = (rng: Random, min: number, max: number) =>
  new Uint8Array(rng.int(min, max)).fill(0x61);

/** The capture and its summary; the same options give the same bytes. */
export function generateShortFlows(
  options: ShortFlowsOptions,
): { bytes: Uint8Array; summary: ShortFlowsSummary } {
  const { flows } = options;
  if (flows > CLIENTS * (65_536 - FIRST_CLIENT_PORT)) {
    throw new RangeError(`short flows: at most ${CLIENTS * (65_536 - FIRST_CLIENT_PORT)} flows`);
  }
  const rng = new Random(options.seed ?? 1);
  const startUs = options.start * 1000;
  const spanUs = Math.max(1, options.durationS * 1e6 - 1e6);
  const clients = new Array<Host>(Math.min(flows, CLIENTS));
  for (let c = 0; c < clients.length; c++) {
    clients[c] = makeHost(`10.64.${c >> 6}.${(c & 63) + 2}`, rng.int(1, 60_000));
  }
  const servers = Array.from({ length: 8 }, (_, s) => makeHost(`10.65.0.${s + 1}`, 1_000 * s));
  const packets: GeneratedPacket[] = [];
  let order = 0;
  let tcpFlows = 0;
  const add = (timeUs: number, frame: Uint8Array) =>
    packets.push({ timeUs, frame, order: order++ });
  for (let i = 0; i < flows; i++) {
    const client = clients[i % CLIENTS]!;
    const server = rng.pick(servers);
    const port = FIRST_CLIENT_PORT + Math.floor(i / CLIENTS);
    let t = startUs + Math.floor((i * spanUs) / Math.max(1, flows)) + rng.int(0, 500);
    const kind = rng.next();
    if (kind < 0.5) {
      const service = rng.pick(UDP_SERVICES);
      add(
        t,
        ipFrame(
          client,
          server,
          17,
          udpDatagram(client, server, port, service, payload(rng, 20, 120)),
        ),
      );
      const answers = kind < 0.4 ? 1 : 2;
      for (let k = 0; k < answers; k++) {
        t += rng.int(50, 900);
        add(
          t,
          ipFrame(
            server,
            client,
            17,
            udpDatagram(server, client, service, port, payload(rng, 40, 400)),
          ),
        );
      }
    } else {
      tcpFlows++;
      const service = rng.pick(TCP_SERVICES);
      const isn = rng.int(0, 0xffff_fffe);
      const syn = {
        srcPort: port,
        dstPort: service,
        seq: isn,
        ack: 0,
        flags: TCP_SYN,
        window: 64_240,
      };
      add(t, ipFrame(client, server, 6, tcpSegment(client, server, syn)));
      t += rng.int(50, 900);
      if (kind < 0.8) {
        const serverIsn = rng.int(0, 0xffff_fffe);
        add(
          t,
          ipFrame(
            server,
            client,
            6,
            tcpSegment(server, client, {
              srcPort: service,
              dstPort: port,
              seq: serverIsn,
              ack: isn + 1,
              flags: TCP_SYN | TCP_ACK,
              window: 65_160,
            }),
          ),
        );
        t += rng.int(50, 900);
        add(
          t,
          ipFrame(
            client,
            server,
            6,
            tcpSegment(client, server, {
              srcPort: port,
              dstPort: service,
              seq: isn + 1,
              ack: 0,
              flags: TCP_RST,
              window: 0,
            }),
          ),
        );
      } else {
        // Refused: nothing listens on the port.
        add(
          t,
          ipFrame(
            server,
            client,
            6,
            tcpSegment(server, client, {
              srcPort: service,
              dstPort: port,
              seq: 0,
              ack: isn + 1,
              flags: TCP_RST | TCP_ACK,
              window: 0,
            }),
          ),
        );
      }
    }
  }
  packets.sort((a, b) => a.timeUs - b.timeUs || a.order - b.order);
  const summary: ShortFlowsSummary = {
    packets: packets.length,
    bytes: packets.reduce((sum, p) => sum + p.frame.length, 0),
    flows,
    tcpFlows,
    udpFlows: flows - tcpFlows,
    firstUs: packets[0]?.timeUs ?? startUs,
    lastUs: packets[packets.length - 1]?.timeUs ?? startUs,
  };
  return { bytes: writePcap(packets), summary };
}
