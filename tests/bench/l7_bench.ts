/**
 * The L7 section of the bench (`deno task bench l7`): decode + flow alone vs decode + flow + L7
 * on an application-heavy generated capture (tests/tools/_l7_traffic.ts: HTTP keep-alive,
 * MySQL, DNS; many short requests per flow — a worst case: ~3.5 packets per request), in the
 * same run, over the capture already in memory. L7 runs twice: with the request records handed
 * over every 65,536 packets, as the agent's live capture does (l2), and with every record kept
 * until the end, as a capture file's summary does (l2k: the records outlive the young
 * generation, so the garbage collector copies and marks them). Quotes packets/s, the share of
 * the packet rate L7 costs, and requests/s (requests with their responses, per second). A
 * third L7 run (l2f) gives the engine a parser that accepts every flow and reads nothing: what
 * the per-packet L7 path costs before any parsing or record (flow state, TCP reassembly,
 * message dispatch), the floor of this design. (l4) times what the agent does next with the
 * records: each one checked against the manager's rules, and encoded in CBOR batches of 1,000
 * (the agent's default), as `spoolRequests` does before a batch is written.
 *
 *   deno run -A tests/bench/l7_bench.ts [--connections 9000] [--runs 5]
 */
import { parseArgs } from "node:util";
import { openCapture } from "../../appliance/capture/mod.ts";
import { buildFlows, type FlowSummary } from "../../appliance/pipeline.ts";
import type { L7Parser } from "../../appliance/l7/mod.ts";
import { prepareRequests } from "../../appliance/agent/spooling.ts";
import { encodeBatch, type RequestRecord, WIRE_VERSION } from "../../appliance/wire/mod.ts";
import { generateL7Traffic } from "../tools/_l7_traffic.ts";
import { type RunOptions, timeInProcess, type Timing } from "./_measure.ts";

export interface L7BenchResult {
  packets: number;
  /** Requests the generator made and the L7 run reported. */
  made: number;
  reported: number;
  flowOnly: Timing;
  /** Records handed over every 65,536 packets (the agent), and all kept to the end. */
  withL7: Timing;
  withL7Kept: Timing;
  /** The engine with {@link READS_NOTHING} as its only parser. */
  floor: Timing;
  /** The records checked and encoded for the wire, as the agent spools them. */
  wire: Timing;
}

/**
 * What the agent does with request records before it writes them: in batches of 1,000 (its
 * default), each record made to pass the manager's check (`prepareRequests`, as
 * `spoolRequests` does), then the batch encoded. Returns the bytes encoded.
 */
function checkAndEncode(records: readonly RequestRecord[]): number {
  let bytes = 0;
  for (let start = 0; start < records.length; start += 1000) {
    const { kept } = prepareRequests(records.slice(start, start + 1000));
    bytes += encodeBatch({
      v: WIRE_VERSION,
      appliance: "bench",
      stream: "requests",
      seq: start,
      sentAt: 0,
      records: kept,
    }).length;
  }
  return bytes;
}

/** A parser that takes every flow and consumes each message whole without looking at it. */
const READS_NOTHING: L7Parser = {
  protocol: 0,
  name: "nothing",
  ports: [],
  tcp: true,
  udp: true,
  check: () => true,
  session: () => ({ parse: (payload) => payload.end - payload.start }),
};

export async function runL7Bench(
  options: RunOptions & { connections: number; progress: (line: string) => void },
): Promise<L7BenchResult> {
  options.progress(`(l7) generating ${options.connections} L7 connections`);
  const { bytes, summary } = generateL7Traffic({ connections: options.connections });
  const made = summary.requests.http + summary.requests.mysql + summary.requests.dns;
  options.progress(`(l7) ${summary.packets} packets, ${made} requests; decode + flow`);
  const flowOnly = (await timeInProcess(() => buildFlows(openCapture(bytes)).packets, options))
    .timing;
  options.progress("(l7) decode + flow + L7, records handed over every 65,536 packets");
  let reported = 0;
  const withL7 = (await timeInProcess(() => {
    let n = 0;
    const built = buildFlows(openCapture(bytes), {
      l7: {},
      onRequests: (records) => n += records.length,
    });
    reported = n;
    return built.packets;
  }, options)).timing;
  options.progress("(l7) decode + flow + L7, every record kept");
  let last: FlowSummary | undefined;
  const withL7Kept = (await timeInProcess(() => {
    last = undefined; // the last run's records are not kept alive through this one
    last = buildFlows(openCapture(bytes), { l7: {} });
    return last.packets;
  }, options)).timing;
  if (last?.requests?.length !== reported) {
    throw new Error(`kept ${last?.requests?.length} records, handed over ${reported}`);
  }
  options.progress("(l7) decode + flow + L7 engine with a parser that reads nothing");
  const floor = (await timeInProcess(
    () => buildFlows(openCapture(bytes), { l7: { parsers: [READS_NOTHING] } }).packets,
    options,
  )).timing;
  options.progress("(l7) the records checked and encoded for the wire");
  const records = last.requests;
  const wire = (await timeInProcess(() => checkAndEncode(records), options)).timing;
  return { packets: summary.packets, made, reported, flowOnly, withL7, withL7Kept, floor, wire };
}

export function renderL7Bench(r: L7BenchResult): string {
  const pps = (t: Timing) => r.packets / (t.medianMs / 1000);
  const flowRate = pps(r.flowOnly);
  const mpps = (n: number) => `${(n / 1e6).toFixed(2)} Mpps`;
  const ms = (t: Timing) =>
    `${t.minMs.toFixed(0)}–${t.medianMs.toFixed(0)}–${t.maxMs.toFixed(0)} ms`;
  const count = (n: number) => Math.round(n).toLocaleString("en-US");
  /** A row's id and what it measures, in their columns. */
  const label = (id: string, what: string) => `(${id})`.padEnd(6) + what.padEnd(28);
  const costOf = (t: Timing) => 1 - pps(t) / flowRate;
  const l7Row = (id: string, what: string, t: Timing) => {
    const cost = costOf(t);
    return `${label(id, what)} ${mpps(pps(t)).padStart(10)}  ${ms(t)}; L7 costs ${
      (cost * 100).toFixed(0)
    }% of the packet rate (target ≤ 30%: ${cost <= 0.3 ? "MET" : "NOT MET"})`;
  };
  const requestsRow = (id: string, what: string, t: Timing) => {
    const perS = r.reported / (t.medianMs / 1000);
    // L7's own time: the difference from the flow-only run, per request.
    const l7Ms = t.medianMs - r.flowOnly.medianMs;
    const alone = l7Ms > 0 ? count(r.reported / (l7Ms / 1000)) : "∞";
    return `${label(id, what)} ${count(perS).padStart(10)}  (target ≥ 300,000: ${
      perS >= 300_000 ? "MET" : "NOT MET"
    }); L7 alone ≈ ${alone} requests/s`;
  };
  const floor = costOf(r.floor);
  // Below (l1)'s own run-to-run spread, a difference is noise, not a cost.
  const floorCost = floor * 100 < 1
    ? "no cost above the noise of (l1)"
    : `costs ${(floor * 100).toFixed(0)}%`;
  return [
    `L7, generated HTTP/MySQL/DNS capture in memory (a worst case: ${
      (r.packets / r.reported).toFixed(1)
    } packets per request): ${r.packets.toLocaleString("en-US")} packets, ` +
    `${count(r.made)} requests made, ${count(r.reported)} reported`,
    `${label("l1", "decode + flow")} ${mpps(flowRate).padStart(10)}  ${ms(r.flowOnly)}`,
    l7Row("l2", "decode + flow + L7", r.withL7),
    l7Row("l2k", "(l2), every record kept", r.withL7Kept),
    `${label("l2f", "L7 engine, parsing nothing")} ${mpps(pps(r.floor)).padStart(10)}  ${
      ms(r.floor)
    }; ${floorCost} with no parsing or record`,
    requestsRow("l3", "requests/s, whole run (l2)", r.withL7),
    requestsRow("l3k", "requests/s, whole run (l2k)", r.withL7Kept),
    `${label("l4", "checked + encoded, records/s")} ${
      count(r.reported / (r.wire.medianMs / 1000)).padStart(10)
    }  ${ms(r.wire)}; with (l2) before it, the agent's path runs at ${
      count(r.reported / ((r.withL7.medianMs + r.wire.medianMs) / 1000))
    } requests/s`,
    "(l2) hands the records over every 65,536 packets, as the agent's live capture does; (l2k)",
    "keeps all of them to the end, as a capture file's summary does. (l2f) is the floor of the",
    "design: flow state, TCP reassembly and dispatch with a parser that accepts every flow and",
    "reads nothing. (l4) is what the agent does next: each record checked against the",
    "manager's rules and encoded in CBOR batches of 1,000, before the batch is written.",
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      connections: { type: "string", default: "9000" },
      runs: { type: "string", default: "5" },
    },
  });
  const result = await runL7Bench({
    connections: Number(values.connections),
    runs: Number(values.runs),
    warmups: 1,
    progress: (line) => console.error(`bench: ${line}`),
  });
  console.log(renderL7Bench(result));
}
