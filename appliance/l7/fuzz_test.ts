import assert from "node:assert/strict";
import { bytes, Conversation } from "./_testing.ts";
import {
  bson,
  H2_PREFACE,
  h2Frame,
  hpackLiterals,
  kafkaRequest,
  kafkaResponse,
  opMsg,
} from "./_wire_testing.ts";

/** A TLS handshake record holding one handshake message of `type` with `body`. */
function tlsRecord(type: number, body: number[]): Uint8Array {
  const hs = [type, 0, body.length >> 8, body.length & 255, ...body];
  return bytes([22, 3, 1, hs.length >> 8, hs.length & 255], hs);
}

const RANDOM = new Array(32).fill(7);
// SNI "a.b", ALPN h2, supported_versions TLS 1.3; then a ServerHello choosing 0x1301.
const CLIENT_HELLO = tlsRecord(1, [
  3,
  3,
  ...RANDOM,
  0,
  0,
  2,
  0x13,
  0x01,
  1,
  0,
  0,
  28,
  0,
  0,
  0,
  8,
  0,
  6,
  0,
  0,
  3,
  97,
  46,
  98,
  0,
  16,
  0,
  5,
  0,
  3,
  2,
  104,
  50,
  0,
  43,
  0,
  3,
  2,
  3,
  4,
]);
const SERVER_HELLO = tlsRecord(2, [3, 3, ...RANDOM, 0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]);

/** Valid messages of each protocol: the seeds the fuzzer damages. */
const SEEDS: { server: number; udp?: boolean; messages: [0 | 1, Uint8Array][] }[] = [
  {
    server: 443,
    messages: [[0, CLIENT_HELLO], [1, SERVER_HELLO], [1, bytes([23, 3, 3, 0, 2, 1, 2])]],
  },
  {
    server: 80,
    messages: [
      [
        0,
        bytes(
          "GET /a HTTP/1.1\r\nHost: h\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n",
        ),
      ],
      [1, bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")],
    ],
  },
  {
    server: 53,
    udp: true,
    messages: [
      [0, bytes([1, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 97, 0, 0, 1, 0, 1])],
      [
        1,
        bytes([
          1,
          2,
          0x81,
          0x80,
          0,
          1,
          0,
          1,
          0,
          0,
          0,
          0,
          1,
          97,
          0,
          0,
          1,
          0,
          1,
          0xc0,
          12,
          0,
          1,
          0,
          1,
          0,
          0,
          0,
          1,
          0,
          4,
          1,
          2,
          3,
          4,
        ]),
      ],
    ],
  },
  {
    server: 6379,
    messages: [
      [0, bytes("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")],
      [1, bytes("%1\r\n+a\r\n*2\r\n$1\r\nb\r\n:3\r\n")],
    ],
  },
  {
    server: 5432,
    messages: [
      [0, bytes([0, 0, 0, 23, 0, 3, 0, 0], "user\0u\0database\0d\0\0")],
      [0, bytes("Q", [0, 0, 0, 13], "SELECT 1\0")],
      [1, bytes("E", [0, 0, 0, 17], "C42601\0Mbad\0\0", "Z", [0, 0, 0, 5], "I")],
    ],
  },
  {
    server: 3306,
    messages: [
      [1, bytes([20, 0, 0, 0, 10], "5.5.5-10\0", new Array(11).fill(0))],
      [0, bytes([9, 0, 0, 0, 3], "SELECT 1")],
      [1, bytes([7, 0, 0, 1, 0xff, 0x28, 0x04], "#4200")],
    ],
  },
  {
    server: 50051,
    messages: [
      // RFC 7541 C.4.1 (Huffman) as a request block, then a gRPC call split by CONTINUATION.
      [0, bytes(H2_PREFACE, h2Frame(1, 5, 1, hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")))],
      [
        0,
        bytes(
          h2Frame(1, 0, 3, hpackLiterals([[":method", "POST"], [":path", "/s/m"]])),
          h2Frame(9, 4, 3, hpackLiterals([["content-type", "application/grpc"]])),
          h2Frame(0, 1, 3, new Uint8Array(5)),
        ),
      ],
      [1, h2Frame(1, 5, 1, hex("4882 6402 5885 aec3 771a 4b61"))],
      [1, h2Frame(1, 5, 3, hpackLiterals([[":status", "200"], ["grpc-status", "13"]]))],
    ],
  },
  {
    server: 9092,
    messages: [
      [0, kafkaRequest(3, 1, "t")],
      [0, kafkaRequest(0, 2, "t")],
      [1, kafkaResponse(3, 1, "t", 0)],
      [1, kafkaResponse(0, 2, "t", 3)],
    ],
  },
  {
    server: 27017,
    messages: [
      [0, opMsg(1, 0, bson([["find", "c"], ["$db", "d"]]))],
      [1, opMsg(2, 1, bson([["ok", { double: 0 }], ["errmsg", "bad"], ["code", 2]]))],
    ],
  },
];

function hex(s: string): Uint8Array {
  const d = s.replace(/\s+/g, "");
  return Uint8Array.from(
    { length: d.length / 2 },
    (_, i) => parseInt(d.slice(i * 2, i * 2 + 2), 16),
  );
}

/** A small deterministic PRNG (xorshift32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

Deno.test("L7Engine never throws on truncated or bit-flipped payloads", () => {
  const random = prng(0x5eed);
  let records = 0;
  for (let round = 0; round < 3000; round++) {
    const seed = SEEDS[round % SEEDS.length]!;
    const c = new Conversation({ client: 40000 + round, server: seed.server, udp: seed.udp });
    for (const [dir, message] of seed.messages) {
      const damaged = message.slice(0, Math.max(1, Math.floor(random() * (message.length + 1))));
      for (let flips = Math.floor(random() * 4); flips > 0; flips--) {
        const at = Math.floor(random() * damaged.length);
        damaged[at] = damaged[at]! ^ (1 << Math.floor(random() * 8));
      }
      c.send(dir, random() < 0.7 ? damaged : message);
    }
    records += c.finish().length;
  }
  assert.ok(records > 0);
});

Deno.test("TLS seed messages parse into one handshake record", () => {
  const c = new Conversation({ client: 40000, server: 443 });
  c.send(0, CLIENT_HELLO);
  c.send(1, SERVER_HELLO);
  const records = c.finish();
  assert.deepEqual(
    records.map((r) => [r.requestDomain, r.requestResource, r.version, r.responseResult]),
    [["a.b", "h2", "TLS 1.3", "TLS_AES_128_GCM_SHA256"]],
  );
});
