/**
 * Requests per protocol on the corpus captures vs tshark: HTTP requests over TCP
 * (`http.request and tcp`) and DNS queries (`dns.flags.response == 0`), frames counted. One
 * tshark run per file gives both counts.
 */
import assert from "node:assert/strict";
import { buildFlowsFromFile } from "../pipeline.ts";
import { testWithTools } from "../../tests/support/tools.ts";

const ROOT = "/work/shared/corpus/pcaps/";

/** Where we differ from tshark, and why (protocol → file → our count). */
const KNOWN: Record<string, Record<string, number>> = {
  http: {
    // The flow table splits the connection in two: the request retransmitted after the opening
    // timeout counts on both flows.
    "zeek/tcp/retransmit-timeout.pcapng": 2,
  },
  dns: {
    // tshark also counts the query quoted inside each ICMP port-unreachable error (2 + 2).
    "zeek/tunnels/gre-sample.pcap": 2,
    // A fuzzed file: a query whose UDP length exceeds its IP payload is a decode error for us
    // (tshark dissects what is there), and bit flips make one response look like a query.
    "ndpi/fuzz-2006-06-26-2594.pcap": 254,
  },
};

const PROTOCOLS = ["http", "dns"] as const;

function files(): { file: string; protocols: string[] }[] {
  const index = Deno.readTextFileSync(`${ROOT}INDEX.tsv`).trim().split("\n").slice(1);
  return index.map((line) => line.split("\t"))
    .filter((c) => c[7] === "ok")
    .map((c) => ({
      file: c[0]!,
      protocols: c[6]!.split(",").filter((p) => (PROTOCOLS as readonly string[]).includes(p)),
    }))
    .filter((f) => f.protocols.length > 0);
}

/** Frames with an HTTP request over TCP, and frames with a DNS query. */
function tsharkCounts(file: string): { http: number; dns: number } {
  const out = new Deno.Command("tshark", {
    args: [
      "-r",
      `${ROOT}${file}`,
      "-Y",
      "(http.request and tcp) or dns.flags.response == 0",
      "-T",
      "fields",
      "-E",
      "separator=/t",
      "-e",
      "http.request.method",
      "-e",
      "tcp.srcport",
      "-e",
      "dns.flags.response",
    ],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const counts = { http: 0, dns: 0 };
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (line === "") continue;
    const [method = "", tcpPort = "", response = ""] = line.split("\t");
    if (method !== "" && tcpPort !== "") counts.http++;
    if (response.split(",").includes("0")) counts.dns++;
  }
  return counts;
}

testWithTools("L7 HTTP and DNS requests on the corpus match tshark", ["tshark"], async () => {
  const differences: string[] = [];
  const totals = { http: 0, dns: 0 };
  for (const { file, protocols } of files()) {
    const tshark = tsharkCounts(file);
    const summary = await buildFlowsFromFile(`${ROOT}${file}`, { l7: {} });
    for (const protocol of protocols as (typeof PROTOCOLS[number])[]) {
      const expected = KNOWN[protocol]?.[file] ?? tshark[protocol];
      const got = summary.l7!.byProtocol[protocol]!.requests;
      totals[protocol] += got;
      if (got !== expected) {
        differences.push(`${protocol} ${file}: ours ${got}, tshark ${expected}`);
      }
    }
  }
  assert.ok(totals.http > 400 && totals.dns > 700, JSON.stringify(totals));
  assert.deepEqual(differences, []);
});
