import assert from "node:assert/strict";
import {
  corpusAvailable,
  corpusPath,
  readIndex,
  readTruth,
  type TruthRow,
} from "../../tests/tools/corpus.ts";
import { CaptureError, openCaptureFile } from "../capture/mod.ts";
import { DecodedPacket, Decoder, DecodeStatus, formatIpv4, formatIpv6, Layer } from "./mod.ts";
import { explainDifference, knownDifferences } from "./_corpus_differences.ts";

const ignore = !corpusAvailable();

/** The truth columns compared; each cell lists a field's values outer first. */
const FIELDS = [
  "eth.type",
  "ip.src",
  "ip.dst",
  "ip.proto",
  "ipv6.src",
  "ipv6.dst",
  "tcp.srcport",
  "tcp.dstport",
  "tcp.flags",
  "tcp.seq_raw",
  "tcp.len",
  "udp.srcport",
  "udp.dstport",
] as const;
type Field = typeof FIELDS[number];

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * TCP payload length of a TCP layer that is not the packet's own (an ICMP quote), from the IP
 * header before it, as tshark computes tcp.len; undefined when the headers are not all there.
 */
function quotedTcpLength(out: DecodedPacket, i: number, end: number): number | undefined {
  const b = out.layerBuffer(i);
  const at = out.layerOffsets[i]!;
  const ip = out.layerOffsets[i - 1]!;
  if (end - at < 13) return undefined;
  const ipPayload = out.layer(i - 1) === Layer.ipv4
    ? u16(b, ip + 2) - ((b[ip]! & 0x0f) << 2)
    : u16(b, ip + 4);
  return ipPayload - ((b[at + 12]! >> 4) << 2);
}

/** Whether the innermost IP packet, a fragment, lacks captured bytes. */
function fragmentTruncated(out: DecodedPacket): boolean {
  const b = out.buffer;
  const ip = out.ipOffset;
  const total = out.ipVersion === 4 ? u16(b, ip + 2) : 40 + u16(b, ip + 4);
  const end = b === out.frameBuffer ? out.frameOffset + out.capturedLength : b.length;
  return ip + total > end;
}

/** Our values for every compared field, outer first, in the truth file's notation. */
function ourFields(out: DecodedPacket): Record<Field, string[]> {
  const fields = Object.fromEntries(FIELDS.map((f) => [f, [] as string[]])) as Record<
    Field,
    string[]
  >;
  // A fragment that did not complete its datagram shows no transport header in tshark, which
  // reassembles first; so the layers after a fragmented IP header are left out.
  // A fragment cut by the snap length is not reassembled by tshark either; it then decodes the
  // first fragment's transport header as it stands.
  const fragmentCut = out.isFragment && !out.reassembled && !fragmentTruncated(out);
  for (let i = 0; i < out.layerCount; i++) {
    const b = out.layerBuffer(i);
    const at = out.layerOffsets[i]!;
    const end = b === out.frameBuffer ? out.frameOffset + out.capturedLength : b.length;
    const layer = out.layer(i);
    if (fragmentCut && i > 0 && (layer === Layer.tcp || layer === Layer.udp)) {
      const prev = out.layer(i - 1);
      if (
        (prev === Layer.ipv4 || prev === Layer.ipv6) && out.layerOffsets[i - 1] === out.ipOffset
      ) {
        continue;
      }
    }
    if (layer === Layer.eth) {
      // IEEE 802.3 frames have a length there, which tshark calls eth.len.
      const type = u16(b, at + 12);
      if (type > 1500) fields["eth.type"].push(`0x${type.toString(16).padStart(4, "0")}`);
    } else if (layer === Layer.ipv4) {
      fields["ip.src"].push(formatIpv4(b, at + 12));
      fields["ip.dst"].push(formatIpv4(b, at + 16));
      fields["ip.proto"].push(String(b[at + 9]));
    } else if (layer === Layer.ipv6) {
      fields["ipv6.src"].push(formatIpv6(b, at + 8));
      fields["ipv6.dst"].push(formatIpv6(b, at + 24));
    } else if (layer === Layer.udp) {
      fields["udp.srcport"].push(String(u16(b, at)));
      fields["udp.dstport"].push(String(u16(b, at + 2)));
    } else if (layer === Layer.tcp) {
      fields["tcp.srcport"].push(String(u16(b, at)));
      fields["tcp.dstport"].push(String(u16(b, at + 2)));
      const own = at === out.transportOffset && b === out.buffer &&
        (out.quoteLayer < 0 || i < out.quoteLayer);
      // tshark gives the raw sequence number and the flags only of a whole fixed header.
      if (end - at >= 20) {
        const flags = ((b[at + 12]! & 0x0f) << 8) | b[at + 13]!;
        fields["tcp.flags"].push(`0x${flags.toString(16).padStart(4, "0")}`);
        fields["tcp.seq_raw"].push(String(u32(b, at + 4)));
      }
      if (own && !out.hasTransport) continue;
      const length = own ? out.payloadLength : quotedTcpLength(out, i, end);
      if (length !== undefined) fields["tcp.len"].push(String(length));
    }
  }
  return fields;
}

interface Difference {
  file: string;
  frame: number;
  field: string;
  ours: string;
  truth: string;
  reason: string | undefined;
}

interface FieldTally {
  compared: number;
  agreed: number;
}

function emptyTallies(): Record<Field, FieldTally> {
  return Object.fromEntries(FIELDS.map((f) => [f, { compared: 0, agreed: 0 }])) as Record<
    Field,
    FieldTally
  >;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "-" : `${(100 * part / whole).toFixed(3)}%`;
}

Deno.test({
  name: "Decoder.decode() matches tshark on every layer of every corpus packet",
  ignore,
  async fn() {
    const fieldTallies = emptyTallies();
    const differences: Difference[] = [];
    const skipped: string[] = [];
    let files = 0;
    let packets = 0;
    let agreedPackets = 0;
    let unsupportedPackets = 0;
    const unsupportedFiles = new Set<string>();
    for (const entry of readIndex()) {
      let source;
      try {
        source = await openCaptureFile(corpusPath(entry.file));
      } catch (err) {
        if (!(err instanceof CaptureError)) throw err;
        skipped.push(`${entry.file}: ${err.code}: ${err.message}`);
        continue;
      }
      files++;
      const truth = readTruth(entry.file);
      const decoder = new Decoder();
      while (source.next()) {
        const frame = source.packet.number;
        const row: TruthRow | undefined = truth[frame - 1];
        if (row === undefined) continue;
        const status = decoder.decode(source.packet);
        const out = decoder.out;
        if (status === DecodeStatus.Malformed && out.layerCount === 0 && out.error === 0) {
          unsupportedPackets++;
          unsupportedFiles.add(`${entry.file} (link type ${source.packet.linkType})`);
          continue;
        }
        packets++;
        const ours = ourFields(out);
        let agreed = true;
        for (const field of FIELDS) {
          const want = row[field] ?? "";
          const got = ours[field].join(",");
          if (want === "" && got === "") continue;
          fieldTallies[field].compared++;
          if (want === got) {
            fieldTallies[field].agreed++;
            continue;
          }
          agreed = false;
          const reason = explainDifference(entry.file, frame, field);
          differences.push({ file: entry.file, frame, field, ours: got, truth: want, reason });
        }
        if (agreed) agreedPackets++;
      }
    }
    const unexplained = differences.filter((d) => d.reason === undefined);
    const packetsWithDifferences = packets - agreedPackets;
    console.log(
      `  ${files} files read, ${skipped.length} skipped; ${packets} packets compared (${unsupportedPackets} more of unsupported link types); ${agreedPackets} agree on every field (${
        percent(agreedPackets, packets)
      }); ${packetsWithDifferences} differ: ${differences.length} field differences, ${unexplained.length} unexplained`,
    );
    for (const field of FIELDS) {
      const { compared, agreed } = fieldTallies[field];
      console.log(`  ${field.padEnd(12)} ${percent(agreed, compared).padStart(8)} of ${compared}`);
    }
    for (const line of skipped) console.log(`  skipped ${line}`);
    for (const file of unsupportedFiles) console.log(`  unsupported link type: ${file}`);
    for (const d of differences) {
      console.log(
        `  ${d.file} #${d.frame} ${d.field}: ours "${d.ours}", tshark "${d.truth}" — ${
          d.reason ?? "UNEXPLAINED"
        }`,
      );
    }
    const read = new Set(
      readIndex().map((e) => e.file).filter((f) => !skipped.some((s) => s.startsWith(`${f}:`))),
    );
    const stale = knownDifferences().filter((k) =>
      read.has(k.file) && !differences.some((d) => d.file === k.file && d.frame === k.frame)
    );
    assert.deepEqual(unexplained, []);
    assert.deepEqual(stale, [], "listed differences that no longer occur");
    assert.ok(agreedPackets / packets >= 0.999, "at least 99.9% of packets agree on every field");
    assert.ok(files > 300 && packets > 25_000);
  },
});
