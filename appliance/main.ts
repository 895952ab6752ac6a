/**
 * The appliance command line: `deno run -A appliance/main.ts <command>`. Reads its configuration
 * (config.ts), builds flows (pipeline.ts) and sends them (report/). Errors end as one line on
 * stderr, never a stack trace.
 */
import { CaptureError } from "./capture/mod.ts";
import { type Command, loadConfig, USAGE } from "./config.ts";
import type { FlowRecord } from "./flow/mod.ts";
import { buildFlowsFromFile, type FlowSummary } from "./pipeline.ts";
import { ReportError, sendBatches } from "./report/mod.ts";

const PROTOCOL_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6" };
const TCP_FLAG_LETTERS = "FSRPAUEC";

function say(line: string): void {
  console.error(`appliance: ${line}`);
}

function number(n: number): string {
  return n.toLocaleString("en-US");
}

function tcpFlags(bits: number): string {
  let text = "";
  for (let i = 0; i < 8; i++) if (bits & (1 << i)) text += TCP_FLAG_LETTERS[i];
  return text || "-";
}

function endpoint(ip: string, port: number, protocol: number): string {
  if (protocol !== 6 && protocol !== 17) return ip;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function flowTable(records: readonly FlowRecord[]): string {
  const header = [
    "ID",
    "PROTO",
    "VLAN",
    "CLIENT",
    "SERVER",
    "PKTS C>S",
    "PKTS S>C",
    "BYTES C>S",
    "BYTES S>C",
    "START (UTC)",
    "SECONDS",
    "TCP FLAGS",
  ];
  const rows = records.map((r) => [
    String(r.flowId),
    PROTOCOL_NAMES[r.protocol] ?? String(r.protocol),
    String(r.vlan),
    endpoint(r.ip0, r.clientPort, r.protocol),
    endpoint(r.ip1, r.serverPort, r.protocol),
    number(r.packetTx),
    number(r.packetRx),
    number(r.byteTx),
    number(r.byteRx),
    new Date(r.startTime / 1000).toISOString(),
    ((r.endTime - r.startTime) / 1e6).toFixed(3),
    r.protocol === 6 ? `${tcpFlags(r.tcpFlagsBit0)}/${tcpFlags(r.tcpFlagsBit1)}` : "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const numeric = new Set([0, 2, 5, 6, 7, 8, 10]);
  const line = (cells: string[]) =>
    cells.map((c, i) => numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function describeErrors(summary: FlowSummary): string {
  const entries = Object.entries(summary.decodeErrors);
  if (entries.length === 0) return "none";
  return entries.map(([kind, count]) => `${kind} ${number(count)}`).join(", ");
}

/** Reads the file's flows; undefined (after saying why) when it cannot be read at all. */
async function readFlows(file: string): Promise<FlowSummary | undefined> {
  let summary: FlowSummary;
  try {
    summary = await buildFlowsFromFile(file);
  } catch (err) {
    if (err instanceof CaptureError) {
      say(`cannot read ${file}: ${err.message}`);
      return undefined;
    }
    throw err;
  }
  if (summary.captureError) {
    say(
      `warning: ${file} is damaged (${summary.captureError.message}); using the ${
        number(summary.packets)
      } packets before it`,
    );
  }
  return summary;
}

async function replay(command: Extract<Command, { kind: "replay" }>): Promise<number> {
  const started = performance.now();
  const summary = await readFlows(command.file);
  if (summary === undefined) return 1;
  const sendStarted = performance.now();
  let sent;
  // Until the on-disk spool keeps a persistent counter (#4), each replay numbers its batches
  // from the clock in µs: a resent batch keeps its seq (stored once), a new replay is new data.
  const firstSeq = Date.now() * 1000;
  try {
    sent = await sendBatches(summary.records, {
      firstSeq,
      manager: command.manager,
      appliance: command.appliance,
      batchSize: command.batchSize,
      onRetry: (e) =>
        say(`batch ${e.seq}: ${e.reason}; retrying in ${(e.delayMs / 1000).toFixed(1)} s`),
    });
  } catch (err) {
    if (err instanceof ReportError) {
      say(err.message);
      return 1;
    }
    throw err;
  }
  const records = summary.records;
  const tcp = records.filter((r) => r.protocol === 6).length;
  const udp = records.filter((r) => r.protocol === 17).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  console.log(
    [
      `replayed ${command.file} to ${command.manager} as "${command.appliance}"`,
      `  packets        ${number(summary.packets)} (${number(summary.bytes)} bytes; ${
        number(summary.notIp)
      } not IP, ${number(summary.fragments)} IP fragments)`,
      `  flows          ${number(records.length)} (${number(tcp)} TCP, ${number(udp)} UDP, ${
        number(records.length - tcp - udp)
      } other)`,
      `  decode errors  ${describeErrors(summary)}`,
      `  batches sent   ${number(sent.batches)}${
        sent.batches > 0 ? ` (seq ${firstSeq}-${firstSeq + sent.batches - 1})` : ""
      }, ${number(sent.retries)} retries`,
      `  time           ${seconds(performance.now() - started)} s (read ${
        seconds(summary.elapsedMs)
      } s, send ${seconds(performance.now() - sendStarted)} s)`,
    ].join("\n"),
  );
  return 0;
}

async function flows(command: Extract<Command, { kind: "flows" }>): Promise<number> {
  const summary = await readFlows(command.file);
  if (summary === undefined) return 1;
  if (command.json) {
    for (const record of summary.records) console.log(JSON.stringify(record));
    return 0;
  }
  if (summary.records.length > 0) console.log(flowTable(summary.records));
  console.log(
    `${number(summary.records.length)} flows from ${number(summary.packets)} packets (${
      number(summary.notIp)
    } not IP; decode errors: ${describeErrors(summary)})`,
  );
  return 0;
}

/** Runs the command line; returns the exit status. */
export async function main(): Promise<number> {
  const config = loadConfig();
  if (!config.ok) {
    for (const problem of config.problems) say(problem);
    console.error(`\n${USAGE}`);
    return 2;
  }
  const command = config.command;
  try {
    if (command.kind === "help") {
      console.log(USAGE);
      return 0;
    }
    return command.kind === "replay" ? await replay(command) : await flows(command);
  } catch (err) {
    say(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main());
