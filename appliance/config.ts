/**
 * The appliance's configuration: the only place that reads flags and the environment. Problems
 * are collected and reported together, never one at a time.
 */
import { parseArgs } from "node:util";

export const USAGE = `Usage: appliance <command> [options]

Commands:
  replay FILE --manager URL [--appliance NAME] [--batch-size N]
      Read a pcap file, build its flows and send them to the manager as CBOR batches
      (POST URL/api/v1/ingest; batch seq numbers count up from the clock in µs, so a
      resent batch is stored once and a new replay is new data). Prints a short summary.
  flows FILE [--json]
      Print the flows of a pcap file: a table, or one JSON object per line with --json.

Options:
  --manager URL      manager base URL, e.g. http://127.0.0.1:8080 (env TAPLINE_MANAGER)
  --appliance NAME   name reported to the manager (env TAPLINE_APPLIANCE; default: host name)
  --batch-size N     flow records per batch, 1-100000 (default 1000)
  --json             NDJSON output for flows
  -h, --help         show this help

FILE is a classic pcap file (microsecond or nanosecond, either byte order).
A file damaged part-way (e.g. cut short) is used up to the damage: a warning on stderr names
the packet and byte offset, and the command still succeeds.

Exit status: 0 success, 1 unreadable file or manager error, 2 bad command line.`;

export type Command =
  | { kind: "help" }
  | { kind: "replay"; file: string; manager: string; appliance: string; batchSize: number }
  | { kind: "flows"; file: string; json: boolean };

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
  help: { type: "boolean", short: "h" },
} as const;

const OPTIONS_OF: Record<string, readonly string[]> = {
  replay: ["manager", "appliance", "batch-size", "help"],
  flows: ["json", "help"],
};

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
  if (command === undefined) problems.push("missing command (replay or flows)");
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
  if (allowed !== undefined && file === undefined) problems.push(`${command} needs a FILE`);
  for (const argument of extra) problems.push(`unexpected argument ${JSON.stringify(argument)}`);
  const text = (name: string) => {
    const value = values[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
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
    return { ok: true, command: { kind: "replay", file: file!, manager, appliance, batchSize } };
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, command: { kind: "flows", file: file!, json: values.json === true } };
}

/** Reads this process's flags and environment. */
export function loadConfig(): ConfigResult {
  return parseConfig({
    args: Deno.args,
    env: (name) => Deno.env.get(name),
    hostname: () => Deno.hostname(),
  });
}
