/**
 * The L7 section of the bench (`deno task bench l7`): decode + flow alone vs decode + flow + L7
 * on an application-heavy generated capture (tests/tools/_l7_traffic.ts: HTTP keep-alive,
 * MySQL, DNS; many short requests per flow), in the same run, over the capture already in
 * memory. Quotes packets/s for both, the share of the packet rate L7 costs, and requests/s
 * (requests and responses parsed per second of the L7 run).
 *
 *   deno run -A tests/bench/l7_bench.ts [--connections 9000] [--runs 5]
 */
import { parseArgs } from "node:util";
import { openCapture } from "../../appliance/capture/mod.ts";
import { buildFlows, type FlowSummary } from "../../appliance/pipeline.ts";
import { generateL7Traffic } from "../tools/_l7_traffic.ts";
import { type RunOptions, timeInProcess, type Timing } from "./_measure.ts";

export interface L7BenchResult {
  packets: number;
  /** Requests the generator made and the L7 run reported. */
  made: number;
  reported: number;
  flowOnly: Timing;
  withL7: Timing;
}

export async function runL7Bench(
  options: RunOptions & { connections: number; progress: (line: string) => void },
): Promise<L7BenchResult> {
  options.progress(`(l7) generating ${options.connections} L7 connections`);
  const { bytes, summary } = generateL7Traffic({ connections: options.connections });
  const made = summary.requests.http + summary.requests.mysql + summary.requests.dns;
  options.progress(`(l7) ${summary.packets} packets, ${made} requests; decode + flow`);
  const flowOnly = (await timeInProcess(() => buildFlows(openCapture(bytes)).packets, options))
    .timing;
  options.progress("(l7) decode + flow + L7");
  let last: FlowSummary | undefined;
  const withL7 = (await timeInProcess(() => {
    last = buildFlows(openCapture(bytes), { l7: {} });
    return last.packets;
  }, options)).timing;
  return {
    packets: summary.packets,
    made,
    reported: last?.requests?.length ?? 0,
    flowOnly,
    withL7,
  };
}

export function renderL7Bench(r: L7BenchResult): string {
  const pps = (t: Timing) => r.packets / (t.medianMs / 1000);
  const flowRate = pps(r.flowOnly);
  const l7Rate = pps(r.withL7);
  const cost = 1 - l7Rate / flowRate;
  const requestsPerS = r.reported / (r.withL7.medianMs / 1000);
  // L7's own time: the difference between the two runs, per request.
  const l7Ms = r.withL7.medianMs - r.flowOnly.medianMs;
  const l7RequestsPerS = l7Ms > 0 ? r.reported / (l7Ms / 1000) : Infinity;
  const mpps = (n: number) => `${(n / 1e6).toFixed(2)} Mpps`;
  const ms = (t: Timing) =>
    `${t.minMs.toFixed(0)}–${t.medianMs.toFixed(0)}–${t.maxMs.toFixed(0)} ms`;
  return [
    `L7, generated HTTP/MySQL/DNS capture in memory: ${
      r.packets.toLocaleString("en-US")
    } packets, ` +
    `${r.made.toLocaleString("en-US")} requests made, ${
      r.reported.toLocaleString("en-US")
    } reported`,
    `(l1) decode + flow            ${mpps(flowRate).padStart(10)}  ${ms(r.flowOnly)}`,
    `(l2) decode + flow + L7       ${mpps(l7Rate).padStart(10)}  ${ms(r.withL7)}; L7 costs ${
      (cost * 100).toFixed(0)
    }% of the packet rate (target ≤ 30%: ${cost <= 0.3 ? "MET" : "NOT MET"})`,
    `(l3) requests/s, whole run    ${
      Math.round(requestsPerS).toLocaleString("en-US").padStart(10)
    }` +
    `  (target ≥ 300,000: ${requestsPerS >= 300_000 ? "MET" : "NOT MET"}); L7 alone ≈ ${
      Math.round(l7RequestsPerS).toLocaleString("en-US")
    } requests/s`,
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
