/**
 * The benchmark's capture: at least 2,000,000 packets of the project's generated HTTP/DNS traffic,
 * built with the generator's command line (tests/tools/gen_pcap.ts) and cached under
 * `data/bench/`, keyed by a hash of the generator's sources (same sources, same bytes).
 *
 * The generator holds every packet in memory and sorts them (about 4.5 GB and 70 s of CPU for
 * 2M packets in one run), so the capture is made of segments: one generator run each, with its
 * own seed, starting after the previous one ends, concatenated into one classic pcap.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const GENERATOR_FILES = [
  "gen_pcap.ts",
  "_traffic.ts",
  "_frames.ts",
  "_content.ts",
  "_scenarios.ts",
];
const CACHE_DIR = `${ROOT}data/bench`;
const PCAP_HEADER = 24;
/** Flows per generator run: about 217,000 packets and 550 MB of generator memory. */
const FLOWS_PER_SEGMENT = 20_000;
/** Flows start within 600 s of a segment's start; the next segment starts 700 s later. */
const SEGMENT_SPACING_S = 700;
const START_MS = Date.UTC(2026, 0, 1);

export interface BenchCapture {
  path: string;
  packets: number;
  bytes: number;
  /** How long building it took, or 0 when it came from the cache. */
  builtInMs: number;
}

async function generatorHash(): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const name of GENERATOR_FILES) {
    try {
      parts.push(await Deno.readFile(`${ROOT}tests/tools/${name}`));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) all.set(part, (at += part.length) - part.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Counts the records of a little-endian µs pcap (what the generator writes). */
function countPackets(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let at = PCAP_HEADER; at + 16 <= bytes.length; count++) {
    at += 16 + view.getUint32(at + 8, true);
  }
  return count;
}

async function runGenerator(out: string, segment: number): Promise<void> {
  const args = [
    "run",
    "-A",
    `${ROOT}tests/tools/gen_pcap.ts`,
    "--out",
    out,
    "--flows",
    String(FLOWS_PER_SEGMENT),
    "--seed",
    String(segment + 1),
    "--start",
    String(START_MS + segment * SEGMENT_SPACING_S * 1000),
    "--duration-s",
    "600",
  ];
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(
      `gen_pcap.ts failed (${args.join(" ")}): ${new TextDecoder().decode(result.stderr)}`,
    );
  }
}

/**
 * Returns the cached capture of at least `minPackets` packets, building it first if needed
 * (`progress` hears about each step).
 */
export async function benchCapture(
  minPackets: number,
  progress: (line: string) => void,
): Promise<BenchCapture> {
  // ~10.8 packets per flow: one segment short of the target is topped up by one more.
  const segments = Math.max(1, Math.ceil(minPackets / (FLOWS_PER_SEGMENT * 10.5)));
  const path =
    `${CACHE_DIR}/capture-${segments}x${FLOWS_PER_SEGMENT}-${await generatorHash()}.pcap`;
  try {
    const bytes = await Deno.readFile(path);
    const packets = countPackets(bytes);
    if (packets >= minPackets) return { path, packets, bytes: bytes.length, builtInMs: 0 };
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const started = performance.now();
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  const dir = await Deno.makeTempDir({ prefix: "tapline-bench-" });
  try {
    const parts = Array.from({ length: segments }, (_, i) => `${dir}/segment-${i}.pcap`);
    let done = 0;
    let next = 0;
    // Two generator runs at a time: one per core.
    const worker = async () => {
      while (next < segments) {
        const i = next++;
        await runGenerator(parts[i]!, i);
        progress(`generated segment ${++done}/${segments} (${FLOWS_PER_SEGMENT} flows)`);
      }
    };
    await Promise.all([worker(), worker()]);
    const file = await Deno.open(`${path}.partial`, { write: true, create: true, truncate: true });
    let packets = 0;
    let size = 0;
    try {
      for (const [i, part] of parts.entries()) {
        const bytes = await Deno.readFile(part);
        packets += countPackets(bytes);
        const body = i === 0 ? bytes : bytes.subarray(PCAP_HEADER);
        size += body.length;
        for (let at = 0; at < body.length;) at += await file.write(body.subarray(at));
        await Deno.remove(part);
      }
    } finally {
      file.close();
    }
    if (packets < minPackets) {
      throw new Error(`the generated capture has ${packets} packets, fewer than ${minPackets}`);
    }
    await Deno.rename(`${path}.partial`, path);
    // Captures of older generator sources are dead weight (close to 1 GB each).
    for (const entry of Deno.readDirSync(CACHE_DIR)) {
      const stale = `${CACHE_DIR}/${entry.name}`;
      if (/^capture-.*\.pcap$/.test(entry.name) && stale !== path) await Deno.remove(stale);
    }
    return { path, packets, bytes: size, builtInMs: performance.now() - started };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
