/**
 * The appliance command line: `deno run -A appliance/main.ts <command>`. Reads its configuration
 * (config.ts), builds flows (pipeline.ts) and sends them (report/). Errors end as one line on
 * stderr, never a stack trace.
 */
import {
  CaptureError,
  type CaptureStats,
  openCaptureFile,
  openLiveCapture,
} from "./capture/mod.ts";
import {
  type Command,
  type FilterSpec,
  type LiveSpec,
  loadConfig,
  type PacketInput,
  USAGE,
} from "./config.ts";
import { Decoder, DecodeStatus, packetJson, packetLine } from "./decode/mod.ts";
import { CLOSE_TYPE_NAMES, type FlowRecord, flowRecordColumns } from "./flow/mod.ts";
import { describeRequests, requestRecordColumns, requestTable } from "./l7/mod.ts";
import { buildFlowsFromFile, buildFlowsLive, type FlowSummary } from "./pipeline.ts";
import { FilterError, filterOptionsFor, PacketFilter } from "./policy/mod.ts";
import {
  type AgentDeps,
  AgentError,
  enroll,
  loadIdentity,
  notEnrolled,
  replayRecords,
  type ReplayResult,
  runAgent,
} from "./agent/mod.ts";
import { consoleHelp, runConsole } from "./console/mod.ts";
import { runPcapCommand } from "./pcapstore/mod.ts";
import { distributeFile, formatDistributeSummary, parseDistribution } from "./distribute/mod.ts";

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
    "CLOSE",
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
    r.closeType === 0 ? "" : CLOSE_TYPE_NAMES[r.closeType] ?? String(r.closeType),
  ]);
  // A loop, not Math.max(...rows): a spread of 200k rows overflows the call stack.
  const widths = header.map((h, i) =>
    rows.reduce((w, row) => Math.max(w, row[i]!.length), h.length)
  );
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

/** `, N filtered out` when `--filter` skipped packets. */
function filteredOut(summary: FlowSummary): string {
  return summary.filtered > 0 ? `, ${number(summary.filtered)} filtered out` : "";
}

function describeCapture(stats: CaptureStats): string {
  return `${number(stats.received)} packets received, ${
    number(stats.droppedByKernel)
  } dropped by the kernel, ${number(stats.droppedByInterface)} dropped by the interface`;
}

/** Captures on the interface until the time is up or SIGINT/SIGTERM; then says what it saw. */
async function captureFlows(
  live: LiveSpec,
  filter: string | undefined,
  l7: boolean,
  seconds = false,
): Promise<FlowSummary & { capture?: CaptureStats }> {
  const source = openLiveCapture(live.point.interface, { backend: live.backend });
  const signals = ["SIGINT", "SIGTERM"] as const;
  const stop = () => source.stop();
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  say(
    `capturing on ${live.point.interface} (${source.backend}, observation point ${live.point.observationPoint}) ${
      live.seconds === undefined ? "until interrupted" : `for ${live.seconds} s`
    }`,
  );
  try {
    const summary = await buildFlowsLive(source, {
      durationMs: live.seconds === undefined ? undefined : live.seconds * 1000,
      observationPoint: live.point.observationPoint,
      filter,
      seconds,
      ...(l7 ? { l7: {} } : {}),
    });
    say(`capture on ${live.point.interface}: ${describeCapture(summary.capture)}`);
    return summary;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
  }
}

/**
 * Reads the input's flows (and request logs with `l7`); undefined (after saying why) when it
 * cannot be read at all.
 */
async function readFlows(
  input: PacketInput & FilterSpec & { l7?: boolean },
  seconds = false,
): Promise<(FlowSummary & { capture?: CaptureStats }) | undefined> {
  const file = input.file;
  const l7 = input.l7 === true;
  let summary: FlowSummary & { capture?: CaptureStats };
  try {
    summary = input.live
      ? await captureFlows(input.live, input.filter, l7, seconds)
      : await buildFlowsFromFile(input.file, {
        filter: input.filter,
        seconds,
        ...(l7 ? { l7: {} } : {}),
      });
  } catch (err) {
    if (err instanceof CaptureError) {
      say(
        file === undefined
          ? `cannot capture: ${err.message}`
          : `cannot read ${file}: ${err.message}`,
      );
      return undefined;
    }
    throw err;
  }
  if (summary.captureError && file === undefined) {
    say(
      `warning: ${summary.captureError.message}; using the ${
        number(summary.packets)
      } packets captured before it`,
    );
  } else if (summary.captureError) {
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
  const identity = await loadIdentity(command.stateDir);
  if (identity === undefined) throw notEnrolled(command.stateDir);
  // The per-second metrics (stream metrics_1s) go with the flows.
  const summary = await readFlows(command, true);
  if (summary === undefined) return 1;
  const sendStarted = performance.now();
  const sent = await replayRecords(identity, summary.records, {
    stateDir: command.stateDir,
    manager: command.manager,
    batchSize: command.batchSize,
    spoolMaxBytes: command.spoolMaxBytes,
    sourcePath: command.file,
    requests: summary.requests,
    seconds: summary.seconds,
    log: say,
  });
  const records = summary.records;
  // Each flow has one record per minute it saw packets in; its first one is new.
  const made = records.filter((r) => r.isNewFlow === 1);
  const tcp = made.filter((r) => r.protocol === 6).length;
  const udp = made.filter((r) => r.protocol === 17).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  console.log(
    [
      `replayed ${
        command.file ?? `live capture on ${command.live!.point.interface}`
      } to ${sent.manager} as "${identity.name}" (${identity.applianceId})`,
      `  packets        ${number(summary.packets)} (${number(summary.bytes)} bytes; ${
        number(summary.notIp)
      } not IP, ${number(summary.fragments)} IP fragments${filteredOut(summary)})`,
      `  flows          ${number(made.length)} (${number(tcp)} TCP, ${number(udp)} UDP, ${
        number(made.length - tcp - udp)
      } other) in ${number(records.length)} flow-log records`,
      `  decode errors  ${describeErrors(summary)}`,
      ...(summary.l7 ? [`  requests       ${describeRequests(summary.l7)}`] : []),
      ...(summary.capture ? [`  capture        ${describeCapture(summary.capture)}`] : []),
      `  batches        ${number(sent.batches)} spooled${
        sent.firstSeq === null ? "" : ` (seq ${sent.firstSeq}-${sent.lastSeq})`
      }${
        sent.skipped > 0
          ? `, ${number(sent.skipped)} records skipped (spooled by an earlier run)`
          : ""
      }; ${number(sent.flowsSent.batches)} sent (${number(sent.duplicates)} already stored), ${
        number(sent.retries)
      } retries${sent.lost > 0 ? `, ${number(sent.lost)} lost (409)` : ""}`,
      ...(sent.requests ? [`  request logs   ${describeRequestsSent(sent.requests)}`] : []),
      `  time           ${seconds(performance.now() - started)} s (read ${
        seconds(summary.elapsedMs)
      } s, send ${seconds(performance.now() - sendStarted)} s)`,
    ].join("\n"),
  );
  return 0;
}

/** The `requests` stream's line of the replay summary. */
function describeRequestsSent(r: NonNullable<ReplayResult["requests"]>): string {
  const seqs = r.firstSeq === null ? "" : ` (seq ${r.firstSeq}-${r.lastSeq})`;
  const parts = [`${number(r.spooled)} records in ${number(r.batches)} batches spooled${seqs}`];
  if (r.skipped > 0) parts.push(`${number(r.skipped)} records skipped (spooled by an earlier run)`);
  let line = parts.join(", ");
  line += `; ${number(r.sentRecords)} records in ${number(r.sentBatches)} batches sent`;
  if (r.truncated > 0) line += `; ${number(r.truncated)} with a text cut to the wire's bound`;
  if (r.invalid > 0) line += `; ${number(r.invalid)} left out as invalid (${r.invalidSample})`;
  return line;
}

async function flows(command: Extract<Command, { kind: "flows" }>): Promise<number> {
  const summary = await readFlows(command);
  if (summary === undefined) return 1;
  if (command.json) {
    for (const record of summary.records) console.log(JSON.stringify(flowRecordColumns(record)));
    return 0;
  }
  if (summary.records.length > 0) console.log(flowTable(summary.records));
  console.log(
    `${number(summary.flows)} flows (${number(summary.records.length)} records) from ${
      number(summary.packets)
    } packets (${number(summary.notIp)} not IP; decode errors: ${describeErrors(summary)}${
      filteredOut(summary)
    })${summary.l7 ? `; ${describeRequests(summary.l7)}` : ""}`,
  );
  return 0;
}

/** `requests FILE`: the request logs of a capture file, as a table or NDJSON. */
async function requests(command: Extract<Command, { kind: "requests" }>): Promise<number> {
  let summary: FlowSummary;
  try {
    summary = await buildFlowsFromFile(command.file, {
      filter: command.filter,
      l7: { obfuscate: command.obfuscate },
    });
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    say(`cannot read ${command.file}: ${err.message}`);
    return 1;
  }
  const records = summary.requests ?? [];
  if (command.json) {
    let chunk = "";
    for (const r of records) chunk += `${JSON.stringify(requestRecordColumns(r))}\n`;
    await Deno.stdout.write(new TextEncoder().encode(chunk));
  } else {
    if (records.length > 0) console.log(requestTable(records));
    console.log(
      `${describeRequests(summary.l7!)} in ${number(summary.flows)} flows from ${
        number(summary.packets)
      } packets`,
    );
  }
  if (summary.captureError) {
    say(`warning: ${command.file} is damaged (${summary.captureError.message})`);
  }
  return 0;
}

/**
 * `decode FILE`: every packet as one line (or one JSON object), in order, written in chunks;
 * a reader that goes away (`| head`) ends the output quietly.
 */
async function decode(command: Extract<Command, { kind: "decode" }>): Promise<number> {
  let source;
  try {
    source = await openCaptureFile(command.file);
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    say(`cannot read ${command.file}: ${err.message}`);
    return 1;
  }
  const decoder = new Decoder();
  const encoder = new TextEncoder();
  const filter = command.filter === undefined
    ? undefined
    : new PacketFilter(command.filter, source.linkType, filterOptionsFor(source));
  let chunk = "";
  let ok = 0;
  let decoded = 0;
  try {
    while (source.next()) {
      if (filter !== undefined && !filter.matches(source.packet)) continue;
      decoded++;
      const status = decoder.decode(source.packet);
      if (status === DecodeStatus.Ok) ok++;
      chunk += command.json
        ? `${JSON.stringify(packetJson(decoder.out, status))}\n`
        : `${packetLine(decoder.out, status)}\n`;
      if (chunk.length > 65_536) {
        await Deno.stdout.write(encoder.encode(chunk));
        chunk = "";
      }
    }
    if (!command.json) {
      const errors = Object.entries(decoder.errorCounts()).map(([k, n]) => `${k} ${number(n)}`);
      chunk += `${number(decoded)} packets${
        filter === undefined ? "" : ` matching the filter (${number(filter.rejected)} filtered out)`
      }: ${number(ok)} IP (${number(decoder.tunnelled)} tunnelled), ${
        number(decoder.notIp)
      } not IP, ${number(decoder.malformed)} malformed${
        errors.length > 0 ? ` (${errors.join(", ")})` : ""
      }\n`;
    }
    await Deno.stdout.write(encoder.encode(chunk));
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) return 0;
    throw err;
  }
  if (source.error) say(`warning: ${command.file} is damaged (${source.error.message})`);
  return 0;
}

/** `distribute FILE --policy P.json`: replays the file through distribution policies. */
async function distribute(command: Extract<Command, { kind: "distribute" }>): Promise<number> {
  let document: unknown;
  try {
    document = JSON.parse(await Deno.readTextFile(command.policy));
  } catch (err) {
    say(`cannot read ${command.policy}: ${err instanceof Error ? err.message : err}`);
    return 2;
  }
  const parsed = parseDistribution(document);
  if (!parsed.ok) {
    for (const problem of parsed.problems) say(`${command.policy}: ${problem}`);
    return 2;
  }
  let summary;
  try {
    summary = await distributeFile(command.file, parsed.policies);
  } catch (err) {
    if (!(err instanceof Error) || !(err instanceof CaptureError || err.name === "NotFound")) {
      throw err;
    }
    say(`cannot read ${command.file}: ${err.message}`);
    return 1;
  }
  console.log(command.json ? JSON.stringify(summary) : formatDistributeSummary(summary));
  if (summary.captureError) say(`warning: ${command.file} is damaged (${summary.captureError})`);
  return 0;
}

/** The packet stages for the agent (only pipeline.ts wires them; the agent may not import it). */
function agentDeps(): AgentDeps {
  return {
    log: say,
    readFile: async (path, { filter, l7, onPacket, tap }) => {
      const s = await buildFlowsFromFile(path, {
        filter,
        seconds: true,
        onPacket,
        tap,
        ...(l7 ? { l7: {} } : {}),
      });
      const malformed = Object.values(s.decodeErrors).reduce((n, c) => n + (c ?? 0), 0);
      return { ...s, malformed };
    },
    startCapture: (point, options) => {
      const source = openLiveCapture(point.interface);
      const done = buildFlowsLive(source, {
        observationPoint: point.observationPoint,
        filter: options.filter,
        seconds: true,
        onPacket: options.onPacket,
        tap: options.tap,
        ...(options.l7 ? { l7: {} } : {}),
        onProgress: (p) => options.onProgress(p),
      });
      return { stop: () => source.stop(), done };
    },
  };
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
      console.log(consoleHelp(command.topic) ?? USAGE);
      return 0;
    }
    if (command.kind === "enroll") {
      const identity = await enroll(command);
      console.log(
        `enrolled as "${identity.name}" (${identity.applianceId}) with ${identity.manager}; ` +
          `identity in ${command.stateDir}/identity.json`,
      );
      return 0;
    }
    if (command.kind === "run") return await runAgent(command, agentDeps());
    if (command.kind === "console") return await runConsole(command);
    if (command.kind === "decode") return await decode(command);
    if (command.kind === "distribute") return await distribute(command);
    if (command.kind === "requests") return await requests(command);
    if (command.kind === "pcap-store" || command.kind === "pcap-extract") {
      return await runPcapCommand(command, say);
    }
    return command.kind === "replay" ? await replay(command) : await flows(command);
  } catch (err) {
    if (err instanceof FilterError) {
      say(err.message);
      return 2;
    }
    if (err instanceof AgentError) {
      say(err.message);
      return err.exitCode;
    }
    say(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main());
