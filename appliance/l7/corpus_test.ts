/**
 * Requests per protocol on the corpus captures vs tshark: HTTP requests over TCP
 * (`http.request and tcp`) and DNS queries (`dns.flags.response == 0`), frames counted. One
 * tshark run per file gives both counts. TLS handshakes are compared field by field: each
 * ClientHello's SNI and ALPN list, and each answered handshake's version (the ServerHello's
 * supported_versions, else its legacy version), against tshark's `tls.handshake.*` fields.
 */
import assert from "node:assert/strict";
import { buildFlowsFromFile } from "../pipeline.ts";
import { L7Protocol, RequestType } from "../wire/mod.ts";
import { tlsVersionName } from "./tls.ts";
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

function files(wanted: readonly string[] = PROTOCOLS): { file: string; protocols: string[] }[] {
  const index = Deno.readTextFileSync(`${ROOT}INDEX.tsv`).trim().split("\n").slice(1);
  return index.map((line) => line.split("\t"))
    .filter((c) => c[7] === "ok")
    .map((c) => ({
      file: c[0]!,
      protocols: c[6]!.split(",").filter((p) => wanted.includes(p)),
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

/**
 * A file's TLS handshakes as sorted lines: `hello <sni> <alpn>` per ClientHello and
 * `answer <version>` per ServerHello (TLS over TCP only: DTLS is not parsed).
 */
function tsharkTls(file: string): string[] {
  const out = new Deno.Command("tshark", {
    args: [
      "-r",
      `${ROOT}${file}`,
      "-Y",
      "tcp and (tls.handshake.type == 1 or tls.handshake.type == 2)",
      "-T",
      "fields",
      "-E",
      "separator=/t",
      "-e",
      "tls.handshake.type",
      "-e",
      "tls.handshake.extensions_server_name",
      "-e",
      "tls.handshake.extensions_alpn_str",
      "-e",
      "tls.handshake.version",
      "-e",
      "tls.handshake.extensions.supported_version",
    ],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const lines: string[] = [];
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (line === "") continue;
    const [types = "", sni = "", alpn = "", legacy = "", supported = ""] = line.split("\t");
    // One frame may hold several handshake messages; a Hello is alone in these captures.
    const type = types.split(",");
    if (type.includes("1")) lines.push(`hello ${sni} ${alpn}`);
    if (type.includes("2")) {
      const version = supported.split(",").at(-1) || legacy.split(",").at(-1) || "0";
      lines.push(`answer ${tlsVersionName(parseInt(version, 16))}`);
    }
  }
  return lines.sort();
}

/** TLS after another protocol's upgrade: the flow stays with the protocol it was inferred as. */
const UPGRADED: string[] = [];

/** Where our TLS handshakes differ from tshark's, and why (file → our lines). */
const KNOWN_TLS: Record<string, string[]> = {
  // MySQL's SSL request, PostgreSQL's SSLRequest and an HTTP CONNECT tunnel switch the flow to
  // TLS after the first payloads; the protocol is inferred once per flow, so these flows stay
  // MySQL / PostgreSQL / HTTP requests (tshark follows the upgrade). pcapng-example is MySQL too.
  "ndpi/mysql.pcapng": UPGRADED,
  "zeek/mysql/encrypted.pcap": UPGRADED,
  "zeek/mysql/tls-12-amazon-rds.pcap": UPGRADED,
  "zeek/mysql/tls-13-amazon-rds.pcap": UPGRADED,
  "pcapplusplus/pcap_examples/pcapng-example.pcapng": UPGRADED,
  "zeek/postgresql/psql-aws-ssl-preferred.pcap": UPGRADED,
  "zeek/postgresql/psql-aws-ssl-require.pcap": UPGRADED,
  "zeek/http/connect-with-header.pcap": UPGRADED,
  // The capture starts after the ClientHello (or loses one of its segments): a ServerHello
  // answers no request of ours, so no record; tshark lists the lone ServerHello.
  "ndpi/tls_missing_ch_frag.pcap": [],
  "pcapplusplus/packet_examples/SSL-MultipleRecords1.pcap": [],
  "pcapplusplus/packet_examples/SSL-MultipleRecords3.pcap": [],
  "pcapplusplus/packet_examples/SSL-PartialCertificate1.pcap": [],
  "pcapplusplus/packet_examples/SSL-PartialCertificate2.pcap": [],
  "pcapplusplus/packet_examples/tls_server_hello.pcap": [],
  // A ClientHello whose server_name extension is cut short: a parse failure for us (counted),
  // a "Malformed Packet" hello for tshark.
  "pcapplusplus/packet_examples/ssl-malformed1.pcap": [],
  // An SSLv2-format ClientHello (no TLS record header): not parsed.
  "zeek/tls/ssl-v2.pcap": [],
  // TLS 1.3 draft 16 ServerHellos (0x7f10) have no session id or compression fields: drafts
  // before 22 are not parsed, so the hellos stay unanswered.
  "zeek/tls/tls13draft16-ff52.a01.pcap": ["hello  h2,http/1.1", "hello  h2,http/1.1"],
  // The second ServerHello (after a HelloRetryRequest, itself a ServerHello: RFC 8446 §4.1.4)
  // arrives out of order after a lost segment; our TCP reassembly puts it in place, tshark
  // does not dissect it.
  "zeek/tls/hrr.pcap": ["answer TLS 1.3", "answer TLS 1.3", "hello  ", "hello  "],
};

testWithTools("L7 TLS handshakes on the corpus match tshark: SNI, ALPN, version", [
  "tshark",
], async () => {
  const differences: string[] = [];
  let hellos = 0;
  for (const { file } of files(["tls"])) {
    const tshark = tsharkTls(file);
    const summary = await buildFlowsFromFile(`${ROOT}${file}`, { l7: {} });
    const ours: string[] = [];
    for (const r of summary.requests ?? []) {
      if (r.l7Protocol !== L7Protocol.Tls) continue;
      if (r.requestType === "ClientHello") {
        ours.push(`hello ${r.requestDomain} ${r.requestResource}`);
      }
      // Answered by a ServerHello (its cipher suite), not by an alert.
      if (r.type !== RequestType.Request && r.responseResult !== "") {
        ours.push(`answer ${r.version}`);
      }
    }
    ours.sort();
    hellos += ours.filter((l) => l.startsWith("hello ")).length;
    const expected = KNOWN_TLS[file] ?? tshark;
    if (JSON.stringify(ours) !== JSON.stringify(expected)) {
      differences.push(`${file}: ours ${JSON.stringify(ours)}, tshark ${JSON.stringify(expected)}`);
    }
  }
  assert.ok(hellos > 20, `${hellos} ClientHellos`);
  assert.deepEqual(differences, []);
});
