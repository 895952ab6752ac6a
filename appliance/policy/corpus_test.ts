import assert from "node:assert/strict";
import { CaptureError, openCaptureFile } from "../capture/mod.ts";
import { corpusAvailable, corpusPath } from "../../tests/tools/corpus.ts";
import { testWithTools } from "../../tests/support/tools.ts";
import { FilterError, filterOptionsFor, PacketFilter } from "./mod.ts";

/** Ethernet, VLAN, QinQ, MPLS, IPv6, raw IP (101, 228, 229), cooked v1/v2, loopback, HDLC. */
const FILES = [
  "pcapplusplus/examples_test/many-protocols.pcap",
  "pcapplusplus/pcap_examples/VlanPackets.pcap",
  "pcapplusplus/pcap_examples/ip4_fragments.pcap",
  "pcapplusplus/pcap_examples/ip6_fragments.pcap",
  "pcapplusplus/pcap_examples/GrePackets.cap",
  "pcapplusplus/pcap_examples/ICMPv6_echos.cap",
  "pcapplusplus/pcap_examples/IgmpPackets.pcap",
  "pcapplusplus/pcap_examples/DnsPackets.pcap",
  "pcapplusplus/pcap_examples/nanosecs_big_endian.pcap",
  "pcapplusplus/packet_examples/MplsPackets.pcap",
  "zeek/mixed-vlan-mpls.pcap",
  "zeek/http-qinq-0.pcap",
  "zeek/mpls-in-vlan.pcap",
  "pcapplusplus/pcap_examples/raw_ip.pcap",
  "pcapplusplus/pcap_examples/four_ipv6_http_streams.pcap",
  "pcapplusplus/pcap_examples/linktype_ipv4.pcap",
  "pcapplusplus/pcap_examples/linktype_ipv6.pcap",
  "pcapplusplus/pcap_examples/sll.pcap",
  "pcapplusplus/pcap_examples/sll2.pcap",
  "pcapplusplus/pcap_examples/null_loopback.pcap",
  "ndpi/BGP_redist.pcap",
  "zeek/tcp/truncated-header.pcap",
  "ndpi/malformed_icmp.pcap",
  // pcapng: compared once capture/ reads pcapng, skipped until then.
  "ndpi/dns.pcap",
  "pcapplusplus/packet_examples/QinQ_802.1_AD.pcapng",
];

const EXPRESSIONS = [
  "host 10.0.0.1",
  "src host 10.0.0.1",
  "dst host 212.199.202.69",
  "host 10.0.0.1 and host 54.192.94.30",
  "net 10.0.0.0/8",
  "net 10.0.0.0 mask 255.0.0.0",
  "src net 192.168.0.0/16",
  "dst net 212.199.0.0/16",
  "port 80",
  "port 53",
  "src port 443",
  "dst port 443",
  "portrange 1-1023",
  "tcp portrange 8000-9000",
  "tcp",
  "udp",
  "icmp",
  "icmp6",
  "ip",
  "ip6",
  "ip6 and tcp",
  "ip6 protochain 6",
  "arp",
  "vlan",
  "vlan 118",
  "vlan 118 and vlan 10",
  "vlan and ip",
  "mpls",
  "mpls and ip",
  "vlan and mpls and tcp",
  "tcp[tcpflags] & tcp-syn != 0",
  "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
  "tcp[13] = 18",
  "ip[8] < 64",
  "ip[6:2] & 0x1fff != 0",
  "ip proto 17",
  "proto 47",
  "icmp[icmptype] = icmp-echo",
  "udp[8:2] > 0x1000",
  "less 100",
  "greater 1000",
  "len > 500 and len <= 1400",
  "ether host 00:13:c3:df:ae:18",
  "ether src 00:13:c3:df:ae:18 or ether dst ff:ff:ff:ff:ff:ff",
  "ether broadcast",
  "ether multicast",
  "broadcast",
  "multicast",
  "ip multicast",
  "ip broadcast",
  "llc",
  "(tcp and port 80) or (udp and not port 53)",
  "not (tcp or udp)",
  "tcp and not (port 80 or port 443)",
  "ip6 dst net ff00::/8",
];

/** One packet of a corpus file, copied out of the reader. */
interface Frame {
  file: string;
  number: number;
  capturedLength: number;
  originalLength: number;
  data: Uint8Array;
}

function sameFrame(a: Frame, b: Frame): boolean {
  return a.capturedLength === b.capturedLength && a.originalLength === b.originalLength &&
    a.data.length === b.data.length && a.data.every((byte, i) => byte === b.data[i]);
}

/** The frames of one file, grouped by link type and byte order (key `"1/little"`). */
async function readFrames(file: string, groups: Map<string, Frame[]>): Promise<void> {
  const source = await openCaptureFile(corpusPath(file));
  const order = (source as { bigEndian?: unknown }).bigEndian === true ? "big" : "little";
  while (source.next()) {
    const p = source.packet;
    const key = `${p.linkType}/${order}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push({
      file,
      number: p.number,
      capturedLength: p.capturedLength,
      originalLength: p.originalLength,
      data: p.data.slice(),
    });
  }
}

/** A classic pcap (µs) holding `frames`, in the given byte order. */
function writePcap(frames: Frame[], linkType: number, little: boolean): Uint8Array {
  const size = 24 + frames.reduce((sum, f) => sum + 16 + f.data.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xa1b2c3d4, little);
  view.setUint16(4, 2, little);
  view.setUint16(6, 4, little);
  view.setUint32(16, 262_144, little);
  view.setUint32(20, linkType, little);
  let at = 24;
  frames.forEach((f, i) => {
    view.setUint32(at, 1_700_000_000 + i, little);
    view.setUint32(at + 8, f.capturedLength, little);
    view.setUint32(at + 12, f.originalLength, little);
    bytes.set(f.data, at + 16);
    at += 16 + f.data.length;
  });
  return bytes;
}

type Result = { frames: number[] } | { error: string };

/**
 * The 1-based positions of the packets tcpdump keeps. `tcpdump -#` numbers the matches, not the
 * frames, so tcpdump writes them (`-w`) and each written packet is found, in order, among the
 * input's.
 */
async function tcpdumpFrames(path: string, expression: string, out: string): Promise<Result> {
  const result = await new Deno.Command("tcpdump", {
    args: ["-r", path, "-w", out, expression],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const lines = new TextDecoder().decode(result.stderr).split("\n");
    const error = lines.find((line) => line.startsWith("tcpdump: "));
    return { error: error?.slice("tcpdump: ".length) ?? lines.join(" ") };
  }
  const [input, written] = [await openCaptureFile(path), await openCaptureFile(out)];
  const frames: number[] = [];
  while (written.next()) {
    const w = written.packet;
    const wanted = { ...w, file: "", data: w.data };
    let found = false;
    while (!found && input.next()) {
      const i = input.packet;
      found = sameFrame({ ...i, file: "", data: i.data }, wanted);
      if (found) frames.push(i.number);
    }
    assert.ok(found, `${path} "${expression}": tcpdump wrote a packet that is not in the input`);
  }
  return { frames };
}

async function ourFrames(path: string, expression: string, interpret: boolean): Promise<Result> {
  const source = await openCaptureFile(path);
  let filter: PacketFilter;
  try {
    filter = new PacketFilter(expression, source.linkType, {
      ...filterOptionsFor(source),
      interpret,
    });
  } catch (err) {
    if (err instanceof FilterError) return { error: err.reason };
    throw err;
  }
  if (interpret) assert.equal(filter.backend, "interpreted");
  const frames: number[] = [];
  while (source.next()) if (filter.matches(source.packet)) frames.push(source.packet.number);
  return { frames };
}

/** Runs `jobs` with at most `width` in flight; throws the first failure once all have ended. */
async function pool(width: number, jobs: (() => Promise<void>)[]): Promise<void> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await job().catch((err) => failures.push(err));
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  if (failures.length > 0) throw failures[0];
}

testWithTools(
  `PacketFilter keeps exactly the frames tcpdump -r keeps (${EXPRESSIONS.length} expressions, ${FILES.length} captures)`,
  ["tcpdump"],
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "tapline-filter-" });
    try {
      // The packets of every file with one link type and byte order go into one classic pcap,
      // so that each expression costs one tcpdump run per link type rather than per file.
      const groups = new Map<string, Frame[]>();
      let files = 0;
      for (const file of FILES) {
        try {
          await readFrames(file, groups);
          files++;
        } catch (err) {
          if (!(err instanceof CaptureError && err.code === "unsupported_format")) throw err;
          console.log(`  skip ${file}: ${err.message}`);
        }
      }
      const merged = [...groups].map(([key, frames]) => {
        const [linkType, order] = key.split("/");
        const path = `${dir}/linktype-${linkType}-${order}.pcap`;
        Deno.writeFileSync(path, writePcap(frames, Number(linkType), order === "little"));
        return { path, frames };
      });
      const matchedBy = new Map<string, number>(EXPRESSIONS.map((e) => [e, 0]));
      let comparisons = 0;
      let rejected = 0;
      const jobs = merged.flatMap(({ path, frames }) =>
        EXPRESSIONS.map((expression, n) => async () => {
          const theirs = await tcpdumpFrames(path, expression, `${path}.${n}.out`);
          for (const interpret of [false, true]) {
            const ours = await ourFrames(path, expression, interpret);
            const where = `"${expression}" on ${path} (interpret: ${interpret})`;
            if ("error" in theirs || "error" in ours) {
              assert.deepEqual(ours, theirs, where);
              continue;
            }
            const differ = new Set(ours.frames).symmetricDifference(new Set(theirs.frames));
            const named = [...differ].slice(0, 5).map((i) =>
              `${frames[i - 1]!.file} #${frames[i - 1]!.number}`
            );
            assert.deepEqual(named, [], `${where}: we and tcpdump disagree on these frames`);
            assert.deepEqual(ours.frames, theirs.frames);
          }
          if ("error" in theirs) rejected++;
          else {
            comparisons++;
            matchedBy.set(expression, matchedBy.get(expression)! + theirs.frames.length);
          }
        })
      );
      await pool(3, jobs);
      console.log(
        `  ${files} files, ${merged.length} link types × ${EXPRESSIONS.length} expressions: ` +
          `${comparisons} frame sets equal tcpdump's (compiled and interpreted), ` +
          `${rejected} expressions rejected with tcpdump's message`,
      );
      const neverMatched = [...matchedBy].filter(([, count]) => count === 0).map(([e]) => e);
      assert.deepEqual(neverMatched, [], "expressions that match nothing test nothing");
      assert.ok(files >= 24);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
  { ignore: !corpusAvailable() },
);
