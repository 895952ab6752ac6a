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
import { parsePcapCommand, type PcapCommand } from "./pcapstore/mod.ts";

export const USAGE = `Usage: appliance <command> [options]

Commands:
  enroll --manager URL --token T [--name N]
      Exchange a one-time enrollment token for this appliance's own credential, kept in
      STATE/identity.json (mode 0600). The other fleet commands need it (exit 3 without).
  run [--replay FILE] [--no-l7] [--stop-timeout SECONDS]
      The agent: pulls its config from the manager (runs from the cached one when the
      manager is away), captures on the configured capture points (or replays FILE),
      spools flow and request records, sends them and heartbeats until SIGTERM/SIGINT;
      then sends what it spooled at stop for up to --stop-timeout (default 5) seconds,
      keeping what the manager did not take for the next start.
  replay FILE [--batch-size N] [--manager URL] [--no-l7]
      Read a pcap file, build its flows and request logs, spool them as CBOR batches and
      send them to the manager; exits once the spool is drained. Resumable: run again after
      a crash, the records already spooled for the same file (path, size, mtime) are skipped.
  replay --interface IF [--seconds N] [...]
      The same from live capture on interface IF (root or CAP_NET_RAW), then prints the
      capture counters (packets received, dropped by the kernel, dropped by the interface).
  pcap-store FILE --policy P.json --dir DIR [--quota BYTES|N%] [--rotate-bytes N]
      Replay FILE through the PCAP policies of P.json (one policy or a list) into the
      PCAP store in DIR: pcapng files per policy, rotated, within quota, indexed by flow.
  pcap-extract --dir DIR (--flow PROTO:IP:PORT-IP:PORT | --host IP --port N --since T
      --until T) -w OUT.pcapng
      Write the stored packets of a flow, or of a host/port/time range, to one pcapng file.
  status | interfaces | counters | policies | pcaps | spool  [--json]
      The console: what the agent does (from STATE/status.json), the network interfaces,
      per-stage counters, the policies of the cached config, PCAP storage, the spool.
      COMMAND --help explains each.
  flows FILE [--json]
  flows --interface IF [--seconds N] [--json]
      Print the flows of a capture file or a live capture: a table, or one JSON object per
      line with --json (live capture counters go to stderr).
  decode FILE [--json]
      Decode every packet of a capture file: one line per packet, like tcpdump -nn, or one
      JSON object per packet with --json (layers, addresses, ports, tunnels, errors).
  distribute FILE --policy FILE.json [--json]
      Replay a capture file through distribution policies (a JSON array, or {"policies": [...]},
      as in the config document's policies.distribution) and send the copies to their points
      (VXLAN, GRE, ERSPAN II/III); prints the counters per policy and per point.
  requests FILE [--json] [--obfuscate]
      Print the request logs of a capture file (HTTP/1.x, DNS, PostgreSQL, MySQL, Redis):
      a table, or one JSON object per request with --json (DeepFlow's l7_flow_log names);
      --obfuscate replaces SQL literals and Redis values by ?.

Options:
  --manager URL      manager base URL, e.g. http://127.0.0.1:8080 (env TAPLINE_MANAGER);
                     replay and run use the enrolled one unless given
  --token T          enrollment token (tple_…), from the manager's "Enroll an appliance"
  --name N           display name asked for at enrollment (default: host name)
  --state-dir DIR    the appliance's state: identity, config cache, spool, status
                     (env TAPLINE_STATE_DIR; default data/appliance)
  --spool-max-bytes N
                     bound of the spool per stream (default: the config's, else 1 GiB)
  --batch-size N     flow (and request) records per batch, 1-100000 (default 1000)
  --no-l7            replay, run: no request logs (application protocols are not parsed)
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

Exit status: 0 success, 1 runtime error (unreadable file, manager unreachable or
refusing, no agent running where one is needed), 2 bad command line, 3 not enrolled.`;

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

/** The console's views of the running appliance. */
export const CONSOLE_VIEWS = [
  "status",
  "interfaces",
  "counters",
  "policies",
  "pcaps",
  "spool",
] as const;
export type ConsoleView = typeof CONSOLE_VIEWS[number];

/** Where the appliance keeps its state, and the spool's bound when given on the command line. */
export interface StateSpec {
  stateDir: string;
  spoolMaxBytes?: number;
}

export type Command =
  | { kind: "help"; topic?: string }
  | (
    & { kind: "replay"; manager?: string; batchSize: number; l7: boolean }
    & StateSpec
    & PacketInput
    & FilterSpec
  )
  | {
    kind: "enroll";
    manager: string;
    token: string;
    name?: string;
    hostname: string;
    stateDir: string;
  }
  | (
    & {
      kind: "run";
      manager?: string;
      replay?: string;
      batchSize: number;
      l7: boolean;
      stopTimeoutMs?: number;
    }
    & StateSpec
    & FilterSpec
  )
  | { kind: "console"; view: ConsoleView; json: boolean; stateDir: string; pcapDir?: string }
  | PcapCommand
  | ({ kind: "flows"; json: boolean } & PacketInput & FilterSpec)
  | ({ kind: "decode"; file: string; json: boolean } & FilterSpec)
  | { kind: "distribute"; file: string; policy: string; json: boolean }
  | ({ kind: "requests"; file: string; json: boolean; obfuscate: boolean } & FilterSpec);

export type ConfigResult = { ok: true; command: Command } | { ok: false; problems: string[] };

export interface ConfigSources {
  args: readonly string[];
  env: (name: string) => string | undefined;
  hostname: () => string;
}

const OPTIONS = {
  manager: { type: "string" },
  token: { type: "string" },
  name: { type: "string" },
  "state-dir": { type: "string" },
  "spool-max-bytes": { type: "string" },
  replay: { type: "string" },
  "batch-size": { type: "string" },
  "stop-timeout": { type: "string" },
  json: { type: "boolean" },
  interface: { type: "string" },
  seconds: { type: "string" },
  "observation-point": { type: "string" },
  backend: { type: "string" },
  filter: { type: "string" },
  obfuscate: { type: "boolean" },
  "no-l7": { type: "boolean" },
  dir: { type: "string" },
  quota: { type: "string" },
  "rotate-bytes": { type: "string" },
  flow: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  write: { type: "string", short: "w" },
  policy: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const LIVE_OPTIONS = ["interface", "seconds", "observation-point", "backend"];
const OPTIONS_OF: Record<string, readonly string[]> = {
  replay: [
    "manager",
    "batch-size",
    "filter",
    "help",
    "state-dir",
    "spool-max-bytes",
    "no-l7",
    ...LIVE_OPTIONS,
  ],
  enroll: ["manager", "token", "name", "state-dir", "help"],
  run: [
    "manager",
    "replay",
    "batch-size",
    "filter",
    "state-dir",
    "spool-max-bytes",
    "no-l7",
    "stop-timeout",
    "help",
  ],
  ...Object.fromEntries(CONSOLE_VIEWS.map((view) => [view, ["json", "state-dir", "help"]])),
  flows: ["json", "filter", "help", ...LIVE_OPTIONS],
  decode: ["json", "filter", "help"],
  distribute: ["json", "policy", "help"],
  requests: ["json", "obfuscate", "filter", "help"],
  pcaps: ["json", "state-dir", "dir", "help"],
  "pcap-store": ["policy", "dir", "quota", "rotate-bytes", "help"],
  "pcap-extract": ["dir", "flow", "host", "port", "since", "until", "write", "help"],
};
/** A year: beyond that `--seconds` is surely a typo. */
const MAX_SECONDS = 365 * 86_400;

const DEFAULT_BATCH_SIZE = 1000;
const MAX_BATCH_SIZE = 100_000;

function checkManager(text: string | undefined, problems: string[]): string {
  if (text === undefined || text === "") {
    problems.push("enroll needs --manager URL (or TAPLINE_MANAGER)");
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
  const [command, file, ...extra] = positionals;
  if (values.help === true) {
    return {
      ok: true,
      command: command !== undefined && command in OPTIONS_OF
        ? { kind: "help", topic: command }
        : { kind: "help" },
    };
  }
  const allowed = command === undefined ? undefined : OPTIONS_OF[command];
  if (command === undefined) problems.push("missing command (see the list below)");
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
  if (command !== undefined && command in FLEET_PARSERS) {
    const rest = positionals.slice(1);
    const command_ = FLEET_PARSERS[command]!(rest, { text, values, sources, problems });
    return problems.length > 0 ? { ok: false, problems } : { ok: true, command: command_ };
  }
  const live = allowed === undefined ? undefined : parseLive(text, file !== undefined, problems);
  if (allowed !== undefined && file === undefined && live === undefined) {
    problems.push(`${command} needs a FILE`);
  }
  for (const argument of extra) problems.push(`unexpected argument ${JSON.stringify(argument)}`);
  const input: PacketInput = live === undefined ? { file: file! } : { live };
  const filter: FilterSpec = text("filter") === undefined ? {} : { filter: text("filter") };
  if (command === "replay") {
    const managerText = text("manager") ?? sources.env("TAPLINE_MANAGER");
    const manager = managerText === undefined ? undefined : checkManager(managerText, problems);
    const batchSize = parseBatchSize(text("batch-size"), problems);
    const state = parseState(text, sources, problems);
    if (problems.length > 0) return { ok: false, problems };
    return {
      ok: true,
      command: {
        kind: "replay",
        ...input,
        ...(manager === undefined ? {} : { manager }),
        batchSize,
        l7: values["no-l7"] !== true,
        ...state,
        ...filter,
      },
    };
  }
  if (command === "distribute") {
    const policy = text("policy");
    if (policy === undefined) problems.push("distribute needs --policy FILE.json");
    if (file === undefined && live) problems.push("distribute needs a FILE");
    if (problems.length > 0) return { ok: false, problems };
    return {
      ok: true,
      command: { kind: "distribute", file: file!, policy: policy!, json: values.json === true },
    };
  }
  // decode reads files only: --interface was refused above, but must not stand for the FILE.
  if ((command === "decode" || command === "requests") && file === undefined && live) {
    problems.push(`${command} needs a FILE`);
  }
  if (problems.length > 0) return { ok: false, problems };
  if (command === "requests") {
    const obfuscate = values.obfuscate === true;
    return {
      ok: true,
      command: { kind: "requests", file: file!, json: values.json === true, obfuscate, ...filter },
    };
  }
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

function parseBatchSize(sizeText: string | undefined, problems: string[]): number {
  const batchSize = sizeText === undefined ? DEFAULT_BATCH_SIZE : Number(sizeText);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    problems.push(`--batch-size: expected an integer from 1 to ${MAX_BATCH_SIZE}, got ${sizeText}`);
  }
  return batchSize;
}

/** Smallest spool bound: one batch of the largest size must fit. */
const MIN_SPOOL_BYTES = 1024 * 1024;

function stateDirOf(text: (name: string) => string | undefined, sources: ConfigSources): string {
  return (text("state-dir") ?? sources.env("TAPLINE_STATE_DIR") ?? "data/appliance")
    .replace(/\/+$/, "") || "/";
}

function parseState(
  text: (name: string) => string | undefined,
  sources: ConfigSources,
  problems: string[],
): StateSpec {
  const stateDir = stateDirOf(text, sources);
  const bytesText = text("spool-max-bytes");
  if (bytesText === undefined) return { stateDir };
  const spoolMaxBytes = Number(bytesText);
  if (!Number.isSafeInteger(spoolMaxBytes) || spoolMaxBytes < MIN_SPOOL_BYTES) {
    problems.push(
      `--spool-max-bytes: expected a number of bytes of at least ${MIN_SPOOL_BYTES}, got ${bytesText}`,
    );
  }
  return { stateDir, spoolMaxBytes };
}

interface FleetParseContext {
  text: (name: string) => string | undefined;
  values: Record<string, unknown>;
  sources: ConfigSources;
  problems: string[];
}

function noArguments(rest: readonly string[], problems: string[]): void {
  for (const argument of rest) problems.push(`unexpected argument ${JSON.stringify(argument)}`);
}

/** The fleet commands (issue #4): enroll, run and the console views. */
const FLEET_PARSERS: Record<string, (rest: string[], c: FleetParseContext) => Command> = {
  enroll(rest, { text, sources, problems }) {
    noArguments(rest, problems);
    const manager = checkManager(text("manager") ?? sources.env("TAPLINE_MANAGER"), problems);
    const token = text("token");
    if (token === undefined) problems.push("enroll needs --token T (an enrollment token)");
    const name = text("name");
    if (name !== undefined && name.length > 128) problems.push("--name: at most 128 characters");
    return {
      kind: "enroll",
      manager,
      token: token ?? "",
      ...(name === undefined ? {} : { name }),
      hostname: sources.hostname(),
      stateDir: stateDirOf(text, sources),
    };
  },
  run(rest, { text, values, sources, problems }) {
    noArguments(rest, problems);
    const managerText = text("manager") ?? sources.env("TAPLINE_MANAGER");
    const manager = managerText === undefined ? undefined : checkManager(managerText, problems);
    const replay = text("replay");
    const filter = text("filter");
    const stopText = text("stop-timeout");
    const stopSeconds = stopText === undefined ? undefined : Number(stopText);
    if (
      stopSeconds !== undefined && (!(stopSeconds >= 0 && stopSeconds <= 600) || stopText === "")
    ) {
      problems.push("--stop-timeout: expected seconds, 0-600");
    }
    return {
      kind: "run",
      ...(stopSeconds === undefined ? {} : { stopTimeoutMs: Math.round(stopSeconds * 1000) }),
      ...(manager === undefined ? {} : { manager }),
      ...(replay === undefined ? {} : { replay }),
      ...(filter === undefined ? {} : { filter }),
      batchSize: parseBatchSize(text("batch-size"), problems),
      l7: values["no-l7"] !== true,
      ...parseState(text, sources, problems),
    };
  },
  ...Object.fromEntries(CONSOLE_VIEWS.map((view) => [
    view,
    (rest: string[], { text, values, sources, problems }: FleetParseContext): Command => {
      noArguments(rest, problems);
      return {
        kind: "console",
        view,
        json: values.json === true,
        stateDir: stateDirOf(text, sources),
        ...(view === "pcaps" && text("dir") !== undefined ? { pcapDir: text("dir") } : {}),
      };
    },
  ])),
  "pcap-store": (rest, { text, problems }) => parsePcapCommand("pcap-store", rest, text, problems),
  "pcap-extract": (rest, { text, problems }) =>
    parsePcapCommand("pcap-extract", rest, text, problems),
};

/** Reads this process's flags and environment. */
export function loadConfig(): ConfigResult {
  return parseConfig({
    args: Deno.args,
    env: (name) => Deno.env.get(name),
    hostname: () => Deno.hostname(),
  });
}
