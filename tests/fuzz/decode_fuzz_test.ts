/**
 * Fuzzing the packet path: seeded random truncations, byte flips and insertions of corpus
 * captures (pcap and pcapng, file headers and packet bytes alike) go through capture, decode and
 * the flow table. No exception may escape but a CaptureError from opening; a damaged file ends
 * with `source.error` set or cleanly; memory stays bounded.
 *
 *     FUZZ_ITERATIONS=50000 FUZZ_SEED=7 deno test -A tests/fuzz/decode_fuzz_test.ts
 *
 * A failure prints the iteration's seed: `FUZZ_SEED=<seed> FUZZ_ITERATIONS=1` replays its input
 * (with a fresh long-lived decoder).
 */
import assert from "node:assert/strict";
import { CaptureError, openCapture, type PacketSource } from "../../appliance/capture/mod.ts";
import { Decoder, DecodeStatus } from "../../appliance/decode/mod.ts";
import { buildFlows } from "../../appliance/pipeline.ts";
import { corpusAvailable, corpusPath, readIndex } from "../tools/corpus.ts";
import { generateCapture } from "../tools/gen_pcap.ts";

const ITERATIONS = Number(Deno.env.get("FUZZ_ITERATIONS") ?? 10_000);
const FIRST_SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20260101);
/** Iterations before the heap is first measured, and how many each measurement looks at. */
const WARMUP = Math.min(200, Math.floor(ITERATIONS / 4));
const WINDOW = Math.max(1, Math.floor((ITERATIONS - WARMUP) / 3));
/** Files up to this size are fuzzed: small ones keep every iteration quick. */
const MAX_FILE_BYTES = 64 * 1024;

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed gives the same run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sample {
  name: string;
  bytes: Uint8Array;
}

function loadSamples(): Sample[] {
  if (!corpusAvailable()) {
    return [{ name: "generated.pcap", bytes: generateCapture({ flows: 40, seed: 3 }) }];
  }
  return readIndex()
    .filter((entry) => entry.status !== "unreadable")
    .map((entry) => ({ name: entry.file, bytes: Deno.readFileSync(corpusPath(entry.file)) }))
    .filter((sample) => sample.bytes.length <= MAX_FILE_BYTES);
}

/** One damaged copy of `bytes`, and what was done to it. */
function mutate(bytes: Uint8Array, next: () => number): { bytes: Uint8Array; what: string } {
  const pick = (n: number) => Math.floor(next() * n);
  let data = bytes.slice();
  const steps: string[] = [];
  const kinds = 1 + pick(3);
  for (let k = 0; k < kinds; k++) {
    const kind = pick(5);
    if (kind === 0) {
      const length = pick(data.length + 1);
      data = data.slice(0, length);
      steps.push(`truncate to ${length}`);
    } else if (kind === 1 || kind === 2) {
      // Anywhere, or within the first 64 bytes where the file and first block headers are.
      const span = kind === 1 ? data.length : Math.min(64, data.length);
      const flips = 1 + pick(16);
      for (let i = 0; i < flips && span > 0; i++) data[pick(span)]! ^= 1 + pick(255);
      steps.push(`flip ${flips} bytes in the first ${span}`);
    } else if (kind === 3) {
      const at = pick(data.length + 1);
      const extra = Uint8Array.from({ length: 1 + pick(32) }, () => pick(256));
      const grown = new Uint8Array(data.length + extra.length);
      grown.set(data.subarray(0, at));
      grown.set(extra, at);
      grown.set(data.subarray(at), at + extra.length);
      data = grown;
      steps.push(`insert ${extra.length} bytes at ${at}`);
    } else {
      // Lengths are where readers go wrong: set a 4-byte window to an extreme.
      const at = pick(Math.max(1, data.length - 3));
      const value = [0, 0xffffffff, 0x7fffffff, 0x10000][pick(4)]!;
      for (let i = 0; i < 4 && at + i < data.length; i++) data[at + i] = (value >>> (8 * i)) & 0xff;
      steps.push(`set 4 bytes at ${at} to ${value}`);
    }
  }
  return { bytes: data, what: steps.join(", ") };
}

function open(bytes: Uint8Array): PacketSource | undefined {
  try {
    return openCapture(bytes);
  } catch (err) {
    if (err instanceof CaptureError) return undefined;
    throw err;
  }
}

Deno.test({
  name: "capture, decode and the flow table survive damaged captures with bounded memory",
  fn() {
    const samples = loadSamples();
    assert.ok(samples.length > 0);
    // One decoder for the whole run: its reassembly buffer must stay within its bounds however
    // much garbage goes through it.
    const longLived = new Decoder({ reassembly: { maxDatagrams: 64, maxBytes: 256 * 1024 } });
    const tally = { opened: 0, refused: 0, damaged: 0, packets: 0, ok: 0, malformed: 0 };
    let firstFloor = Infinity;
    let lastFloor = Infinity;
    const started = performance.now();
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = FIRST_SEED + i;
      const next = random(seed);
      const sample = samples[Math.floor(next() * samples.length)]!;
      const { bytes, what } = mutate(sample.bytes, next);
      try {
        const source = open(bytes);
        if (source === undefined) {
          tally.refused++;
          continue;
        }
        tally.opened++;
        while (source.next()) {
          tally.packets++;
          const status = longLived.decode(source.packet);
          if (status === DecodeStatus.Ok) tally.ok++;
          else if (status === DecodeStatus.Malformed) tally.malformed++;
        }
        if (source.error !== undefined) {
          assert.ok(source.error instanceof CaptureError);
          tally.damaged++;
        }
        // The same bytes through the whole flow pipeline.
        const again = open(bytes);
        if (again !== undefined) buildFlows(again);
      } catch (err) {
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw new Error(
          `fuzz iteration ${i} (FUZZ_SEED=${seed} FUZZ_ITERATIONS=1) on ${sample.name} [${what}]: ${reason}`,
          { cause: err },
        );
      }
      const stats = longLived.reassembly!;
      assert.ok(
        stats.pending <= 64 && stats.bytesHeld <= 256 * 1024,
        `seed ${seed}: reassembly bounds`,
      );
      // The heap right after a collection is the lowest it gets: compare that floor in the
      // first and the last stretch of the run (garbage between collections is no leak).
      const heap = Deno.memoryUsage().heapUsed;
      if (i >= WARMUP && i < WARMUP + WINDOW && heap < firstFloor) firstFloor = heap;
      if (i >= ITERATIONS - WINDOW && heap < lastFloor) lastFloor = heap;
    }
    const grown = lastFloor - firstFloor;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  ${ITERATIONS} iterations from seed ${FIRST_SEED} over ${samples.length} files in ${
        seconds.toFixed(1)
      } s: ${tally.opened} opened (${tally.damaged} damaged part-way), ${tally.refused} refused; ${tally.packets} packets, ${tally.ok} IP, ${tally.malformed} malformed; heap floor ${
        (firstFloor / 1e6).toFixed(1)
      } MB early, ${(lastFloor / 1e6).toFixed(1)} MB late`,
    );
    if (ITERATIONS >= 1000) {
      assert.ok(tally.opened > 0 && tally.refused > 0 && tally.malformed > 0, "the damage varies");
    }
    assert.ok(grown < 16e6, `the heap floor grew by ${(grown / 1e6).toFixed(1)} MB`);
  },
});
