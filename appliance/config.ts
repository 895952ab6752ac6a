/**
 * The appliance's configuration: the only place that reads flags and the environment. Problems
 * are collected and reported together, never one at a time.
 */
import { parseArgs } from "node:util";
import {
  type CapturePoint,
  capturePoint,
  LIVE_BACKENDS,
  type LiveBackend,
  OBSERVATION_POINTS,
} from "./capture/mod.ts";

export const USAGE = `Usage: appliance <command> [options]

Commands:
  replay FILE --manager URL [--appliance NAME] [--batch-size N]
      Read a pcap file, build its flows and send them to the manager as CBOR batches
      (POST URL/api/v1/ingest; batch seq numbers count up from the clock in µs, so a
      resent batch is stored once and a new replay is new data). Prints a short summary.
  replay --interface IF [--seconds N] --manager URL [...]
      The same from live capture on interface IF (root or CAP_NET_RAW), then prints the
      capture counters (packets received, dropped by the kernel, dropped by the interface).
  flows FILE [--json]
  flows --interface IF [--seconds N] [--json]
      Print the flows of a capture file or a live capture: a table, or one JSON object per
      line with --json (live capture counters go to stderr).
  decode FILE [--json]
      Decode every packet of a capture file: one line per packet, like tcpdump -nn, or one
      JSON object per packet with --json (layers, addresses, ports, tunnels, errors).

Options:
  --manager URL      manager base URL, e.g. http://127.0.0.1:8080 (env TAPLINE_MANAGER)
  --appliance NAME   name reported to the manager (env TAPLINE_APPLIANCE; default: host name)
  --batch-size N     flow records per batch, 1-100000 (default 1000)
  --json             NDJSON output for flows and decode
  --interface IF     capture live on IF instead of reading FILE
  --seconds N        stop a live capture after N seconds (default: at Ctrl-C or SIGTERM)
  --observation-point P
                     where on the path IF taps (default rest): ${
  OBSERVATION_POINTS.slice(0, 6).join(", ")
},
                     ${OBSERVATION_POINTS.slice(6).join(", ")}
  --backend B        live capture through af_packet (TPACKET_V3 ring) or libpcap
                     (default: af_packet, falling back to libpcap)
  --filter EXPR      only packets that match the tcpdump filter expression EXPR, e.g.
                     "tcp port 443 and not net 10.0.0.0/8" (replay, flows, decode); the others
                     are skipped before decoding and counted
  -h, --help         show this help

FILE is a pcap (microsecond or nanosecond, either byte order) or pcapng file.
A file damaged part-way (e.g. cut short) is used up to the damage: a warning on stderr names
the packet and byte offset, and the command still succeeds.

Exit status: 0 success, 1 unreadable file or manager error, 2 bad command line.`;

/** A live capture instead of a file. */
export interface LiveSpec {
  point: CapturePoint;
  /** Undefined: until interrupted. */
  seconds: number | undefined;
  backend: LiveBackend | "auto";
}

/** Where packets come from: a capture file or a live interface. */
export type PacketInput = { file: string; live?: undefined } | { live: LiveSpec; file?: undefined };

/** `--filter EXPR`: a tcpdump expression, checked when the input's link type is known. */
export interface FilterSpec {
  filter?: string;
}

export type Command =
  | { kind: "help" }
  | (
    & { kind: "replay"; manager: string; appliance: string; batchSize: number }
    & PacketInput
    & FilterSpec
  )
  | ({ kind: "flows"; json: boolean } & PacketInput & FilterSpec)
  | ({ kind: "decode"; file: string; json: boolean } & FilterSpec);

export type ConfigResult = { ok: true; command: Command } | { ok: false; problems: string[] };

export interface ConfigSources {
  args: readonly string[];
  env: (name: string) => string | undefined;
  hostname: () => string;
}

const OPTIONS = {
  manager: { type: "string" },
  appliance: { type: "string" },
  "batch-size": { type: "string" },
  json: { type: "boolean" },
  interface: { type: "string" },
  seconds: { type: "string" },
  "observation-point": { type: "string" },
  backend: { type: "string" },
  filter: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const LIVE_OPTIONS = ["interface", "seconds", "observation-point", "backend"];
const OPTIONS_OF: Record<string, readonly string[]> = {
  replay: ["manager", "appliance", "batch-size", "filter", "help", ...LIVE_OPTIONS],
  flows: ["json", "filter", "help", ...LIVE_OPTIONS],
  decode: ["json", "filter", "help"],
};
/** A year: beyond that `--seconds` is surely a typo. */
const MAX_SECONDS = 365 * 86_400;

const DEFAULT_BATCH_SIZE = 1000;
const MAX_BATCH_SIZE = 100_000;

function checkManager(text: string | undefined, problems: string[]): string {
  if (text === undefined || text === "") {
    problems.push("replay needs --manager URL (or TAPLINE_MANAGER)");
    return "";
  }
  try {
    const url = new URL(text);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      problems.push(`--manager: expected an http or https URL, got ${JSON.stringify(text)}`);
    }
    return text.replace(/\/+$/, "");
  } catch {
    problems.push(`--manager: not a URL: ${JSON.stringify(text)}`);
    return "";
  }
}

/** Parses the command line and environment into a command, or lists every problem found. */
export function parseConfig(sources: ConfigSources): ConfigResult {
  const problems: string[] = [];
  // parseArgs (non-strict) would take the next flag as the value: make that an empty value.
  const args = sources.args.map((arg, i) => {
    const next = sources.args[i + 1];
    const takesValue =
      (OPTIONS as Record<string, { type: string }>)[arg.replace(/^--/, "")]?.type ===
        "string";
    return arg.startsWith("--") && takesValue && (next === undefined || next.startsWith("-"))
      ? `${arg}=`
      : arg;
  });
  const { values, positionals, tokens } = parseArgs({
    args,
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  if (values.help === true) return { ok: true, command: { kind: "help" } };
  const [command, file, ...extra] = positionals;
  const allowed = command === undefined ? undefined : OPTIONS_OF[command];
  if (command === undefined) problems.push("missing command (replay, flows or decode)");
  else if (allowed === undefined) problems.push(`unknown command ${JSON.stringify(command)}`);
  for (const token of tokens ?? []) {
    if (token.kind !== "option") continue;
    const spec = (OPTIONS as Record<string, { type: string }>)[token.name];
    if (spec === undefined) {
      problems.push(`unknown option ${token.rawName}`);
    } else if (allowed !== undefined && !allowed.includes(token.name)) {
      problems.push(`option ${token.rawName} does not apply to ${command}`);
    } else if (spec.type === "string" && !token.value) {
      problems.push(`option ${token.rawName} needs a value`);
    } else if (spec.type === "boolean" && token.value !== undefined) {
      problems.push(`option ${token.rawName} takes no value`);
    }
  }
  const text = (name: string) => {
    const value = values[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const live = allowed === undefined ? undefined : parseLive(text, file !== undefined, problems);
  if (allowed !== undefined && file === undefined && live === undefined) {
    problems.push(`${command} needs a FILE`);
  }
  for (const argument of extra) problems.push(`unexpected argument ${JSON.stringify(argument)}`);
  const input: PacketInput = live === undefined ? { file: file! } : { live };
  const filter: FilterSpec = text("filter") === undefined ? {} : { filter: text("filter") };
  if (command === "replay") {
    const manager = checkManager(text("manager") ?? sources.env("TAPLINE_MANAGER"), problems);
    const appliance = text("appliance") ?? sources.env("TAPLINE_APPLIANCE") ?? sources.hostname();
    if (appliance.length === 0 || appliance.length > 128) {
      problems.push("--appliance: expected 1 to 128 characters");
    }
    const sizeText = text("batch-size");
    const batchSize = sizeText === undefined ? DEFAULT_BATCH_SIZE : Number(sizeText);
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      problems.push(
        `--batch-size: expected an integer from 1 to ${MAX_BATCH_SIZE}, got ${sizeText}`,
      );
    }
    if (problems.length > 0) return { ok: false, problems };
    return {
      ok: true,
      command: { kind: "replay", ...input, manager, appliance, batchSize, ...filter },
    };
  }
  // decode reads files only: --interface was refused above, but must not stand for the FILE.
  if (command === "decode" && file === undefined && live !== undefined) {
    problems.push("decode needs a FILE");
  }
  if (problems.length > 0) return { ok: false, problems };
  if (command === "decode") {
    return {
      ok: true,
      command: { kind: "decode", file: file!, json: values.json === true, ...filter },
    };
  }
  return { ok: true, command: { kind: "flows", ...input, json: values.json === true, ...filter } };
}

/** The live-capture options: undefined without --interface (and then none may be given). */
function parseLive(
  text: (name: string) => string | undefined,
  hasFile: boolean,
  problems: string[],
): LiveSpec | undefined {
  const name = text("interface");
  if (name === undefined) {
    for (const option of LIVE_OPTIONS) {
      if (text(option) !== undefined) problems.push(`--${option} applies only with --interface`);
    }
    return undefined;
  }
  if (hasFile) problems.push("give either a FILE or --interface, not both");
  const { point, problems: pointProblems } = capturePoint(name, {
    observationPoint: text("observation-point"),
  });
  problems.push(
    ...pointProblems.map((p) => `--${p.replace(/^observation point/, "observation-point")}`),
  );
  const secondsText = text("seconds");
  const seconds = secondsText === undefined ? undefined : Number(secondsText);
  if (seconds !== undefined && !(seconds > 0 && seconds <= MAX_SECONDS)) {
    problems.push(`--seconds: expected a number of seconds above 0, got ${secondsText}`);
  }
  const backend = text("backend") ?? "auto";
  if (backend !== "auto" && !(LIVE_BACKENDS as readonly string[]).includes(backend)) {
    problems.push(
      `--backend: expected ${LIVE_BACKENDS.join(" or ")}, got ${JSON.stringify(backend)}`,
    );
  }
  return { point, seconds, backend: backend as LiveBackend | "auto" };
}

/** Reads this process's flags and environment. */
export function loadConfig(): ConfigResult {
  return parseConfig({
    args: Deno.args,
    env: (name) => Deno.env.get(name),
    hostname: () => Deno.hostname(),
  });
}
