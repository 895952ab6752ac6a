import assert from "node:assert/strict";
import { corpusAvailable, corpusPath } from "../../tests/tools/corpus.ts";
import { pcapngOfFile } from "../../tests/support/pcapng.ts";
import { testWithTools } from "../../tests/support/tools.ts";
import type { TreeNode } from "./dissect.ts";
import { parsePdml, tsharkAvailable, tsharkPacketList, tsharkTree } from "./tshark.ts";

const PDML = `<?xml version="1.0" encoding="utf-8"?>
<pdml version="0" creator="wireshark/4.0">
<packet>
  <proto name="geninfo" pos="0" showname="General information" size="60">
    <field name="num" pos="0" show="1" showname="Number" size="60"/>
  </proto>
  <proto name="eth" showname="Ethernet II, Src: a &amp; b" size="14" pos="0">
    <field name="eth.dst" showname="Destination: 02:00:00:00:00:01" size="6" pos="0" show="02:00:00:00:00:01"/>
    <field name="eth.dst_resolved" showname="x" hide="yes" size="6" pos="0"/>
    <field name="eth.type" showname="Type: IPv4 (0x0800)" size="2" pos="12">
      <field name="inner" show="nested &lt;value&gt;" size="1" pos="13"/>
    </field>
  </proto>
</packet>
<packet><proto name="frame" showname="Second packet" size="1" pos="0"/></packet>
</pdml>`;

Deno.test("parsePdml() keeps shown protocols and fields with their byte ranges, nested", () => {
  const tree = parsePdml(PDML);
  assert.deepEqual(
    tree,
    [{
      label: "Ethernet II, Src: a & b",
      start: 0,
      length: 14,
      children: [
        { label: "Destination: 02:00:00:00:00:01", start: 0, length: 6, children: [] },
        {
          label: "Type: IPv4 (0x0800)",
          start: 12,
          length: 2,
          children: [{ label: "nested <value>", start: 13, length: 1, children: [] }],
        },
      ],
    }] satisfies TreeNode[],
  );
});

Deno.test("tsharkAvailable() is false for a program that does not exist", async () => {
  assert.equal(await tsharkAvailable("/nonexistent/tshark"), false);
});

function labels(tree: TreeNode[]): string[] {
  return tree.flatMap((n) => [n.label, ...labels(n.children)]);
}

testWithTools(
  "tsharkTree() gives Wireshark's tree of one frame; tsharkPacketList() its packet list (get-gzip.pcap)",
  ["tshark"],
  async () => {
    if (!corpusAvailable()) return;
    const bytes = await pcapngOfFile(corpusPath("zeek/http/get-gzip.pcap"));
    const tree = await tsharkTree("tshark", bytes, 4);
    assert.deepEqual(tree.map((n) => n.label.split(",")[0]!.split(" ")[0]), [
      "Frame",
      "Ethernet",
      "Internet",
      "Transmission",
      "Hypertext",
    ]);
    const all = labels(tree);
    assert.ok(all.includes("Source Address: 141.142.228.5"), all.slice(0, 40).join("\n"));
    const ip = tree[2]!;
    const src = ip.children.find((n) => n.label === "Source Address: 141.142.228.5")!;
    assert.deepEqual([src.start, src.length], [26, 4]);
    assert.ok(all.some((l) => l.startsWith("GET /gzip HTTP/1.1")));
    const rows = await tsharkPacketList("tshark", bytes);
    assert.equal(rows.length, 14);
    assert.deepEqual(
      [
        rows[3]!.source,
        rows[3]!.destination,
        rows[3]!.protocol,
        rows[3]!.length,
        rows[3]!.info.trim(),
      ],
      ["141.142.228.5", "54.243.118.187", "HTTP", 145, "GET /gzip HTTP/1.1"],
    );
    assert.match(rows[11]!.info, /TCP Retransmission/);
  },
);
