/**
 * Distribution throughput: VXLAN packets/s sent by the appliance's Distributor (filter-free
 * policy, encapsulate, `sendmmsg` via FFI, 64 a call) beside a small C `sendmmsg` sender
 * (_udp_blast.c, compiled with `cc -O2` in a temp dir) over the same loopback path, while a C
 * `recvmmsg` receiver reads. 64- and 1400-byte inner frames; the C sender writes datagrams of
 * the same size as ours (frame + 8-byte VXLAN header). Also the latency a packet gains from
 * entering `process()` to the return of the `sendmmsg` that carried it (p50/p99).
 *
 *   deno run -A --unstable-net tests/bench/distribute_bench.ts [--packets 1000000] [--runs 3]
 *   deno task bench distribute [...]
 */
import { parseArgs } from "node:util";
import { CapturedPacket } from "../../appliance/capture/mod.ts";
import { type DistributionPolicy, Distributor } from "../../appliance/distribute/mod.ts";

const ME = import.meta.dirname ?? ".";
const SIZES = [64, 1400];
const TARGET = 0.7;

function progress(line: string): void {
  console.error(`bench: ${line}`);
}

async function compile(): Promise<{ path: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "tapline-distribute-bench-" });
  const path = `${dir}/udp_blast`;
  const out = await new Deno.Command("cc", {
    args: ["-O2", "-o", path, `${ME}/_udp_blast.c`],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`cc failed: ${new TextDecoder().decode(out.stderr)}`);
  return { path, dir };
}

function freePort(): number {
  const probe = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return port;
}

/** Frames of `size` bytes: Ethernet/IPv4/UDP, 256 flows. */
function frames(size: number): CapturedPacket[] {
  return Array.from({ length: 256 }, (_, i) => {
    const b = new Uint8Array(size);
    b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
    b.set([0x45, 0, (size - 14) >> 8, (size - 14) & 0xff, 0, 0, 0, 0, 64, 17, 0, 0], 14);
    b.set([10, 0, 0, 1, 10, 0, 1, i], 26);
    b.set([0x9c, i, 0, 80, (size - 34) >> 8, (size - 34) & 0xff, 0, 0], 34);
    const p = new CapturedPacket();
    p.buffer = b;
    p.capturedLength = size;
    p.originalLength = size;
    p.linkType = 1;
    return p;
  });
}

function policyTo(port: number): DistributionPolicy {
  return {
    id: "bench",
    name: "bench",
    enabled: true,
    direction: "both",
    filter: "",
    action: "distribute",
    slice: null,
    dedup: { enabled: false, windowMs: 1000 },
    bandwidthBps: null,
    fuseBps: null,
    points: [{
      id: "loop",
      name: "loop",
      tunnel: "vxlan",
      vni: 1,
      sessionId: 0,
      destination: "127.0.0.1",
      source: null,
      port,
      mtu: 9000,
      vlan: null,
    }],
    mode: "replicate",
    strip: { vlan: false, vxlan: false, gre: false },
    masks: [],
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function ours(port: number, size: number, count: number): { pps: number; errors: number } {
  const d = new Distributor([policyTo(port)]);
  const list = frames(size);
  try {
    const start = performance.now();
    for (let i = 0; i < count; i++) d.process(list[i & 255]!);
    d.flush();
    const ms = performance.now() - start;
    const point = d.counters().points[0]!;
    return { pps: count / ms * 1000, errors: point.dropped.sendError };
  } finally {
    d.close();
  }
}

/** Per-packet time from process() to the end of the sendmmsg call of its batch, in µs. */
function latency(port: number, size: number, count: number): { p50: number; p99: number } {
  const d = new Distributor([policyTo(port)]);
  const list = frames(size);
  const started = new Float64Array(64);
  const samples = new Float64Array(count - (count % 64));
  try {
    for (let i = 0; i < samples.length; i++) {
      started[i & 63] = performance.now();
      d.process(list[i & 255]!);
      // The 64th commit of a batch flushes it inside process().
      if ((i & 63) === 63) {
        const done = performance.now();
        for (let k = 0; k < 64; k++) samples[i - 63 + k] = (done - started[k]!) * 1000;
      }
    }
  } finally {
    d.close();
  }
  samples.sort();
  return {
    p50: samples[Math.floor(samples.length * 0.5)]!,
    p99: samples[Math.floor(samples.length * 0.99)]!,
  };
}

async function cSend(blast: string, port: number, size: number, count: number): Promise<number> {
  const out = await new Deno.Command(blast, {
    args: ["send", String(port), String(size), String(count)],
    stdout: "piped",
  }).output();
  const r = JSON.parse(new TextDecoder().decode(out.stdout)) as { sent: number; elapsedMs: number };
  return r.sent / r.elapsedMs * 1000;
}

function startReceiver(blast: string, port: number, seconds: number) {
  const child = new Deno.Command(blast, {
    args: ["recv", String(port), String(seconds)],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const ready = reader.read();
  return {
    ready,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel();
    },
  };
}

export interface DistributeBenchRow {
  size: number;
  cPps: number;
  ourPps: number;
  ratio: number;
  p50Us: number;
  p99Us: number;
  errors: number;
}

/** Runs the section; returns its rows (also printed as a table on stdout by {@link main}). */
export async function distributeBench(args: string[]): Promise<DistributeBenchRow[]> {
  const { values } = parseArgs({
    args,
    options: { packets: { type: "string" }, runs: { type: "string" } },
  });
  const count = Number(values.packets ?? 1_000_000);
  const runs = Number(values.runs ?? 3);
  const { path: blast, dir } = await compile();
  const rows: DistributeBenchRow[] = [];
  try {
    for (const size of SIZES) {
      const port = freePort();
      const receiver = startReceiver(blast, port, 600);
      await receiver.ready;
      try {
        const c: number[] = [];
        const us: number[] = [];
        let errors = 0;
        ours(port, size, Math.min(count, 100_000)); // warm-up: JIT and socket
        for (let r = 0; r < runs; r++) {
          progress(`${size}-byte frames, run ${r + 1}/${runs}`);
          c.push(await cSend(blast, port, size + 8, count));
          const o = ours(port, size, count);
          us.push(o.pps);
          errors += o.errors;
        }
        const lat = latency(port, size, 200_000);
        rows.push({
          size,
          cPps: median(c),
          ourPps: median(us),
          ratio: median(us) / median(c),
          p50Us: lat.p50,
          p99Us: lat.p99,
          errors,
        });
      } finally {
        await receiver.stop();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return rows;
}

export function renderDistributeBench(rows: DistributeBenchRow[]): string {
  const k = (n: number) => `${(n / 1000).toFixed(0)}k`;
  const lines = [
    "Distribution (VXLAN to 127.0.0.1, C recvmmsg receiver reading; median of runs)",
    "frame  C sendmmsg pps  appliance pps  ratio  target  added latency p50 / p99  send errors",
  ];
  for (const r of rows) {
    lines.push(
      `${String(r.size).padStart(5)}  ${k(r.cPps).padStart(14)}  ${k(r.ourPps).padStart(13)}  ${
        (r.ratio * 100).toFixed(0).padStart(4)
      }%  ${r.ratio >= TARGET ? "met" : "MISSED"}    ${r.p50Us.toFixed(1)} µs / ${
        r.p99Us.toFixed(1)
      } µs${String(r.errors).padStart(12)}`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  console.log(renderDistributeBench(await distributeBench(Deno.args)));
}
