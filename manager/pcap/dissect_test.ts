import assert from "node:assert/strict";
import { corpusAvailable, corpusPath } from "../../tests/tools/corpus.ts";
import { pcapngOfFile } from "../../tests/support/pcapng.ts";
import { dissect, type TreeNode } from "./dissect.ts";
import { readPcapngPackets } from "./pcapng.ts";

async function frames(file: string) {
  return readPcapngPackets(await pcapngOfFile(corpusPath(file)));
}

function find(tree: TreeNode[], label: RegExp): TreeNode | undefined {
  for (const n of tree) {
    if (label.test(n.label)) return n;
    const inner = find(n.children, label);
    if (inner) return inner;
  }
}

Deno.test({
  name: "dissect() decodes Ethernet/IPv4/TCP/HTTP with byte ranges (get-gzip.pcap frame 4)",
  ignore: !corpusAvailable(),
  fn: async () => {
    const p = (await frames("zeek/http/get-gzip.pcap"))[3]!;
    const d = dissect(p.data, p.linkType);
    assert.equal(d.src, "141.142.228.5");
    assert.equal(d.dst, "54.243.118.187");
    assert.equal(d.protocol, "HTTP");
    assert.equal(d.info, "GET /gzip HTTP/1.1");
    assert.deepEqual([d.srcPort, d.dstPort, d.payload?.length], [50153, 80, 79]);
    assert.deepEqual(d.tree.map((n) => n.label.split(",")[0]), [
      "Frame: 145 bytes captured",
      "Ethernet II",
      "Internet Protocol Version 4",
      "Transmission Control Protocol",
      "Hypertext Transfer Protocol",
    ]);
    const src = find(d.tree, /^Source Address: 141\.142\.228\.5$/)!;
    assert.deepEqual([src.start, src.length], [26, 4]);
    const port = find(d.tree, /^Destination Port: 80$/)!;
    assert.deepEqual([port.start, port.length], [36, 2]);
    assert.ok(find(d.tree, /^Host: /), "HTTP header lines are nodes");
  },
});

Deno.test({
  name: "dissect() decodes DNS over UDP like tshark's Info column (ndpi/dns.pcap)",
  ignore: !corpusAvailable(),
  fn: async () => {
    const [first, second] = await frames("ndpi/dns.pcap");
    const r = dissect(first!.data, first!.linkType);
    assert.equal(r.protocol, "DNS");
    assert.equal(r.info, "Standard query response 0xdca2 AAAA www.l.google.com");
    const q = dissect(second!.data, second!.linkType);
    assert.equal(q.info, "Standard query 0xbc1f AAAA www.example.com");
    assert.deepEqual([q.src, q.dst, q.ipProtocol, q.dstPort], [
      "192.168.170.8",
      "192.168.170.20",
      17,
      53,
    ]);
    assert.ok(find(q.tree, /^Query: www\.example\.com: type AAAA, class IN$/));
  },
});

Deno.test({
  name: "dissect() walks 802.1Q tags to IPv4/TCP (ndpi/smb_frags.pcap)",
  ignore: !corpusAvailable(),
  fn: async () => {
    const [syn] = await frames("ndpi/smb_frags.pcap");
    const d = dissect(syn!.data, syn!.linkType);
    assert.ok(find(d.tree, /^802\.1Q Virtual LAN, PRI: \d, ID: 1608$/));
    assert.deepEqual([d.src, d.srcPort, d.dst, d.dstPort], [
      "10.202.211.125",
      54120,
      "10.202.7.8",
      445,
    ]);
    assert.equal(d.tcp?.flags, 0x02);
    assert.match(d.info, /^54120 → 445 \[SYN\] /);
  },
});

Deno.test("dissect() never throws on truncated or junk frames", () => {
  for (let n = 0; n < 80; n++) {
    const junk = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
    if (n > 13) junk[12] = 0x08, junk[13] = 0x00;
    for (const linkType of [0, 1, 101, 113, 999]) dissect(junk, linkType);
  }
});
