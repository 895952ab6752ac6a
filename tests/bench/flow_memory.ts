/**
 * Flow-table memory per live flow: 1,000,000 distinct TCP flows (one SYN each, through the real
 * decoder) held live in one FlowTable; the heap and ArrayBuffer growth after a full GC, divided
 * by the flow count, and the table's own typed-array sizes divided by it. Prints one JSON object. Needs `--v8-flags=--expose-gc`:
 *
 *   deno run -A --v8-flags=--expose-gc tests/bench/flow_memory.ts [--flows 1000000]
 */
import { parseArgs } from "node:util";
import { CapturedPacket, LinkType } from "../../appliance/capture/mod.ts";
import { Decoder, DecodeStatus } from "../../appliance/decode/mod.ts";
import { FlowTable } from "../../appliance/flow/mod.ts";

export interface FlowMemoryResult {
  flows: number;
  liveFlows: number;
  /** (heap used + ArrayBuffers) growth / live flows. */
  bytesPerFlow: number;
  /** The table's typed arrays (slots at capacity, index) / live flows. */
  arrayBytesPerFlow: number;
  heapBytes: number;
  externalBytes: number;
  rssBytes: number;
  buildMs: number;
}

/** Ethernet + IPv4 + TCP SYN, 10.0.0.0 → 192.0.2.1:443; the source address is rewritten. */
function synFrame(): Uint8Array {
  const frame = new Uint8Array(54);
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  frame.set([0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 0, 192, 0, 2, 1], 14);
  frame.set([0xc0, 0x00, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff], 34);
  return frame;
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  gc();
  gc();
}

function usage(): { heap: number; external: number; rss: number } {
  collect();
  const m = Deno.memoryUsage();
  return { heap: m.heapUsed, external: m.external, rss: m.rss };
}

/** Builds `flows` live flows and measures what they cost. */
export function measureFlowMemory(flows: number): FlowMemoryResult {
  const frame = synFrame();
  const packet = new CapturedPacket();
  packet.buffer = frame;
  packet.capturedLength = packet.originalLength = frame.length;
  packet.linkType = LinkType.Ethernet;
  const decoder = new Decoder();
  const before = usage();
  const started = performance.now();
  const table = new FlowTable({ maxFlows: Math.max(flows, 1024) });
  // One second of SYNs a minute into the capture: no flow times out, no minute ends.
  const t0 = Date.UTC(2026, 0, 1, 0, 0, 1) * 1000;
  for (let i = 0; i < flows; i++) {
    // Source address 10.x.y.z (bytes 26-29; 16 million distinct).
    frame[29] = i & 0xff;
    frame[28] = (i >>> 8) & 0xff;
    frame[27] = (i >>> 16) & 0xff;
    packet.number = i + 1;
    packet.timestampUs = t0 + i;
    if (decoder.decode(packet) !== DecodeStatus.Ok) throw new Error(`packet ${i} did not decode`);
    table.add(decoder.out);
  }
  const buildMs = performance.now() - started;
  const after = usage();
  const liveFlows = table.stats.flows - table.stats.evicted;
  const heapBytes = after.heap - before.heap;
  const externalBytes = after.external - before.external;
  const result = {
    flows,
    liveFlows,
    bytesPerFlow: Math.round((heapBytes + externalBytes) / liveFlows),
    arrayBytesPerFlow: Math.round(table.memoryBytes / liveFlows),
    heapBytes,
    externalBytes,
    rssBytes: after.rss - before.rss,
    buildMs,
  };
  // Keep the table reachable until measured.
  if (table.stats.flows === 0) throw new Error("no flows");
  return result;
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { flows: { type: "string" } } });
  const flows = Number(values.flows ?? 1_000_000);
  console.log(JSON.stringify(measureFlowMemory(flows)));
}
