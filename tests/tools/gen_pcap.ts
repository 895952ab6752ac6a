/**
 * Deterministic traffic generator: a classic pcap (Ethernet, µs) of HTTP/1.1 over TCP and DNS
 * over UDP, IPv4 and some IPv6, with correct checksums, and a summary of what it holds (down to
 * the flow-log records the appliance should report). `--scenarios` adds crafted TCP flows, one per
 * close type and TCP anomaly (`_scenarios.ts`). `--nat` writes instead the NAT scenario's two files
 * (`_nat.ts`: the same connections outside and inside a SNAT + load balancer).
 *
 *     deno run -A tests/tools/gen_pcap.ts --out demo.pcap --flows 200 --start 2026-01-01T00:00:00Z
 *     deno run -A tests/tools/gen_pcap.ts --nat --out nat.pcap   # nat-outside.pcap, nat-inside.pcap
 */
import { parseArgs } from "node:util";
import type { FlowRecord } from "../../appliance/wire/mod.ts";
import { arpFrame, type Host, makeHost, writePcap } from "./_frames.ts";
import { DNS_NAMES, httpExchange, NXDOMAIN_NAMES } from "./_content.ts";
import { addScenarios } from "./_scenarios.ts";
import { generateNatScenario } from "./_nat.ts";
import { generateL7Traffic } from "./_l7_traffic.ts";
import { generateShortFlows } from "./_short_flows.ts";
import {
  type CloseStyle,
  Conversation,
  dnsExchange,
  type GeneratedPacket,
  httpConnection,
  Random,
  type Tally,
  TcpConnection,
} from "./_traffic.ts";

export interface GenerateOptions {
  /** Flows to generate (default 100). */
  flows?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Capture start, ms since the epoch (default 2026-01-01T00:00:00Z). */
  start?: number;
  /** Span over which flows start, seconds (default 600). */
  durationS?: number;
  /** Add the crafted scenario flows (`_scenarios.ts`), from 1 s after the start. */
  scenarios?: boolean;
}

/** One crafted flow of `--scenarios`, as the summary lists it. */
export interface ScenarioSummary {
  name: string;
  flowId: number;
  ip0: string;
  clientPort: number;
  /** The close type its last record carries in this capture. */
  closeType: number;
  records: number;
}

export interface CaptureSummary extends Tally {
  packets: number;
  /** Sum of frame lengths. */
  bytes: number;
  flows: number;
  tcpFlows: number;
  udpFlows: number;
  ipv6Flows: number;
  /** ARP frames: packets that are not IP. */
  arpPackets: number;
  firstUs: number;
  lastUs: number;
  /** Flow-log records the appliance should report (flow ids in order of first packet), by start time then flow id. */
  expected: FlowRecord[];
  /** The scenario flows made (empty without `scenarios`). */
  scenarios: ScenarioSummary[];
}

export const DEFAULT_START_MS = Date.UTC(2026, 0, 1);

interface Site {
  kind: "www" | "api";
  name: string;
  port: number;
  host: Host;
}

/** Builds the capture and its summary; the same options give the same bytes. */
export function generate(
  options: GenerateOptions = {},
): { bytes: Uint8Array; summary: CaptureSummary } {
  const flows = options.flows ?? 100;
  const rng = new Random(options.seed ?? 1);
  const startUs = (options.start ?? DEFAULT_START_MS) * 1000;
  const spanUs = Math.max(1, (options.durationS ?? 600) * 1e6 - 5e6);
  const clients4 = Array.from(
    { length: 24 },
    (_, i) => makeHost(`10.1.0.${10 + i}`, rng.int(1, 60_000)),
  );
  const clients6 = Array.from(
    { length: 6 },
    (_, i) => makeHost(`fd00:0:0:1::${(16 + i).toString(16)}`),
  );
  const sites4: Site[] = [
    { kind: "www", name: "www.example.com", port: 80, host: makeHost("10.0.0.80", 4_000) },
    { kind: "api", name: "api.example.com", port: 8080, host: makeHost("10.0.0.81", 9_000) },
  ];
  const sites6: Site[] = [
    { kind: "www", name: "www.example.com", port: 80, host: makeHost("fd00::80") },
  ];
  const resolver4 = makeHost("10.0.0.53", 20_000);
  const resolver6 = makeHost("fd00::53");
  const usedPorts = new Map<Host, Set<number>>();
  const ephemeralPort = (client: Host): number => {
    const used = usedPorts.get(client) ?? new Set<number>();
    usedPorts.set(client, used);
    let port: number;
    do port = rng.int(32_768, 60_999); while (used.has(port));
    used.add(port);
    return port;
  };

  const packets: GeneratedPacket[] = [];
  const tally: Tally = {
    httpRequests: 0,
    httpResponses: {},
    dnsQueries: 0,
    dnsResponses: 0,
    nxdomain: 0,
    retransmissions: 0,
    resets: 0,
  };
  const gateway = makeHost("10.1.0.1");
  packets.push({ timeUs: startUs, frame: arpFrame(clients4[0]!, gateway, false), order: -2 });
  packets.push({ timeUs: startUs + 120, frame: arpFrame(gateway, clients4[0]!, true), order: -1 });

  const conversations: Conversation[] = [];
  let httpCount = 0;
  let dnsCount = 0;
  for (let i = 0; i < flows; i++) {
    const begin = startUs + 1_000 + Math.floor(rng.next() * spanUs);
    const v6 = rng.next() < 0.15;
    const client = v6 ? rng.pick(clients6) : rng.pick(clients4);
    if (i % 3 !== 2) {
      const site = v6 ? sites6[0]! : rng.pick(sites4);
      const conv = new Conversation(
        packets,
        client,
        site.host,
        ephemeralPort(client),
        site.port,
        6,
        begin,
      );
      const closes: CloseStyle[] = ["client-fin", "client-fin", "server-fin"];
      const close = httpCount % 5 === 3 ? "client-rst" : rng.pick(closes);
      const exchanges = Array.from(
        { length: rng.int(1, 3) },
        (_, k) => httpExchange(rng, site.kind, site.name, begin / 1000 + k * 100, false),
      );
      if (close === "server-fin") {
        const last = exchanges.length - 1;
        exchanges[last] = httpExchange(rng, site.kind, site.name, begin / 1000 + last * 100, true);
      }
      const tcp = new TcpConnection(conv, rng, v6 ? 1440 : 1460);
      httpConnection(tcp, rng, tally, {
        exchanges,
        close,
        retransmit: httpCount % 7 === 4,
        rttUs: rng.int(300, 40_000),
      });
      httpCount++;
      conversations.push(conv);
    } else {
      const resolver = v6 ? resolver6 : resolver4;
      const conv = new Conversation(
        packets,
        client,
        resolver,
        ephemeralPort(client),
        53,
        17,
        begin,
      );
      const nxdomain = dnsCount % 6 === 5;
      const type = v6 || rng.next() < 0.2 ? 28 : 1;
      const answers = nxdomain
        ? []
        : Array.from({ length: rng.int(1, 2) }, () =>
          type === 1
            ? new Uint8Array([93, 184, rng.int(0, 255), rng.int(1, 254)])
            : new Uint8Array([
              0x20,
              0x01,
              0x0d,
              0xb8,
              0,
              rng.int(0, 255),
              0,
              0,
              0,
              0,
              0,
              0,
              0,
              0,
              0,
              rng.int(1, 254),
            ]));
      const name = nxdomain ? rng.pick(NXDOMAIN_NAMES) : rng.pick(DNS_NAMES);
      dnsExchange(conv, rng, tally, { name, type, answers, nxdomain });
      dnsCount++;
      conversations.push(conv);
    }
  }
  const scenarioFlows = options.scenarios ? addScenarios(packets, startUs + 1_000_000) : [];
  for (const scenario of scenarioFlows) conversations.push(scenario.conversation);
  packets.sort((a, b) => a.timeUs - b.timeUs || a.order - b.order);
  // The appliance numbers flows as their first packets arrive; its clock ends at the last one.
  const flowsInOrder = conversations.map((c) => c.expected).sort((a, b) =>
    a.firstTime - b.firstTime || a.firstOrder - b.firstOrder
  );
  const captureEnd = flowsInOrder.reduce((end, f) => Math.max(end, f.lastTime), 0);
  const recordsOf = new Map(flowsInOrder.map((f, i) => [f, f.records(i + 1, captureEnd)]));
  const expected = [...recordsOf.values()].flat().sort((a, b) =>
    a.startTime - b.startTime || a.flowId - b.flowId
  );
  const flowList = flowsInOrder.map((f) => f.key);
  const summary: CaptureSummary = {
    ...tally,
    packets: packets.length,
    bytes: packets.reduce((sum, p) => sum + p.frame.length, 0),
    flows: flowList.length,
    tcpFlows: flowList.filter((f) => f.protocol === 6).length,
    udpFlows: flowList.filter((f) => f.protocol === 17).length,
    ipv6Flows: flowList.filter((f) => f.ipVersion === 6).length,
    arpPackets: 2,
    firstUs: packets[0]?.timeUs ?? startUs,
    lastUs: packets[packets.length - 1]?.timeUs ?? startUs,
    expected,
    scenarios: scenarioFlows.map(({ name, conversation }) => {
      const records = recordsOf.get(conversation.expected)!;
      const last = records[records.length - 1]!;
      return {
        name,
        flowId: last.flowId,
        ip0: last.ip0,
        clientPort: last.clientPort,
        closeType: last.closeType,
        records: records.length,
      };
    }),
  };
  return { bytes: writePcap(packets), summary };
}

/** The capture bytes alone. */
export function generateCapture(options: GenerateOptions = {}): Uint8Array {
  return generate(options).bytes;
}

const USAGE = `Usage: deno run -A tests/tools/gen_pcap.ts --out FILE [options]

Writes a deterministic classic pcap of HTTP/1.1 and DNS traffic and prints a JSON summary.

Options:
  --out FILE        where to write the capture (required)
  --flows N         number of flows (default 100)
  --seed S          PRNG seed (default 1)
  --start T         capture start: ISO 8601 time or ms since the epoch (default 2026-01-01T00:00:00Z)
  --duration-s N    seconds over which flows start (default 600)
  --scenarios       add crafted TCP flows: every close type, retransmissions, zero windows,
                    keep-alives, a flow over several minutes, a long idle gap (about 7 minutes
                    from the start; the summary lists them with their close types)
  --nat             write the NAT scenario instead: the same TCP connections captured outside
                    (client side) and inside (server side) a SNAT + load balancer, as
                    FILE-outside.pcap and FILE-inside.pcap (FILE without .pcap); --flows is the
                    number of connections (default 6); the summary lists both tuples of each
  --randomize-seq   with --nat: the middlebox randomizes TCP sequence numbers (no ISN matches)
  --l7              write the L7 bench's capture instead: --flows connections (default 1000) of
                    HTTP keep-alive, MySQL and DNS with many short requests each (_l7_traffic.ts)
  --short-flows     instead: --flows N short IPv4 flows of 2-3 packets (UDP request/response,
                    TCP SYN/SYN-ACK/RST or refused), each its own 5-tuple, fast to generate
                    (200,000 flows in seconds)
  -h, --help        this text`;

function parseStart(text: string): number | undefined {
  const value = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(value) ? value : undefined;
}

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        out: { type: "string" },
        flows: { type: "string" },
        seed: { type: "string" },
        start: { type: "string" },
        "duration-s": { type: "string" },
        scenarios: { type: "boolean" },
        nat: { type: "boolean" },
        "randomize-seq": { type: "boolean" },
        l7: { type: "boolean" },
        "short-flows": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`gen_pcap: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const problems: string[] = [];
  const integer = (name: string, text: string | undefined, min: number) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) {
      problems.push(`--${name}: expected an integer ≥ ${min}`);
    }
    return value;
  };
  const flows = integer("flows", values.flows, 0);
  const seed = integer("seed", values.seed, 0);
  const durationS = integer("duration-s", values["duration-s"], 10);
  const start = values.start === undefined ? undefined : parseStart(values.start);
  if (values.start !== undefined && start === undefined) {
    problems.push("--start: expected an ISO time or ms");
  }
  if (!values.out) problems.push("--out: required");
  if (values["randomize-seq"] && !values.nat) problems.push("--randomize-seq: needs --nat");
  if (values.nat && (values.scenarios || values["duration-s"] !== undefined)) {
    problems.push("--nat: not with --scenarios or --duration-s");
  }
  if (values.nat && flows === 0) problems.push("--flows: --nat needs at least 1 connection");
  if (values["short-flows"] && (values.nat || values.scenarios)) {
    problems.push("--short-flows: not with --nat or --scenarios");
  }
  if (problems.length > 0) {
    console.error(`gen_pcap: ${problems.join("; ")}\n\n${USAGE}`);
    return 2;
  }
  if (values.l7) {
    const { bytes, summary } = generateL7Traffic({
      connections: flows,
      seed,
      startUs: start === undefined ? undefined : start * 1000,
    });
    await Deno.writeFile(values.out!, bytes);
    console.log(JSON.stringify({ file: values.out, ...summary }));
    return 0;
  }
  if (values.nat) {
    return await writeNat(values.out!, {
      connections: flows,
      seed,
      start,
      randomizeSeq: values["randomize-seq"] === true,
    });
  }
  if (values["short-flows"]) {
    const short = generateShortFlows({
      flows: flows ?? 100,
      seed,
      start: start ?? DEFAULT_START_MS,
      durationS: durationS ?? 600,
    });
    await Deno.writeFile(values.out!, short.bytes);
    console.log(JSON.stringify({ file: values.out, ...short.summary }));
    return 0;
  }
  const { bytes, summary } = generate({
    flows,
    seed,
    start,
    durationS,
    scenarios: values.scenarios === true,
  });
  await Deno.writeFile(values.out!, bytes);
  const { expected: _expected, ...counts } = summary;
  console.log(JSON.stringify({ file: values.out, ...counts }));
  return 0;
}

/** `--nat`: both capture points' files beside `out`, and a summary of where each connection went. */
async function writeNat(
  out: string,
  options: { connections?: number; seed?: number; start?: number; randomizeSeq: boolean },
): Promise<number> {
  const scenario = generateNatScenario(options);
  const stem = out.replace(/\.pcap$/, "");
  const files = [];
  for (const point of scenario.points) {
    const file = `${stem}-${point.name}.pcap`;
    await Deno.writeFile(file, point.pcap);
    files.push({
      file,
      side: point.name,
      captureNic: point.captureNic,
      observationPoint: point.observationPoint,
    });
  }
  console.log(JSON.stringify({
    nat: files,
    randomizeSeq: options.randomizeSeq,
    connections: scenario.connections.map((c) => ({
      outside: c.outside,
      inside: c.inside,
      startUs: c.startUs,
    })),
  }));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
