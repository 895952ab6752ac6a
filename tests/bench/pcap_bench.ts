/**
 * PCAP storage (issue #7): the sustained rate at which the appliance's PCAP store keeps packets
 * under a matching policy (decode + filter + pcapng write + per-flow index, files rotated at
 * 256 MB, fsynced and renamed), and the time to find one flow's packets among the stored
 * captures (index lookup + reading its packets into a pcapng), cold process, warm page cache.
 *
 *   deno task bench pcap [--store-gb 5] [--size 1000] [--flows 20000] [--runs 5] [--dir DIR]
 *
 * Packets are generated in memory (Ethernet/IPv4/TCP, `--flows` flows both ways, `--size`-byte
 * frames, one every µs of capture time), so the rate is the store's, not a capture source's. The
 * folder (a temp dir unless `--dir`) is removed at the end unless `--keep`.
 */
import { parseArgs } from "node:util";
import { CapturedPacket } from "../../appliance/capture/mod.ts";
import { Decoder, DecodeStatus } from "../../appliance/decode/mod.ts";
import { extractPackets, parsePcapPolicy, PcapStore } from "../../appliance/pcapstore/mod.ts";
import { summarize } from "./_measure.ts";

function progress(line: string): void {
  console.error(`bench: ${line}`);
}

/** A TCP frame of `size` bytes from client `i` (10.9.x.y:40000+) to server 10.8.0.1:443. */
function frame(i: number, toServer: boolean, size: number): Uint8Array {
  const b = new Uint8Array(size);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  b.set([0x45, 0, (size - 14) >> 8, (size - 14) & 0xff, 0, 0, 0x40, 0, 64, 6, 0, 0], 14);
  const client = [10, 9, (i >> 8) & 0xff, i & 0xff];
  const server = [10, 8, 0, 1];
  b.set(toServer ? [...client, ...server] : [...server, ...client], 26);
  const cport = 40000 + (i % 20000);
  const ports = toServer
    ? [cport >> 8, cport & 0xff, 0x01, 0xbb]
    : [0x01, 0xbb, cport >> 8, cport & 0xff];
  b.set(ports, 34);
  b[46] = 0x50; // data offset 5 words
  b[47] = 0x18; // PSH ACK
  return b;
}

export async function pcapBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "store-gb": { type: "string", default: "5" },
      size: { type: "string", default: "1000" },
      flows: { type: "string", default: "20000" },
      runs: { type: "string", default: "5" },
      dir: { type: "string" },
      keep: { type: "boolean", default: false },
    },
  });
  const storeBytes = Number(values["store-gb"]) * 1e9;
  const size = Number(values.size);
  const flows = Number(values.flows);
  const runs = Number(values.runs);
  if (!(storeBytes > 0) || !(size >= 64 && size <= 9000) || !(flows >= 1 && flows <= 60000)) {
    console.error("bench pcap: --store-gb > 0, --size 64-9000, --flows 1-60000");
    return 2;
  }
  const dir = values.dir ?? await Deno.makeTempDir({ prefix: "tapline-pcap-bench-" });
  const parsed = parsePcapPolicy({ id: "bench", filter: "tcp port 443" });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  const frames = Array.from({ length: flows * 2 }, (_, k) => frame(k >> 1, (k & 1) === 0, size));
  const packet = new CapturedPacket();
  packet.linkType = 1;
  packet.capturedLength = size;
  packet.originalLength = size;
  const decoder = new Decoder();
  const store = PcapStore.open(dir, { policies: [parsed.policy] });
  const total = Math.ceil(storeBytes / (size + 32));
  const startUs = Date.UTC(2026, 11, 1) * 1000;
  // One flow seen once, in the middle: the needle.
  const needle = frame(60000, true, size);
  progress(`writing ${(total * (size + 32) / 1e9).toFixed(1)} GB (${total} packets) to ${dir}`);
  const started = performance.now();
  let reported = started;
  for (let n = 0; n < total; n++) {
    packet.buffer = n === total >> 1 ? needle : frames[n % frames.length]!;
    packet.timestampUs = startUs + n;
    const ok = decoder.decode(packet) === DecodeStatus.Ok;
    store.offer(packet, ok ? decoder.out : undefined, "eth1");
    if ((n & 0xffff) === 0 && performance.now() - reported > 10_000) {
      reported = performance.now();
      progress(`${n} packets, ${((n * size) / (reported - started) / 1e3).toFixed(0)} MB/s`);
    }
  }
  store.close();
  const writeMs = performance.now() - started;
  let onDisk = 0;
  for (const e of Deno.readDirSync(`${dir}/bench`)) {
    onDisk += Deno.statSync(`${dir}/bench/${e.name}`).size;
  }
  const files = [...Deno.readDirSync(`${dir}/bench`)].length;

  const out = `${dir}/found.pcapng`;
  const find = (query: Parameters<typeof extractPackets>[1]) => {
    const samples: number[] = [];
    let packets = 0;
    for (let i = 0; i < runs + 1; i++) {
      const t0 = performance.now();
      const r = extractPackets(dir, query, out);
      const ms = performance.now() - t0;
      if (i > 0) samples.push(ms);
      packets = r.packets;
    }
    return { timing: summarize(samples), packets };
  };
  const busy = find({
    flow: { protocol: 6, ip0: "10.9.0.7", port0: 40007, ip1: "10.8.0.1", port1: 443 },
  });
  const one = find({
    flow: {
      protocol: 6,
      ip0: "10.9.234.96",
      port0: 40000 + (60000 % 20000),
      ip1: "10.8.0.1",
      port1: 443,
    },
  });
  const host = find({ host: "10.9.234.96" });
  const rows = [
    [
      "stored",
      `${
        (onDisk / 1e9).toFixed(2)
      } GB in ${files} pcapng files, ${total} packets of ${size} B, ${flows} flows`,
    ],
    [
      "write rate",
      `${(onDisk / writeMs / 1e3).toFixed(0)} MB/s, ${
        (total / writeMs / 1e3).toFixed(2)
      } Mpps (decode + filter + write + index, fsync per file)`,
    ],
    [
      "find a flow in every file",
      `${busy.timing.medianMs.toFixed(0)} ms median of ${runs} (min ${
        busy.timing.minMs.toFixed(0)
      }, max ${busy.timing.maxMs.toFixed(0)}); ${busy.packets} packets (target < 1000 ms)`,
    ],
    ["find a flow seen once", `${one.timing.medianMs.toFixed(1)} ms median; ${one.packets} packet`],
    ["find by host", `${host.timing.medianMs.toFixed(1)} ms median; ${host.packets} packet`],
  ];
  console.log("| PCAP store | |\n|---|---|");
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  if (one.packets !== 1 || host.packets !== 1) {
    console.error(`bench pcap: the needle flow gave ${one.packets} packets, not 1`);
    return 1;
  }
  if (!values.keep) await Deno.remove(dir, { recursive: true });
  return 0;
}

if (import.meta.main) Deno.exit(await pcapBench(Deno.args));
