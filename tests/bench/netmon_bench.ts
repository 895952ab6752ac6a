/**
 * The network-monitoring bench (issue #9): loads flow-log rows into a scratch database on the real
 * PostgreSQL of DATABASE_URL with COPY (generated here: 24 h of traffic shaped like a real site —
 * see {@link Traffic} — and a share of NAT pairs seen on both sides of a SNAT + LB), runs the
 * network-metrics rollup, then times the views as the manager runs them and prints one table of
 * p50/p95 against the targets. The scratch database is dropped at the end.
 *
 *   DATABASE_URL=postgres://tapline:tapline@127.0.0.1:5432/tapline \
 *     deno task bench netmon [--rows 10000000] [--runs 20] [--nat-share 0.05]
 *
 * Progress goes to stderr; stdout gets the table. Needs `psql` (the load pipes COPY into it).
 */
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { type Database, migrate, openDatabase, PartitionManager } from "../../manager/db/mod.ts";
import {
  hopOfRow,
  parseNetmonParams,
  queryResources,
  queryTopology,
  rollupRange,
  traceNat,
} from "../../manager/netmon/mod.ts";
import { parseFlowFilters, queryFlows } from "../../manager/query/mod.ts";
import { createScratchDatabase, POSTGRES_URL } from "../support/db.ts";

const START = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const APPLIANCES = ["npb-1", "npb-2", "npb-3", "npb-4"];
const CLIENTS = 20_000;
const SERVERS = 600;
const SERVER_PORTS = [443, 80, 8080, 5432, 3306, 6379, 9092, 22, 8443, 9200];

function progress(line: string): void {
  console.error(`bench netmon: ${line}`);
}

/** A small fast PRNG (mulberry32): the same seed gives the same data. */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

/** Draws ranks 0..n-1 with P(k) ∝ 1 / (k + 1)^s (Zipf): a few busy hosts and a long tail. */
class Zipf {
  readonly #cdf: Float64Array;
  constructor(n: number, s: number) {
    this.#cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) this.#cdf[k] = sum += 1 / Math.pow(k + 1, s);
    for (let k = 0; k < n; k++) this.#cdf[k]! /= sum;
  }
  draw(rng: Rng): number {
    const r = rng.next();
    let lo = 0;
    let hi = this.#cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#cdf[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** How many servers a client talks to, and how its flows split between them. */
const FAVOURITES = [0.6, 0.25, 0.1, 0.05];
const SERVER_ZIPF = 1.0;
const CLIENT_ZIPF = 0.8;

/**
 * The shape of the bench traffic: each server sits behind one appliance and one capture point and
 * serves one port (every tenth is a DNS server on UDP 53); each client talks to a few favourite
 * servers drawn by server popularity (Zipf); clients are drawn by their own popularity (Zipf).
 * So a minute's rows fold into far fewer (client, server, point, port) groups than rows, as on a
 * real network.
 */
class Traffic {
  readonly clients = new Zipf(CLIENTS, CLIENT_ZIPF);
  readonly #favourites = new Int32Array(CLIENTS * FAVOURITES.length);
  constructor(rng: Rng) {
    const servers = new Zipf(SERVERS, SERVER_ZIPF);
    for (let i = 0; i < this.#favourites.length; i++) this.#favourites[i] = servers.draw(rng);
  }
  /** A server of client `c`: mostly its first favourite. */
  serverOf(c: number, rng: Rng): number {
    let r = rng.next();
    for (let k = 0; k < FAVOURITES.length; k++) {
      r -= FAVOURITES[k]!;
      if (r < 0) return this.#favourites[c * FAVOURITES.length + k]!;
    }
    return this.#favourites[c * FAVOURITES.length]!;
  }
  static describe(): string {
    return `Traffic: ${
      CLIENTS.toLocaleString("en-US")
    } clients (Zipf s=${CLIENT_ZIPF}), ${SERVERS} ` +
      `servers (Zipf s=${SERVER_ZIPF}) each fixed to one appliance, capture point and port; ` +
      `every client talks to ${FAVOURITES.length} favourite servers (${
        FAVOURITES.map((f) => `${f * 100}%`).join("/")
      } of its flows)`;
  }
}

const clientIp = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const serverIp = (i: number) => `172.16.${(i >> 8) & 255}.${i & 255}`;
const serverPort = (i: number) => SERVER_PORTS[i % SERVER_PORTS.length]!;
const serverAppliance = (i: number) => APPLIANCES[(i * 7) % APPLIANCES.length]!;
const serverNic = (i: number) => 1 + ((i >> 3) & 1);
const isDnsServer = (i: number) => i % 10 === 9;
/** AutoTagging names of the generated endpoints. */
const hostOf = (client: number) => client % 4 === 0 ? `pc-${client}` : "";
const serviceOf = (server: number, port: number) => port === 53 ? "dns" : `app-${server % 40}`;

/** The columns the generator fills; every other NOT NULL column without default gets a zero. */
const GENERATED = [
  "appliance_id",
  "time",
  "flow_id",
  "start_time",
  "end_time",
  "duration",
  "is_new_flow",
  "close_type",
  "ip_version",
  "ip_0",
  "ip_1",
  "client_port",
  "server_port",
  "protocol",
  "capture_nic",
  "observation_point",
  "packet_tx",
  "packet_rx",
  "byte_tx",
  "byte_rx",
  "syn_count",
  "synack_count",
  "syn_seq",
  "syn_ack_seq",
  "retrans_tx",
  "retrans_rx",
  "zero_win_tx",
  "zero_win_rx",
  "rtt",
  "rtt_client",
  "rtt_server",
  "srt_sum",
  "srt_count",
  "art_sum",
  "art_count",
  // AutoTagging, as ingest fills it: every server a host and a service, a quarter of clients a host.
  "host_0",
  "host_1",
  "service_1",
] as const;

/** A NAT origin to trace later: found again after the load by its handshake ISN. */
interface NatOrigin {
  appliance: string;
  timeMs: number;
  synSeq: number;
}

/** The extra columns (zeros by type) and their COPY text. */
async function fillerColumns(database: Database): Promise<{ names: string[]; text: string }> {
  const columns = await database.rows<{ name: string; type: string }>(sql`
    select column_name as name, data_type as type from information_schema.columns
    where table_name = 'flow_log' and table_schema = current_schema()
      and is_nullable = 'NO' and column_default is null`);
  const missing = GENERATED.filter((c) => !columns.some((x) => x.name === c));
  const have = await database.rows<{ name: string }>(sql`
    select column_name as name from information_schema.columns
    where table_name = 'flow_log' and table_schema = current_schema()`);
  const absent = missing.filter((c) => !have.some((x) => x.name === c));
  if (absent.length > 0) throw new Error(`flow_log has no column ${absent.join(", ")}`);
  const extra = columns.filter((c) => !(GENERATED as readonly string[]).includes(c.name));
  const zero = (type: string) =>
    type === "text" || type.startsWith("character")
      ? ""
      : type === "jsonb" || type === "json"
      ? "{}"
      : type === "inet"
      ? "0.0.0.0"
      : type === "boolean"
      ? "f"
      : "0";
  return {
    names: extra.map((c) => c.name),
    text: extra.map((c) => `\t${zero(c.type)}`).join(""),
  };
}

/**
 * Writes `rows` flow-log rows through `psql -c "COPY … FROM STDIN"`; returns the NAT origins
 * kept for tracing. Rows come in time order, as ingest writes them.
 */
async function load(
  url: string,
  database: Database,
  rows: number,
  natShare: number,
): Promise<NatOrigin[]> {
  const filler = await fillerColumns(database);
  const columns = [...GENERATED, ...filler.names].map((c) => `"${c}"`).join(", ");
  const psql = new Deno.Command("psql", {
    args: [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", `COPY flow_log (${columns}) FROM STDIN`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = psql.stdin.getWriter();
  const encoder = new TextEncoder();
  const rng = new Rng(42);
  const traffic = new Traffic(rng);
  const origins: NatOrigin[] = [];
  const flowIds = new Map<string, number>();
  let buffer = "";
  let written = 0;
  let nextReport = 0;
  const began = performance.now();
  const row = (
    appliance: string,
    timeMs: number,
    nic: number,
    op: string,
    ip0: string,
    cport: number,
    ip1: string,
    sport: number,
    protocol: number,
    bytesTx: number,
    bytesRx: number,
    synSeq: number,
    synAckSeq: number,
    rtt: number,
    retrans: number,
    tags: readonly [string, string, string],
  ) => {
    const key = `${appliance}#${nic}`;
    const flowId = (flowIds.get(key) ?? 0) + 1;
    flowIds.set(key, flowId);
    const startUs = timeMs * 1000;
    const durationUs = 1000 + Math.floor(bytesTx * 3);
    const packetsTx = 1 + Math.floor(bytesTx / 900);
    const packetsRx = 1 + Math.floor(bytesRx / 1200);
    const tcp = protocol === 6;
    const closeType = tcp ? (retrans > 3 ? 2 : 1) : 0;
    const srtCount = tcp ? 1 : 0;
    buffer += `${appliance}\t${new Date(timeMs).toISOString()}\t${flowId}\t${startUs}\t${
      startUs + durationUs
    }\t${durationUs}\t1\t${closeType}\t4\t${ip0}\t${ip1}\t${cport}\t${sport}\t${protocol}\t${nic}\t${op}\t${packetsTx}\t${packetsRx}\t${bytesTx}\t${bytesRx}\t${
      tcp ? 1 : 0
    }\t${tcp ? 1 : 0}\t${synSeq}\t${synAckSeq}\t${retrans}\t0\t0\t0\t${rtt}\t${rtt >> 2}\t${
      rtt - (rtt >> 2)
    }\t${srtCount * (rtt + 300)}\t${srtCount}\t${srtCount * (rtt * 3)}\t${srtCount}\t${
      tags.join("\t")
    }${filler.text}\n`;
    written++;
  };
  const flush = async () => {
    if (buffer.length === 0) return;
    await writer.write(encoder.encode(buffer));
    buffer = "";
  };
  const natEvery = natShare > 0 ? Math.max(2, Math.round(1 / natShare)) : 0;
  for (let i = 0; written < rows; i++) {
    const timeMs = Math.min(
      START + DAY_MS - 1,
      START + Math.floor((written / rows) * DAY_MS) + rng.int(0, 999),
    );
    const c = traffic.clients.draw(rng);
    const s = traffic.serverOf(c, rng);
    const appliance = serverAppliance(s);
    const protocol = isDnsServer(s) ? 17 : rng.next() < 0.01 ? 1 : 6;
    const port = protocol === 17 ? 53 : protocol === 1 ? 0 : serverPort(s);
    const cport = protocol === 1 ? 0 : rng.int(32768, 60999);
    const bytesTx = Math.floor(80 * Math.exp(rng.next() * 7));
    const bytesRx = Math.floor(bytesTx * (0.5 + rng.next() * 6));
    const synSeq = protocol === 6 ? rng.int(1, 0xfffffffe) : 0;
    const synAckSeq = protocol === 6 ? rng.int(1, 0xfffffffe) : 0;
    const rtt = protocol === 6 ? rng.int(200, 60_000) : 0;
    const retrans = protocol === 6 && rng.next() < 0.05 ? rng.int(1, 6) : 0;
    const nat = natEvery > 0 && protocol === 6 && i % natEvery === 0;
    if (!nat) {
      const nic = serverNic(s);
      row(
        appliance,
        timeMs,
        nic,
        nic === 1 ? "c" : "s",
        clientIp(c),
        cport,
        serverIp(s),
        port,
        protocol,
        bytesTx,
        bytesRx,
        synSeq,
        synAckSeq,
        rtt,
        retrans,
        [hostOf(c), `srv-${s}`, serviceOf(s, port)],
      );
    } else {
      // Outside the middlebox: client → VIP; inside: SNAT address → a real server, same ISNs.
      const vip = `203.0.113.${1 + (s % 200)}`;
      row(
        appliance,
        timeMs,
        1,
        "c",
        clientIp(c),
        cport,
        vip,
        443,
        6,
        bytesTx,
        bytesRx,
        synSeq,
        synAckSeq,
        rtt,
        retrans,
        [hostOf(c), "", `vip-${s % 200}`],
      );
      row(
        appliance,
        timeMs,
        2,
        "s",
        `10.255.${APPLIANCES.indexOf(appliance)}.1`,
        1024 + rng.int(0, 60000),
        `172.31.${s & 255}.${10 + rng.int(0, 3)}`,
        8443,
        6,
        bytesTx,
        bytesRx,
        synSeq,
        synAckSeq,
        rtt - (rtt >> 3),
        Math.max(0, retrans - 1),
        ["", `real-${s & 255}`, `vip-${s % 200}`],
      );
      if (origins.length < 2000 && rng.next() < 0.05) origins.push({ appliance, timeMs, synSeq });
    }
    if (buffer.length >= 1 << 20) await flush();
    if (written >= nextReport) {
      const s = (performance.now() - began) / 1000;
      progress(
        `loaded ${written.toLocaleString("en-US")} rows (${
          Math.round(written / Math.max(s, 0.001)).toLocaleString("en-US")
        } rows/s)`,
      );
      nextReport += Math.max(100_000, Math.floor(rows / 20));
    }
  }
  await flush();
  await writer.close();
  const out = await psql.output();
  if (!out.success) {
    throw new Error(`psql COPY failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return origins;
}

interface Measured {
  what: string;
  targetMs: number;
  times: number[];
  note: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs `fn(i)` twice to warm up, then `runs` times; the times in ms. */
async function time(runs: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 2; i++) await fn(1000 + i);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return times;
}

const hourOf = (i: number) => {
  const from = START + ((i * 7) % 24) * HOUR_MS;
  return { fromMs: from, toMs: from + HOUR_MS };
};
const utc = (ms: number) => new Date(ms).toISOString().slice(0, 16);

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      rows: { type: "string", default: "10000000" },
      runs: { type: "string", default: "20" },
      "nat-share": { type: "string", default: "0.05" },
    },
  });
  const rows = Number(values.rows);
  const runs = Number(values.runs);
  const natShare = Number(values["nat-share"]);
  if (!Number.isSafeInteger(rows) || rows < 1000 || !Number.isSafeInteger(runs) || runs < 1) {
    console.error("bench netmon: --rows takes an integer ≥ 1000, --runs a positive integer");
    return 2;
  }
  if (!(natShare >= 0 && natShare <= 0.5)) {
    console.error("bench netmon: --nat-share takes a fraction from 0 to 0.5");
    return 2;
  }
  if (!POSTGRES_URL) {
    console.error(
      "bench netmon: needs DATABASE_URL (a PostgreSQL server; a scratch database is made)",
    );
    return 2;
  }
  const scratch = await createScratchDatabase();
  progress(`scratch database ${new URL(scratch.url).pathname.slice(1)}`);
  const database = await openDatabase({ url: scratch.url, dataDir: "" });
  const measured: Measured[] = [];
  const facts: string[] = [];
  try {
    await migrate(database);
    await new PartitionManager(database).ensure("flow_log", [START, START + DAY_MS - 1]);
    let t0 = performance.now();
    const origins = await load(scratch.url, database, rows, natShare);
    const loadS = (performance.now() - t0) / 1000;
    facts.push(
      `Loaded ${rows.toLocaleString("en-US")} flow-log rows over 24 h with COPY in ${
        loadS.toFixed(1)
      } s (${Math.round(rows / loadS).toLocaleString("en-US")} rows/s, indexes in place)`,
    );
    facts.push(Traffic.describe());
    progress("analyze");
    await database.rows(sql`analyze flow_log`);

    t0 = performance.now();
    let metricRows = 0;
    for (let h = 0; h < 24; h++) {
      const r = await rollupRange(database, {
        fromMs: START + h * HOUR_MS,
        toMs: START + (h + 1) * HOUR_MS,
      });
      metricRows += r.rows;
      progress(`rollup hour ${h + 1}/24: ${r.rows.toLocaleString("en-US")} metric rows`);
    }
    const rollupS = (performance.now() - t0) / 1000;
    await database.rows(sql`analyze network_metrics_1m`);
    await database.rows(sql`analyze network_metrics_1h`);
    await database.rows(sql`analyze network_metrics_dim_1h`);
    const [sizes] = await database.rows<{ h: string; d: string }>(sql`
      select (select count(*) from network_metrics_1h) as h,
        (select count(*) from network_metrics_dim_1h) as d`);
    facts.push(
      `Rollup of 24 h (24 one-hour runs): ${rollupS.toFixed(1)} s, ${
        metricRows.toLocaleString("en-US")
      } rows in network_metrics_1m, ${Number(sizes?.h).toLocaleString("en-US")} in _1h, ${
        Number(sizes?.d).toLocaleString("en-US")
      } in _dim_1h (${(rollupS / 1440 * 1000).toFixed(0)} ms per minute rolled)`,
    );

    // The NAT origins as flow-log row refs (their ids were given by the database).
    const refs: { appliance: string; timeMs: number; id: number }[] = [];
    for (const o of origins.slice(0, Math.max(runs + 2, 40))) {
      const [r] = await database.rows<{ id: string }>(sql`
        select id from flow_log where syn_seq = ${o.synSeq} and capture_nic = 1
          and appliance_id = ${o.appliance}
          and time = ${new Date(o.timeMs).toISOString()}::timestamptz`);
      if (r) refs.push({ appliance: o.appliance, timeMs: o.timeMs, id: Number(r.id) });
    }
    if (refs.length === 0) throw new Error("no NAT origin found after the load");

    progress(`flow-log search by IP and 1 h of time × ${runs}`);
    // IPs searched as often as they talk: the busy ones are searched most.
    const searched = new Zipf(CLIENTS, CLIENT_ZIPF);
    let found = 0;
    measured.push({
      what: "Flow-log search by IP + 1 h (count, page of 50, chart)",
      targetMs: 300,
      times: await time(runs, async (i) => {
        const { fromMs, toMs } = hourOf(i);
        const ip = clientIp(searched.draw(new Rng(i + 7)));
        const { query, errors } = parseFlowFilters(
          new URLSearchParams({ ip, from: utc(fromMs), to: utc(toMs) }),
          50,
        );
        if (Object.keys(errors).length > 0) throw new Error(JSON.stringify(errors));
        found += (await queryFlows(database, query)).total;
      }),
      note: "",
    });
    measured[measured.length - 1]!.note = `${
      Math.round(found / (runs + 2)).toLocaleString("en-US")
    } rows matched on average`;

    progress(`resource analysis over 24 h × ${runs}`);
    const groups = [
      "ip",
      "client_ip",
      "server_ip",
      "server_port",
      "capture_point",
      "tag:host",
      "tag:service",
    ];
    const slowest = new Map<string, number>();
    let source = "";
    measured.push({
      what: "Resource analysis, 24 h, top 10 (table + chart)",
      targetMs: 1000,
      times: await time(runs, async (i) => {
        const group = groups[i % groups.length]!;
        const { filters } = parseNetmonParams(new URLSearchParams({ group, metric: "bytes" }));
        const t = performance.now();
        source = (await queryResources(database, filters, { fromMs: START, toMs: START + DAY_MS }))
          .source;
        slowest.set(group, Math.max(slowest.get(group) ?? 0, performance.now() - t));
      }),
      note: "",
    });
    measured[measured.length - 1]!.note = `slowest per group: ${
      [...slowest].map(([g, ms]) => `${g} ${ms.toFixed(0)}`).join(", ")
    } ms; ${source}`;

    progress(`topology over 1 h × ${runs}`);
    const metrics = ["bytes", "rtt", "retrans_ratio"];
    let edges = 0;
    measured.push({
      what: "Topology, 1 h (edges, thresholds, layout)",
      targetMs: 1000,
      times: await time(runs, async (i) => {
        const { filters } = parseNetmonParams(
          new URLSearchParams({ metric: metrics[i % metrics.length]! }),
        );
        edges = (await queryTopology(database, filters, hourOf(i))).totalEdges;
      }),
      note: `metrics ${metrics.join(", ")} in turn; ${
        edges.toLocaleString("en-US")
      } edges in the last hour (150 drawn)`,
    });

    progress(`NAT trace × ${runs}`);
    let matched = 0;
    measured.push({
      what: "NAT trace from a flow-log row (normal strictness)",
      targetMs: 500,
      times: await time(runs, async (i) => {
        const origin = await hopOfRow(database, refs[i % refs.length]!);
        if (!origin) throw new Error("NAT origin row vanished");
        if ((await traceNat(database, origin, { strictness: "normal" })).confident) matched++;
      }),
      note: "",
    });
    measured[measured.length - 1]!.note = `${matched} of ${runs + 2} traces matched the other side`;
  } finally {
    await database.close();
    await scratch.drop();
    progress("scratch database dropped");
  }
  console.log(render(measured, facts));
  return measured.every((m) => percentile([...m.times].sort((a, b) => a - b), 95) <= m.targetMs)
    ? 0
    : 1;
}

function render(rows: Measured[], facts: string[]): string {
  const header = ["Query", "Runs", "p50 ms", "p95 ms", "Max ms", "Target p95", "Result", "Note"];
  const lines = rows.map((m) => {
    const sorted = [...m.times].sort((a, b) => a - b);
    const p95 = percentile(sorted, 95);
    return [
      m.what,
      String(sorted.length),
      percentile(sorted, 50).toFixed(0),
      p95.toFixed(0),
      sorted[sorted.length - 1]!.toFixed(0),
      `≤ ${m.targetMs} ms`,
      p95 <= m.targetMs ? "pass" : "FAIL",
      m.note,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    `| ${
      cells.map((c, i) => (i >= 1 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(
        " | ",
      )
    } |`;
  return [
    "Network monitoring on PostgreSQL (issue #9)",
    ...facts,
    `${Deno.build.target}, Deno ${Deno.version.deno}; p50/p95 over the runs after 2 warm-ups`,
    "",
    format(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...lines.map(format),
  ].join("\n");
}

export { main as netmonBench };

if (import.meta.main) Deno.exit(await main(Deno.args));
