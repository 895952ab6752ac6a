import assert from "node:assert/strict";
import { type HeaderHandler, HpackDecoder, huffmanCode, huffmanDecode } from "./hpack.ts";

function hex(s: string): Uint8Array {
  const digits = s.replace(/\s+/g, "");
  return Uint8Array.from(
    { length: digits.length / 2 },
    (_, i) => parseInt(digits.slice(i * 2, i * 2 + 2), 16),
  );
}

function decodeBlock(d: HpackDecoder, block: string): [string, string][] {
  const fields: [string, string][] = [];
  const out: HeaderHandler = { header: (name, value) => fields.push([name, value]) };
  const b = hex(block);
  assert.ok(d.decode(b, 0, b.length, out), `block ${block} decodes`);
  return fields;
}

const DATE1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

Deno.test("huffmanCode() rebuilds RFC 7541 Appendix B from the code lengths", () => {
  assert.deepEqual(huffmanCode(48), [0x0, 5]);
  assert.deepEqual(huffmanCode(32), [0x14, 6]);
  assert.deepEqual(huffmanCode(0), [0x1ff8, 13]);
  assert.deepEqual(huffmanCode(92), [0x7fff0, 19]);
  assert.deepEqual(huffmanCode(255), [0x3ffffee, 26]);
  assert.deepEqual(huffmanCode(249), [0xffffffe, 28]);
  assert.deepEqual(huffmanCode(10), [0x3ffffffc, 30]);
  assert.deepEqual(huffmanCode(256), [0x3fffffff, 30]);
  // A complete prefix code: the Kraft sum is exactly 1.
  let kraft = 0;
  for (let s = 0; s <= 256; s++) kraft += 2 ** -huffmanCode(s)[1];
  assert.equal(kraft, 1);
});

Deno.test("huffmanDecode() rejects EOS, long padding and padding that is not all ones", () => {
  assert.equal(huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"), 0, 12), 15); // www.example.com
  assert.equal(huffmanDecode(hex("ff ff ff ff"), 0, 4), -1); // EOS
  assert.equal(huffmanDecode(hex("1f ff"), 0, 2), -1); // "a" then 11 bits of padding
  assert.equal(huffmanDecode(hex("18"), 0, 1), -1); // "a" then padding 000
});

Deno.test("HpackDecoder.decode() matches RFC 7541 C.2 (literal representations)", () => {
  const d = new HpackDecoder();
  assert.deepEqual(
    decodeBlock(d, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"),
    [["custom-key", "custom-header"]],
  );
  assert.equal(d.size, 55);
  const d2 = new HpackDecoder();
  assert.deepEqual(decodeBlock(d2, "040c 2f73 616d 706c 652f 7061 7468"), [[
    ":path",
    "/sample/path",
  ]]);
  assert.equal(d2.size, 0);
  const d3 = new HpackDecoder();
  assert.deepEqual(
    decodeBlock(d3, "1008 7061 7373 776f 7264 0673 6563 7265 74"),
    [["password", "secret"]],
  );
  assert.equal(d3.size, 0);
  const d4 = new HpackDecoder();
  assert.deepEqual(decodeBlock(d4, "82"), [[":method", "GET"]]);
});

const REQUESTS: [string, string][][] = [
  [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]],
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
    ["cache-control", "no-cache"],
  ],
  [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ],
];

function requestSeries(blocks: string[]) {
  const d = new HpackDecoder();
  blocks.forEach((block, i) => assert.deepEqual(decodeBlock(d, block), REQUESTS[i]));
  assert.equal(d.size, 164);
  assert.deepEqual(d.entries, [
    ["custom-key", "custom-value"],
    ["cache-control", "no-cache"],
    [":authority", "www.example.com"],
  ]);
}

Deno.test("HpackDecoder.decode() matches RFC 7541 C.3 (requests without Huffman)", () => {
  requestSeries([
    "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    "8286 84be 5808 6e6f 2d63 6163 6865",
    "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
  ]);
});

Deno.test("HpackDecoder.decode() matches RFC 7541 C.4 (requests with Huffman)", () => {
  requestSeries([
    "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
    "8286 84be 5886 a8eb 1064 9cbf",
    "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
  ]);
});

function responseSeries(blocks: string[]) {
  // C.5 / C.6: SETTINGS_HEADER_TABLE_SIZE 256, so entries are evicted.
  const d = new HpackDecoder(256);
  assert.deepEqual(decodeBlock(d, blocks[0]!), [
    [":status", "302"],
    ["cache-control", "private"],
    ["date", DATE1],
    ["location", "https://www.example.com"],
  ]);
  assert.equal(d.size, 222);
  assert.deepEqual(decodeBlock(d, blocks[1]!), [
    [":status", "307"],
    ["cache-control", "private"],
    ["date", DATE1],
    ["location", "https://www.example.com"],
  ]);
  assert.equal(d.size, 222);
  assert.deepEqual(decodeBlock(d, blocks[2]!), [
    [":status", "200"],
    ["cache-control", "private"],
    ["date", DATE2],
    ["location", "https://www.example.com"],
    ["content-encoding", "gzip"],
    ["set-cookie", COOKIE],
  ]);
  assert.equal(d.size, 215);
  assert.deepEqual(d.entries, [
    ["set-cookie", COOKIE],
    ["content-encoding", "gzip"],
    ["date", DATE2],
  ]);
}

Deno.test("HpackDecoder.decode() matches RFC 7541 C.5 (responses without Huffman)", () => {
  responseSeries([
    "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133" +
    "2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70" +
    "6c65 2e63 6f6d",
    "4803 3330 37c1 c0bf",
    "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d" +
    "54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049" +
    "5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e" +
    "3d31",
  ]);
});

Deno.test("HpackDecoder.decode() matches RFC 7541 C.6 (responses with Huffman)", () => {
  responseSeries([
    "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6" +
    "2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
    "4883 640e ffc1 c0bf",
    "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab" +
    "77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f" +
    "9587 3160 65c0 03ed 4ee5 b106 3d50 07",
  ]);
});

Deno.test("HpackDecoder.decode() applies size updates and rejects damaged blocks", () => {
  const d = new HpackDecoder();
  decodeBlock(d, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
  assert.equal(d.size, 55);
  // Down to 0 (the table empties) and back to 4096, in one block: index 62 is gone.
  assert.deepEqual(decodeBlock(d, "20 3fe1 1f"), []);
  assert.equal(d.size, 0);
  const none = { header: () => {} };
  const bad = (s: string) => {
    const b = hex(s);
    return new HpackDecoder(4096, 4096).decode(b, 0, b.length, none);
  };
  assert.equal(bad("80"), false); // index 0
  assert.equal(bad("be"), false); // index 62, table empty
  assert.equal(bad("82 20"), false); // size update after a field
  assert.equal(bad("3fe2 1f"), false); // size update over the limit (4097)
  assert.equal(bad("400a 6375"), false); // string cut
  assert.equal(bad("ff ff ff ff ff ff"), false); // integer too long
  assert.equal(bad("3fe1 1f 82"), true);
});
