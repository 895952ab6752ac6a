/**
 * `deno task bench`: the appliance's throughput against tcpdump and tshark on one generated
 * capture of at least 2,000,000 packets (built once and cached, see _capture.ts), plus the flow
 * table's memory per live flow and the live-capture rows of live_capture_bench.ts. Progress goes
 * to stderr; stdout gets one table.
 *
 *   deno task bench [--runs 5] [--packets 2000000] [--filter "tcp port 80"] [--skip-live]
 *     [--only packets|memory|live|ingest|l7] [--ingest-records 200000] [--l7-connections 9000]
 *     (one section: e.g. `deno task bench --only packets`; `deno task bench ingest` = --only ingest)
 *   deno task bench netmon [--rows 10000000] [--runs 20]   (network monitoring: netmon_bench.ts)
 *   deno task bench distribute [--packets 1000000] [--runs 3]   (VXLAN sending: distribute_bench.ts)
 *   deno task bench pcap [--store-gb 5] [--runs 5]   (PCAP store write rate, flow lookup: pcap_bench.ts)
 *
 * Our rows run in this process: each is timed from opening the file (mapped, as `appliance flows
 * FILE` does) to the last packet (Deno's start-up excluded), one warm-up then `--runs` runs,
 * median quoted; the note gives the same work over the file already read into memory. tcpdump and
 * tshark are timed as whole processes (median of `--runs`, tshark 3 at most). Single core: the
 * pipeline is one JavaScript thread.
 */
import { parseArgs } from "node:util";
import { openCapture, openCaptureFile, type PacketSource } from "../../appliance/capture/mod.ts";
import { Decoder } from "../../appliance/decode/mod.ts";
import { buildFlows } from "../../appliance/pipeline.ts";
import { filterOptionsFor, PacketFilter } from "../../appliance/policy/mod.ts";
import { benchCapture } from "./_capture.ts";
import { type RunOptions, summarize, timeCommand, timeInProcess, type Timing } from "./_measure.ts";

/** One line of the table. Rates come from `packets` and `timing`; other rows give `value`. */
export interface BenchRow {
  id: string;
  what: string;
  packets?: number;
  timing?: Timing;
  value?: string;
  /** Compare with tcpdump's plain read (row d). */
  ratio?: boolean;
  target?: { mpps?: number; ofTcpdump?: number };
  note?: string;
}

/** What extra row providers get. */
export interface BenchContext {
  capturePath: string;
  capturePackets: number;
  runs: number;
  progress: (line: string) => void;
}

function progress(line: string): void {
  console.error(`bench: ${line}`);
}

const ME = import.meta.dirname ?? ".";

/**
 * Our rows: each run opens the file as the appliance does and processes every packet; the table
 * shows the whole run, the notes the processing alone (the packets already in memory).
 */
async function ourRows(
  path: string,
  expression: string,
  options: RunOptions,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const bytes = await Deno.readFile(path);
  const measure = async (
    id: string,
    what: string,
    fn: (source: PacketSource) => number,
    extra: Partial<BenchRow> = {},
  ) => {
    progress(`(${id}) ${what}`);
    const { timing, count } = await timeInProcess(
      async () => fn(await openCaptureFile(path)),
      options,
    );
    const alone = (await timeInProcess(() => fn(openCapture(bytes)), options)).timing;
    const packets = extra.packets ?? count;
    rows.push({
      id,
      what,
      timing,
      ratio: true,
      ...extra,
      packets,
      note: `in memory ${(packets / alone.medianMs / 1000).toFixed(2)} Mpps`,
    });
    return count;
  };
  const packets = await measure("a", "our capture read only", (source) => {
    let n = 0;
    while (source.next()) n++;
    return n;
  });
  await measure("b", "our read + decode", (source) => {
    const decoder = new Decoder();
    let n = 0;
    while (source.next()) {
      decoder.decode(source.packet);
      n++;
    }
    return n;
  });
  await measure("c", "our read + decode + flow table", (source) => buildFlows(source).packets, {
    target: { mpps: 3, ofTcpdump: 0.35 },
  });
  // (c) leaves the records as the flow table's rows; `appliance flows` also makes them objects.
  await measure("c2", "(c) + every record as a FlowRecord object", (source) => {
    const summary = buildFlows(source);
    return summary.records.length >= 0 ? summary.packets : -1;
  });
  // The agent's pipeline also counts per-second metrics (flow/seconds.ts): its cost is c3 − c.
  await measure(
    "c3",
    "(c) + per-second metrics (records kept as rows, as in c)",
    (source) => buildFlows(source, { seconds: true }).packets,
  );
  // The filter's own cost, from back-to-back walks over the same bytes already in memory
  // (with and without the filter), so that reading the file does not blur it.
  for (const interpret of [false, true]) {
    const how = interpret ? "interpreted" : "compiled to JS";
    const id = interpret ? "g2" : "g1";
    // Compiled once, as the appliance does per process: a new function per run would also
    // measure V8 warming it up again, and make the call site megamorphic.
    const sample = openCapture(bytes);
    const filter = new PacketFilter(expression, sample.linkType, {
      ...filterOptionsFor(sample),
      interpret,
    });
    const matching = (source: PacketSource) => {
      let matched = 0;
      while (source.next()) if (filter.matches(source.packet)) matched++;
      return matched;
    };
    await measure(id, `our read + BPF "${expression}", ${how}`, matching, { packets });
    const extra: number[] = [];
    for (let i = 0; i < options.warmups + options.runs; i++) {
      const walk = timeWalk(bytes, (source) => {
        let n = 0;
        while (source.next()) n++;
        return n;
      });
      extra.push(timeWalk(bytes, matching) - walk);
    }
    const ns = summarize(extra.slice(options.warmups)).medianMs * 1e6 / packets;
    // A compiled filter can cost less than the run-to-run noise of the walk it is measured in.
    const alone = ns < 1 ? "< 1 ns/packet (within the noise)" : `≈ ${ns.toFixed(1)} ns/packet`;
    rows.find((r) => r.id === id)!.note += `; the filter alone ${alone}`;
  }
  return rows;
}

function timeWalk(bytes: Uint8Array, fn: (source: PacketSource) => number): number {
  const started = performance.now();
  fn(openCapture(bytes));
  return performance.now() - started;
}

async function externalRows(
  path: string,
  packets: number,
  expression: string,
  options: RunOptions,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const measure = async (id: string, what: string, command: string, args: string[]) => {
    progress(`(${id}) ${what}`);
    const opts = command === "tshark"
      ? { runs: Math.min(options.runs, 3), warmups: 0 }
      : { runs: options.runs, warmups: 1 };
    try {
      const timing = await timeCommand(command, args, opts);
      rows.push({ id, what, packets, timing, ratio: true });
    } catch (err) {
      rows.push({ id, what, value: "n/a", note: (err as Error).message.slice(0, 120) });
    }
  };
  await measure("d", "tcpdump -r FILE -w /dev/null", "tcpdump", ["-r", path, "-w", "/dev/null"]);
  await measure("e", "tcpdump -nn -r FILE > /dev/null", "tcpdump", ["-nn", "-r", path]);
  await measure("f", "tshark -r FILE -q -z conv,tcp", "tshark", [
    "-r",
    path,
    "-q",
    "-z",
    "conv,tcp",
  ]);
  await measure("g3", `tcpdump -r FILE -w /dev/null "${expression}"`, "tcpdump", [
    "-r",
    path,
    "-w",
    "/dev/null",
    expression,
  ]);
  return rows;
}

async function memoryRow(flows: number): Promise<BenchRow> {
  progress(`(m) flow table memory at ${flows.toLocaleString("en-US")} live flows`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", `${ME}/flow_memory.ts`, "--flows", String(flows)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const what = `flow table memory at ${flows.toLocaleString("en-US")} live flows`;
  if (!out.success) {
    return {
      id: "m",
      what,
      value: "n/a",
      note: new TextDecoder().decode(out.stderr).slice(0, 120),
    };
  }
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  return {
    id: "m",
    what,
    value: `${result.bytesPerFlow} B/flow`,
    note: `target ≤ 300 B/flow: ${result.bytesPerFlow <= 300 ? "MET" : "NOT MET"}; heap ${
      mb(result.heapBytes)
    } + ArrayBuffers ${
      mb(result.externalBytes)
    } after GC; typed arrays alone ${result.arrayBytesPerFlow} B/flow; ${
      result.liveFlows.toLocaleString("en-US")
    } live`,
  };
}

/**
 * Live capture (needs root): live_capture_bench.ts sends small UDP packets across a veth pair
 * and captures them. A manager-ingest row (flow records per second through POST
 * /api/v1/ingest) is meant to be added the same way once that benchmark exists.
 */
async function liveRows(context: BenchContext): Promise<BenchRow[]> {
  const what = "live capture (veth, 64-byte UDP)";
  if (Deno.uid() !== 0) return [{ id: "h", what, value: "n/a", note: "needs root" }];
  const live = await import("./live_capture_bench.ts");
  const rows: BenchRow[] = [];
  for (const [i, row] of live.DEFAULT_ROWS.entries()) {
    const id = `h${i + 1}`;
    const label = `live capture ${row.backend}, ${row.mode}, ${
      (row.rate / 1000).toLocaleString("en-US")
    }k pkt/s`;
    context.progress(`(${id}) ${label}`);
    try {
      const r = await live.runLiveCaptureBench(row);
      const seconds = r.sent / r.sentRate;
      rows.push({
        id,
        what: label,
        packets: r.captured,
        timing: { medianMs: seconds * 1000, minMs: seconds * 1000, maxMs: seconds * 1000, runs: 1 },
        note: `${r.sender} sender; ${r.targetRate.toLocaleString("en-US")} pkt/s asked, sent ${
          r.sent.toLocaleString("en-US")
        } at ${Math.round(r.sentRate).toLocaleString("en-US")}/s, captured ${
          r.captured.toLocaleString("en-US")
        }; drops: kernel ${r.capture.droppedByKernel}, before capture ${r.droppedBeforeCapture}`,
      });
    } catch (err) {
      rows.push({ id, what: label, value: "n/a", note: (err as Error).message.slice(0, 120) });
    }
  }
  return rows;
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

function render(rows: BenchRow[], capture: { packets: number; bytes: number }): string {
  const base = rows.find((r) => r.id === "d");
  const rate = (r: BenchRow) =>
    r.packets !== undefined && r.timing !== undefined
      ? r.packets / (r.timing.medianMs / 1000)
      : undefined;
  const baseRate = base ? rate(base) : undefined;
  const header = ["ROW", "WHAT", "PACKETS/S", "MPPS", "× (d)", "MS min–med–max", "TARGET / NOTE"];
  const lines = rows.map((r) => {
    const pps = rate(r);
    const ratio = pps !== undefined && baseRate !== undefined && r.ratio
      ? pps / baseRate
      : undefined;
    let target = "";
    if (r.target && pps !== undefined) {
      const needs: string[] = [];
      let met = true;
      if (r.target.mpps !== undefined) {
        needs.push(`≥ ${r.target.mpps.toFixed(2)} Mpps`);
        met &&= pps >= r.target.mpps * 1e6;
      }
      if (r.target.ofTcpdump !== undefined && ratio !== undefined) {
        needs.push(`≥ ${Math.round(r.target.ofTcpdump * 100)}% of (d)`);
        met &&= ratio >= r.target.ofTcpdump;
      }
      target = `target ${needs.join(" and ")}: ${met ? "MET" : "NOT MET"}`;
    }
    const t = r.timing;
    return [
      `(${r.id})`,
      r.what,
      pps === undefined ? (r.value ?? "") : Math.round(pps).toLocaleString("en-US"),
      pps === undefined ? "" : (pps / 1e6).toFixed(2),
      ratio === undefined ? "" : `${(ratio * 100).toFixed(0)}%`,
      t === undefined || t.runs === 1
        ? ""
        : `${t.minMs.toFixed(0)}–${t.medianMs.toFixed(0)}–${t.maxMs.toFixed(0)}`,
      [target, r.note ?? ""].filter((s) => s !== "").join("; "),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const right = new Set([2, 3, 4, 5]);
  const format = (cells: string[]) =>
    cells.map((c, i) => right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join("  ")
      .trimEnd();
  return [
    `Capture: ${capture.packets.toLocaleString("en-US")} packets, ${
      mb(capture.bytes)
    } (generated HTTP/DNS, Ethernet); ${Deno.build.target}, Deno ${Deno.version.deno}`,
    format(header),
    ...lines.map(format),
  ].join("\n");
}

async function main(): Promise<number> {
  // `deno task bench netmon [--rows N] [--runs N]`: its own flags (netmon_bench.ts).
  if (Deno.args[0] === "netmon") {
    const { netmonBench } = await import("./netmon_bench.ts");
    return await netmonBench(Deno.args.slice(1));
  }
  // `deno task bench pcap [--store-gb N]`: PCAP store write rate and flow lookup (pcap_bench.ts).
  if (Deno.args[0] === "pcap") {
    const { pcapBench } = await import("./pcap_bench.ts");
    return await pcapBench(Deno.args.slice(1));
  }
  // `deno task bench distribute [--packets N] [--runs N]`: VXLAN sending (distribute_bench.ts).
  if (Deno.args[0] === "distribute") {
    const { distributeBench, renderDistributeBench } = await import("./distribute_bench.ts");
    console.log(renderDistributeBench(await distributeBench(Deno.args.slice(1))));
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      runs: { type: "string", default: "5" },
      packets: { type: "string", default: "2000000" },
      filter: { type: "string", default: "tcp port 80" },
      "memory-flows": { type: "string", default: "1000000" },
      "skip-live": { type: "boolean", default: false },
      only: { type: "string" },
      "ingest-records": { type: "string", default: "200000" },
      "l7-connections": { type: "string", default: "9000" },
    },
  });
  const sections = new Set(["packets", "memory", "live", "ingest", "l7"]);
  // `deno task bench ingest` is `--only ingest`.
  if (positionals[0] !== undefined && values.only === undefined) values.only = positionals[0];
  if (values.only !== undefined) {
    if (!sections.has(values.only)) {
      console.error("bench: --only takes packets, memory, live, ingest or l7");
      return 2;
    }
    for (const name of [...sections]) if (name !== values.only) sections.delete(name);
  }
  if (values["skip-live"]) sections.delete("live");
  const ingestRecords = Number(values["ingest-records"]);
  // Manager ingest into PostgreSQL (ingest_bench.ts): its own table, rows/s beside psql \copy.
  const ingest = async () => {
    const { ingestRows, renderIngest } = await import("./ingest_bench.ts");
    const rows = await ingestRows({ records: ingestRecords, progress });
    return `Manager ingest, ${ingestRecords.toLocaleString("en-US")} flow records ` +
      `(DATABASE_URL):\n${renderIngest(rows)}`;
  };
  // L7 parsing (l7_bench.ts): decode + flow vs decode + flow + L7 on its own generated capture.
  const l7 = async () => {
    const { renderL7Bench, runL7Bench } = await import("./l7_bench.ts");
    const runs = Number(values.runs);
    return renderL7Bench(
      await runL7Bench({
        connections: Number(values["l7-connections"]),
        runs: Number.isSafeInteger(runs) && runs > 0 ? runs : 5,
        warmups: 1,
        progress,
      }),
    );
  };
  if (sections.size === 1 && sections.has("l7")) {
    console.log(await l7());
    return 0;
  }
  if (sections.size === 1 && sections.has("ingest")) {
    console.log(await ingest());
    return 0;
  }
  const runs = Number(values.runs);
  const minPackets = Number(values.packets);
  const memoryFlows = Number(values["memory-flows"]);
  if (![runs, minPackets, memoryFlows].every((n) => Number.isSafeInteger(n) && n > 0)) {
    console.error("bench: --runs, --packets and --memory-flows take positive integers");
    return 2;
  }
  progress(`capture of at least ${minPackets.toLocaleString("en-US")} packets`);
  // The other sections name the capture in the table's title, so it is built (or found) anyway.
  const capture = await benchCapture(minPackets, progress);
  progress(
    `${capture.path}: ${capture.packets.toLocaleString("en-US")} packets${
      capture.builtInMs > 0 ? `, built in ${(capture.builtInMs / 1000).toFixed(1)} s` : " (cached)"
    }`,
  );
  const options = { runs, warmups: 1 };
  const rows: BenchRow[] = [];
  if (sections.has("packets")) {
    rows.push(
      ...await ourRows(capture.path, values.filter, options),
      ...await externalRows(capture.path, capture.packets, values.filter, options),
    );
  }
  if (sections.has("memory")) rows.push(await memoryRow(memoryFlows));
  if (sections.has("live")) {
    rows.push(
      ...await liveRows({
        capturePath: capture.path,
        capturePackets: capture.packets,
        runs,
        progress,
      }),
    );
  }
  const order = ["a", "b", "c", "c2", "c3", "d", "e", "f", "g1", "g2", "g3", "m"];
  rows.sort((x, y) =>
    (order.indexOf(x.id) + 1 || 99) - (order.indexOf(y.id) + 1 || 99) || x.id.localeCompare(y.id)
  );
  console.log(render(rows, capture));
  if (sections.has("ingest")) console.log(`\n${await ingest()}`);
  if (sections.has("l7")) console.log(`\n${await l7()}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
