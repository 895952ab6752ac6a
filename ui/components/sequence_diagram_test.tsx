import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { type SeqArrowView, SequenceDiagram } from "./sequence_diagram.tsx";
import { DecodeTree, HexView } from "./decode_tree.tsx";

const arrow = (over: Partial<SeqArrowView>): SeqArrowView => ({
  number: 1,
  timeUs: 0,
  deltaUs: 0,
  fromLeft: true,
  flags: "SYN",
  seq: 0,
  ack: null,
  len: 0,
  retransmission: false,
  reset: false,
  ...over,
});

Deno.test("SequenceDiagram() draws one arrow per segment, left→right or back, resets and retransmissions marked in words and colour", () => {
  const svg = renderToString(
    <SequenceDiagram
      left="10.0.0.1:40000"
      right="10.0.0.2:80"
      arrows={[
        arrow({}),
        arrow({ number: 2, fromLeft: false, flags: "SYN, ACK", ack: 1, deltaUs: 1500 }),
        arrow({ number: 3, flags: "PSH, ACK", seq: 1, ack: 1, len: 5, retransmission: true }),
        arrow({ number: 4, fromLeft: false, flags: "RST", seq: 1, reset: true }),
      ]}
      packetHref={(n) => `/p?packet=${n}`}
    />,
  );
  assert.match(
    svg,
    /^<svg[^>]*role="img"[^>]*aria-label="TCP sequence diagram, 10\.0\.0\.1:40000 and 10\.0\.0\.2:80, 4 segments"/,
  );
  const lines = [...svg.matchAll(/<line x1="(\d+)" y1="\d+" x2="(\d+)"[^>]*stroke="(#[0-9a-f]+)"/g)]
    .filter((m) => m[3] !== "#8b93a3") // the two lanes
    .map((m) => [Number(m[1]) < Number(m[2]) ? "→" : "←", m[3]]);
  assert.deepEqual(lines, [["→", "#3264d2"], ["←", "#3264d2"], ["→", "#b86e00"], ["←", "#c22f48"]]);
  assert.match(svg, />\[SYN\] Seq=0 Len=0</);
  assert.match(svg, />#2 \+0\.001500 s</);
  assert.match(svg, />Retransmission \[PSH, ACK\] Seq=1 Ack=1 Len=5</);
  assert.match(svg, /class="seq-arrow seq-rst"/);
  assert.match(svg, /<a href="\/p\?packet=4">/);
});

Deno.test("DecodeTree() and HexView() carry the byte ranges the page script highlights", () => {
  const html = renderToString(
    <DecodeTree
      tree={[{
        label: "IPv4 <a>",
        start: 14,
        length: 20,
        children: [{ label: "Source", start: 26, length: 4, children: [] }],
      }]}
    />,
  );
  assert.match(
    html,
    /<details open><summary class="pcap-field" data-start="14" data-len="20">IPv4 &lt;a><\/summary>/,
  );
  assert.match(
    html,
    /<li class="pcap-field" tabindex="0" data-start="26" data-len="4">Source<\/li>/,
  );
  const hex = renderToString(<HexView bytes={new Uint8Array([0x41, 0x00, 0xff])} />);
  assert.match(
    hex,
    /<span data-o="0">41<\/span><span data-o="1">00<\/span><span data-o="2">ff<\/span>/,
  );
  assert.match(
    hex,
    /<span class="hex-ascii"><span data-o="0">A<\/span><span data-o="1">\.<\/span>/,
  );
});
