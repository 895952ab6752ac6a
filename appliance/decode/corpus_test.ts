import assert from "node:assert/strict";
import {
  classicPcapEntries,
  corpusAvailable,
  type CorpusEntry,
  corpusPath,
  readTruth,
  type TruthRow,
} from "../../tests/tools/corpus.ts";
import { openCaptureFile } from "../capture/mod.ts";
import { DecodedPacket, Decoder, DecodeStatus, formatAddress } from "./mod.ts";

const ignore = !corpusAvailable();

const MULTI_FIELDS = [
  "ip.src",
  "ip.dst",
  "ipv6.src",
  "ipv6.dst",
  "ip.proto",
  "tcp.srcport",
  "udp.srcport",
  "tcp.flags",
];

/** Fields tshark shows for the outermost headers, in the truth file's notation. */
function actualFields(status: DecodeStatus, out: DecodedPacket): Record<string, string> {
  const fields: Record<string, string> = {};
  if (status !== DecodeStatus.Ok) return fields;
  const src = formatAddress(out.buffer, out.srcOffset, out.ipVersion);
  const dst = formatAddress(out.buffer, out.dstOffset, out.ipVersion);
  if (out.ipVersion === 4) {
    fields["ip.src"] = src;
    fields["ip.dst"] = dst;
    fields["ip.proto"] = String(out.protocol);
  } else {
    fields["ipv6.src"] = src;
    fields["ipv6.dst"] = dst;
  }
  if (!out.hasTransport) return fields;
  if (out.protocol === 6) {
    fields["tcp.srcport"] = String(out.srcPort);
    fields["tcp.dstport"] = String(out.dstPort);
    fields["tcp.flags"] = `0x${out.tcpFlags.toString(16).padStart(4, "0")}`;
    fields["tcp.seq_raw"] = String(out.tcpSeq);
    fields["tcp.len"] = String(out.payloadLength);
  } else if (out.protocol === 17) {
    fields["udp.srcport"] = String(out.srcPort);
    fields["udp.dstport"] = String(out.dstPort);
  }
  return fields;
}

const L4_FIELDS = [
  "tcp.srcport",
  "tcp.dstport",
  "tcp.flags",
  "tcp.seq_raw",
  "tcp.len",
  "udp.srcport",
  "udp.dstport",
];
const L3_FIELDS = ["ip.src", "ip.dst", "ip.proto", "ipv6.src", "ipv6.dst"];

/**
 * Packets where tshark's opinion differs from ours on purpose, each investigated.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  // An Ethernet pseudowire (control word, inner Ethernet, IP) inside MPLS: a tunnel, decoded by
  // the tunnel issue; the outer layers carry no IP.
  "pcapplusplus/packet_examples/MplsPackets.pcap#2": "Ethernet pseudowire over MPLS",
  // Strict source route option: tshark's ip.dst is the route's final hop, ours the header field.
  "pcapplusplus/packet_examples/ipv4-options.pcap#6": "IPv4 strict source route",
  "pcapplusplus/packet_examples/ipv4-options.pcap#7": "IPv4 strict source route",
};

interface Tally {
  files: number;
  packets: number;
  fields: number;
  skippedNested: number;
  skippedFragments: number;
  known: number;
  rejected: number;
  mismatches: string[];
}

function comparePacket(
  entry: CorpusEntry,
  row: TruthRow,
  status: DecodeStatus,
  out: DecodedPacket,
  tally: Tally,
): void {
  if (
    MULTI_FIELDS.some((f) => (row[f] ?? "").includes(",")) || (row["ip.src"] && row["ipv6.src"])
  ) {
    tally.skippedNested++;
    return;
  }
  const file = entry.file;
  if (KNOWN_DIFFERENCES[`${file}#${row["frame.number"]}`]) {
    tally.known++;
    return;
  }
  if (status === DecodeStatus.Malformed) {
    // We skip damaged packets (and unknown link types): tshark must have found no IP header here,
    // or found this file damaged too.
    tally.rejected++;
    const noIp = !row["ip.src"] && !row["ipv6.src"];
    const damaged = entry.protocols.includes("_ws.malformed") ||
      entry.protocols.includes("_ws.short");
    if (!noIp && !damaged) {
      tally.mismatches.push(`${file} #${row["frame.number"]}: rejected, tshark did not`);
    }
    return;
  }
  const actual = actualFields(status, out);
  const names = out.isFragment ? L3_FIELDS : [...L3_FIELDS, ...L4_FIELDS];
  if (out.isFragment) tally.skippedFragments++;
  tally.packets++;
  for (const name of names) {
    const want = row[name] ?? "";
    const got = actual[name] ?? "";
    if (want === "" && got === "") continue;
    tally.fields++;
    if (want !== got) {
      tally.mismatches.push(
        `${file} #${
          row["frame.number"]
        } ${name}: tshark "${want}", decode "${got}" (status ${status} ${
          out.error >= 0 ? out.error : ""
        })`,
      );
    }
  }
}

Deno.test({
  name: "Decoder.decode() matches tshark's outermost IP/TCP/UDP fields across the corpus",
  ignore,
  async fn() {
    const tally: Tally = {
      files: 0,
      packets: 0,
      fields: 0,
      skippedNested: 0,
      skippedFragments: 0,
      known: 0,
      rejected: 0,
      mismatches: [],
    };
    for (const entry of classicPcapEntries()) {
      const source = await openCaptureFile(corpusPath(entry.file));
      const truth = readTruth(entry.file);
      const decoder = new Decoder();
      tally.files++;
      while (source.next()) {
        const status = decoder.decode(source.packet);
        comparePacket(entry, truth[source.packet.number - 1]!, status, decoder.out, tally);
      }
    }
    console.log(
      `  ${tally.files} files, ${tally.packets} packets compared (${tally.skippedNested} nested skipped, ${tally.skippedFragments} fragments compared at L3 only), ${tally.fields} fields, ${tally.mismatches.length} mismatches; ${tally.rejected} rejected (no IP for tshark either, or in files tshark flags damaged); ${tally.known} known differences`,
    );
    for (const line of tally.mismatches.slice(0, 40)) console.log(`  ${line}`);
    assert.equal(tally.mismatches.length, 0);
    assert.ok(tally.files > 300 && tally.packets > 20_000 && tally.fields > 150_000);
  },
});
