import assert from "node:assert/strict";
import { generate } from "../../tests/tools/gen_pcap.ts";
import { corpusAvailable, corpusPath } from "../../tests/tools/corpus.ts";
import { testWithTools } from "../../tests/support/tools.ts";
import { buildFlowsFromFile } from "../pipeline.ts";

/** Per connection (client ip|port|server ip|port): what both sides of the comparison count. */
interface TcpMetrics {
  /** Retransmitted segments client → server, server → client. */
  retrans: [number, number];
  zeroWindows: [number, number];
  /** Handshake RTT halves of each connection on these ports, µs. */
  rttServer: number[];
  rttClient: number[];
}

function empty(): TcpMetrics {
  return { retrans: [0, 0], zeroWindows: [0, 0], rttServer: [], rttClient: [] };
}

async function ours(path: string): Promise<Map<string, TcpMetrics>> {
  const summary = await buildFlowsFromFile(path);
  const byKey = new Map<string, TcpMetrics>();
  for (const r of summary.records) {
    if (r.protocol !== 6) continue;
    const key = `${r.ip0}|${r.clientPort}|${r.ip1}|${r.serverPort}`;
    const m = byKey.get(key) ?? empty();
    byKey.set(key, m);
    m.retrans[0] += r.retransTx;
    m.retrans[1] += r.retransRx;
    m.zeroWindows[0] += r.zeroWinTx;
    m.zeroWindows[1] += r.zeroWinRx;
    if (r.rttServer > 0) m.rttServer.push(r.rttServer);
    if (r.rttClient > 0) m.rttClient.push(r.rttClient);
  }
  return byKey;
}

const FIELDS = [
  "ip.src",
  "ipv6.src",
  "tcp.srcport",
  "ip.dst",
  "ipv6.dst",
  "tcp.dstport",
  "tcp.flags",
  "tcp.analysis.retransmission",
  "tcp.analysis.fast_retransmission",
  "tcp.analysis.spurious_retransmission",
  "tcp.analysis.zero_window",
  "tcp.analysis.ack_rtt",
];

/** The innermost value of a cell (tunnels list outer first). */
const inner = (cell: string) => cell.split(",").at(-1) ?? "";

/**
 * tshark's TCP analysis, per connection as keyed by ours: retransmissions (fast and spurious
 * ones too), zero windows, and `ack_rtt` of the first SYN-ACK (rttServer) and of the client
 * segment that acknowledges it (rttClient).
 */
async function theirs(path: string, known: Map<string, TcpMetrics>) {
  const args = ["-n", "-r", path, "-Y", "tcp", "-T", "fields", "-E", "separator=/t"];
  args.push("-E", "occurrence=a", "-E", "aggregator=,");
  for (const field of FIELDS) args.push("-e", field);
  const output = await new Deno.Command("tshark", { args, stdout: "piped", stderr: "null" })
    .output();
  assert.ok(output.success, `tshark failed on ${path}`);
  const byKey = new Map<string, TcpMetrics>();
  const awaitingAck = new Set<string>();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    if (line === "") continue;
    const cells = line.split("\t");
    const row = Object.fromEntries(FIELDS.map((f, i) => [f, cells[i] ?? ""]));
    const src = inner(row["ip.src"] || row["ipv6.src"]!);
    const dst = inner(row["ip.dst"] || row["ipv6.dst"]!);
    const forward = `${src}|${inner(row["tcp.srcport"]!)}|${dst}|${inner(row["tcp.dstport"]!)}`;
    const backward = `${dst}|${inner(row["tcp.dstport"]!)}|${src}|${inner(row["tcp.srcport"]!)}`;
    const key = known.has(backward) && !known.has(forward) ? backward : forward;
    const side = key === forward ? 0 : 1;
    const m = byKey.get(key) ?? empty();
    byKey.set(key, m);
    const flags = parseInt(inner(row["tcp.flags"]!), 16);
    const resent = row["tcp.analysis.retransmission"] !== "" ||
      row["tcp.analysis.fast_retransmission"] !== "" ||
      row["tcp.analysis.spurious_retransmission"] !== "";
    if (resent) m.retrans[side]++;
    if (row["tcp.analysis.zero_window"] !== "") m.zeroWindows[side]++;
    const rtt = row["tcp.analysis.ack_rtt"]
      ? Math.round(Number(inner(row["tcp.analysis.ack_rtt"]!)) * 1e6)
      : 0;
    if ((flags & 0x12) === 0x12 && side === 1 && !resent && rtt > 0) {
      m.rttServer.push(rtt);
      awaitingAck.add(key);
    } else if ((flags & 0x16) === 0x10 && side === 0 && awaitingAck.has(key)) {
      if (rtt > 0) m.rttClient.push(rtt);
      awaitingAck.delete(key);
    }
  }
  return byKey;
}

/** Connections whose metrics differ, as `key: what` lines; RTTs may differ by `slackUs`. */
async function differences(path: string, slackUs = 0): Promise<string[]> {
  const mine = await ours(path);
  const tshark = await theirs(path, mine);
  const lines: string[] = [];
  const close = (a: number[], b: number[]) =>
    a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= slackUs);
  for (const [key, t] of tshark) {
    const o = mine.get(key) ?? empty();
    const what: string[] = [];
    if (o.retrans.join() !== t.retrans.join()) what.push(`retrans ${o.retrans} vs ${t.retrans}`);
    if (o.zeroWindows.join() !== t.zeroWindows.join()) {
      what.push(`zero windows ${o.zeroWindows} vs ${t.zeroWindows}`);
    }
    if (!close(o.rttServer, t.rttServer)) what.push(`rttServer ${o.rttServer} vs ${t.rttServer}`);
    if (!close(o.rttClient, t.rttClient)) what.push(`rttClient ${o.rttClient} vs ${t.rttClient}`);
    if (what.length > 0) lines.push(`${key}: ${what.join("; ")}`);
  }
  return lines;
}

testWithTools(
  "FlowTable's TCP metrics of the generator's scenarios agree with tshark",
  ["tshark"],
  async () => {
    const { bytes, summary } = generate({ flows: 40, seed: 5, scenarios: true });
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    try {
      await Deno.writeFile(path, bytes);
      assert.ok(summary.scenarios.length > 15);
      assert.deepEqual(await differences(path), []);
    } finally {
      await Deno.remove(path);
    }
  },
);

/**
 * Corpus files chosen for handshakes, retransmissions (resent, spurious, reordered), zero
 * windows, tunnels (GRE, GTP-U with a TEID per direction) and IP fragments, with every deliberate
 * difference from tshark and its reason.
 */
const CORPUS: Record<string, { slackUs?: number; expected?: string[] }> = {
  "zeek/mysql/auth.pcap": {},
  "pcapplusplus/examples_test/tls2.pcap": {},
  "zeek/postgresql/psql-aws-ssl-preferred.pcap": {},
  "zeek/tls/hrr.pcap": {},
  "zeek/tunnels/gre-aruba.pcap": {},
  "pcapplusplus/packet_examples/CiscoHDLC.pcap": {},
  "zeek/tunnels/gtp/gtp6_gtp_0x32.pcap": {},
  // A SYN captured twice 9 µs apart: both RTTs count from the first SYN.
  "zeek/mysql/mysql8-navicat-login-failed.pcap": {},
  "pcapplusplus/pcap_examples/four_ipv6_http_streams.pcap": {},
  "zeek/ipv4/fragmented-syn.pcap": {},
  // Nanosecond timestamps: we keep µs, so an RTT may be 1 µs off tshark's.
  "zeek/http/cooper-grill-dvwa.pcapng": { slackUs: 1 },
  "zeek/tcp/retransmit-timeout.pcapng": {
    // The resent request comes 300.00001 s later: past the 300 s established timeout, it
    // starts a new flow (first seen mid-stream), so it is not a retransmission of that flow.
    expected: ["10.0.0.1|51889|192.168.0.1|80: retrans 0,0 vs 1,0"],
  },
  "pcapplusplus/packet_examples/Bgp_open_malformed.pcap": {
    // The same sequence number sent four times at the same instant: the same range again, so
    // retransmissions to us; tshark calls them out-of-order because they come so close.
    expected: ["192.168.12.1|37019|192.168.12.2|179: retrans 3,0 vs 0,0"],
  },
};

testWithTools(
  "FlowTable's TCP metrics of corpus files agree with tshark, deliberate differences listed",
  ["tshark"],
  async () => {
    let connections = 0;
    for (const [file, { slackUs, expected = [] }] of Object.entries(CORPUS)) {
      const path = corpusPath(file);
      connections += (await ours(path)).size;
      assert.deepEqual(await differences(path, slackUs), expected, file);
    }
    assert.ok(connections > 300, `${connections} connections compared`);
  },
  { ignore: !corpusAvailable() },
);
