/**
 * The `pcap-store` and `pcap-extract` commands: their options as config.ts parsed them, checked
 * here (every problem named), and run.
 */
import { CaptureError } from "../capture/mod.ts";
import { FilterError } from "../policy/mod.ts";
import { extractPackets } from "./extract.ts";
import type { PacketQuery } from "./flow_index.ts";
import { parsePcapPolicy, type PcapPolicy } from "./policy.ts";
import { storeFile } from "./replay.ts";
import { PcapStoreError } from "./store.ts";

export type PcapCommand =
  | {
    kind: "pcap-store";
    file: string;
    policyPath: string;
    dir: string;
    quotaBytes?: number;
    quotaPercent?: number;
    rotateBytes?: number;
  }
  | { kind: "pcap-extract"; dir: string; query: PacketQuery; out: string };

const PROTOCOL_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58, sctp: 132 };

function time(text: string, field: string, problems: string[]): number | undefined {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) {
    problems.push(
      `${field}: expected an ISO time or ms since the epoch, got ${JSON.stringify(text)}`,
    );
    return undefined;
  }
  return ms * 1000;
}

/** `PROTO:IP:PORT-IP:PORT` (IPv6 in brackets), e.g. `tcp:10.0.0.1:51000-10.0.0.2:80`. */
export function parseFlowSpec(text: string): PacketQuery["flow"] | undefined {
  const m = /^(tcp|udp|sctp):(\[[^\]]+\]|[\d.]+):(\d+)-(\[[^\]]+\]|[\d.]+):(\d+)$/.exec(text);
  if (m === null) return undefined;
  const ip = (s: string) => s.replace(/^\[|\]$/g, "");
  const port0 = Number(m[3]);
  const port1 = Number(m[5]);
  if (port0 > 65535 || port1 > 65535) return undefined;
  return { protocol: PROTOCOL_NUMBERS[m[1]!]!, ip0: ip(m[2]!), port0, ip1: ip(m[4]!), port1 };
}

/** Builds a pcap command from option texts; adds to `problems` instead of throwing. */
export function parsePcapCommand(
  name: "pcap-store" | "pcap-extract",
  rest: readonly string[],
  text: (option: string) => string | undefined,
  problems: string[],
): PcapCommand {
  const dir = text("dir") ?? "";
  if (dir === "") problems.push(`${name} needs --dir DIR (the PCAP store)`);
  const count = (option: string) => {
    const t = text(option);
    if (t === undefined) return undefined;
    const n = Number(t);
    if (!Number.isSafeInteger(n) || n < 1) {
      problems.push(`--${option}: expected a positive integer, got ${t}`);
    }
    return n;
  };
  if (name === "pcap-store") {
    const [file, ...extra] = rest;
    if (file === undefined) problems.push("pcap-store needs a FILE");
    for (const a of extra) problems.push(`unexpected argument ${JSON.stringify(a)}`);
    const policyPath = text("policy") ?? "";
    if (policyPath === "") {
      problems.push("pcap-store needs --policy P.json (a policy or a list of them)");
    }
    const quota = text("quota");
    let quotaBytes: number | undefined;
    let quotaPercent: number | undefined;
    if (quota !== undefined) {
      const percent = /^(\d+(?:\.\d+)?)%$/.exec(quota);
      if (percent && Number(percent[1]) > 0 && Number(percent[1]) <= 100) {
        quotaPercent = Number(percent[1]);
      } else if (/^\d+$/.test(quota) && Number(quota) > 0) quotaBytes = Number(quota);
      else {problems.push(
          `--quota: expected bytes or a percentage of the disk (e.g. 20%), got ${quota}`,
        );}
    }
    const rotateBytes = count("rotate-bytes");
    return {
      kind: "pcap-store",
      file: file ?? "",
      policyPath,
      dir,
      ...(quotaBytes === undefined ? {} : { quotaBytes }),
      ...(quotaPercent === undefined ? {} : { quotaPercent }),
      ...(rotateBytes === undefined ? {} : { rotateBytes }),
    };
  }
  for (const a of rest) problems.push(`unexpected argument ${JSON.stringify(a)}`);
  const query: PacketQuery = {};
  const flowText = text("flow");
  if (flowText !== undefined) {
    const flow = parseFlowSpec(flowText);
    if (flow === undefined) {
      problems.push(`--flow: expected PROTO:IP:PORT-IP:PORT, got ${flowText}`);
    } else query.flow = flow;
  }
  const host = text("host");
  if (host !== undefined) query.host = host;
  const port = text("port");
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      problems.push(`--port: expected 0-65535, got ${port}`);
    } else query.port = Number(port);
  }
  const since = text("since");
  if (since !== undefined) query.sinceUs = time(since, "--since", problems);
  const until = text("until");
  if (until !== undefined) query.untilUs = time(until, "--until", problems);
  if (Object.keys(query).length === 0) {
    problems.push("pcap-extract needs --flow, or some of --host/--port/--since/--until");
  }
  const out = text("write") ?? "";
  if (out === "") problems.push("pcap-extract needs -w OUT.pcapng");
  return { kind: "pcap-extract", dir, query, out };
}

async function readPolicies(
  path: string,
): Promise<{ policies?: PcapPolicy[]; problems: string[] }> {
  let doc: unknown;
  try {
    doc = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    return { problems: [`cannot read ${path}: ${err instanceof Error ? err.message : err}`] };
  }
  const list = Array.isArray(doc) ? doc : [doc];
  const problems: string[] = [];
  const policies: PcapPolicy[] = [];
  list.forEach((item, i) => {
    const r = parsePcapPolicy(item, Array.isArray(doc) ? `policy[${i}]` : "policy");
    if (r.ok) policies.push(r.policy);
    else problems.push(...r.problems);
  });
  return problems.length > 0 ? { problems } : { policies, problems };
}

/** Runs a pcap command; returns the exit status (1 runtime error, 2 bad policy file). */
export async function runPcapCommand(
  command: PcapCommand,
  say: (line: string) => void,
): Promise<number> {
  if (command.kind === "pcap-extract") {
    try {
      Deno.statSync(`${command.dir}/index.sqlite`);
    } catch {
      say(`no PCAP store in ${command.dir}`);
      return 1;
    }
    const r = extractPackets(command.dir, command.query, command.out);
    console.log(
      `${r.packets} packets (${r.bytes} bytes) of ${r.flows} flow records in ${r.files} files written to ${command.out}`,
    );
    return 0;
  }
  const { policies, problems } = await readPolicies(command.policyPath);
  if (policies === undefined) {
    for (const p of problems) say(p);
    return 2;
  }
  try {
    const started = performance.now();
    const r = await storeFile(command.file, command.dir, { ...command, policies, log: say });
    if (r.captureError) say(`warning: ${command.file} is damaged (${r.captureError})`);
    const seconds = (performance.now() - started) / 1000;
    console.log(`${r.packets} packets read in ${seconds.toFixed(2)} s`);
    for (const c of r.counters) {
      console.log(
        `  policy ${c.policy}: ${c.kept} kept (${c.keptBytes} bytes), ${c.filtered} filtered out, ${c.outsideWindow} outside the time window, ${c.overLimit} over the limits; ${c.filesWritten} files written, ${c.filesEvicted} evicted`,
      );
    }
    return 0;
  } catch (err) {
    if (
      err instanceof CaptureError || err instanceof PcapStoreError || err instanceof FilterError
    ) {
      say(err.message);
      return err instanceof CaptureError ? 1 : 2;
    }
    throw err;
  }
}
