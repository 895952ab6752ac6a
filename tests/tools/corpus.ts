/**
 * Access to the shared packet-capture corpus (`../shared/corpus/pcaps` beside the repository):
 * INDEX.tsv rows and the per-file tshark ground truth. Tests skip themselves when it is absent.
 */

export const CORPUS_DIR = new URL("../../../shared/corpus/pcaps/", import.meta.url);

export interface CorpusEntry {
  file: string;
  format: string;
  linkType: string;
  packetCount: number;
  tcpConversations: number;
  udpConversations: number;
  protocols: string[];
  status: string;
}

/** One truth line: column name → cell ("" when the field is absent). */
export type TruthRow = Record<string, string>;

export function corpusAvailable(): boolean {
  try {
    return Deno.statSync(new URL("INDEX.tsv", CORPUS_DIR)).isFile;
  } catch {
    return false;
  }
}

export function corpusPath(file: string): string {
  return new URL(file, CORPUS_DIR).pathname;
}

function parseTsv(text: string): Record<string, string>[] {
  const lines = text.split("\n").filter((line) => line.length > 0);
  const header = (lines.shift() ?? "").split("\t");
  return lines.map((line) => {
    const cells = line.split("\t");
    const row: Record<string, string> = {};
    header.forEach((name, i) => row[name] = cells[i] ?? "");
    return row;
  });
}

export function readIndex(): CorpusEntry[] {
  return parseTsv(Deno.readTextFileSync(new URL("INDEX.tsv", CORPUS_DIR))).map((row) => ({
    file: row.file ?? "",
    format: row.format ?? "",
    linkType: row.link_type ?? "",
    packetCount: Number(row.packet_count),
    tcpConversations: Number(row.tcp_conversations),
    udpConversations: Number(row.udp_conversations),
    protocols: (row.protocols ?? "").split(","),
    status: row.status ?? "",
  }));
}

/** Classic pcap files (µs or ns) that tshark read completely. */
export function classicPcapEntries(): CorpusEntry[] {
  return readIndex().filter((entry) =>
    (entry.format === "pcap" || entry.format === "pcap (nanosecond)") && entry.status === "ok"
  );
}

export function readTruth(file: string): TruthRow[] {
  return parseTsv(Deno.readTextFileSync(new URL(`${file}.truth.tsv`, CORPUS_DIR)));
}
