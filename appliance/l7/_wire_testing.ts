/** Test helpers: hand-built HTTP/2 frames, Kafka requests and MongoDB OP_MSG messages. */
import { bytes } from "./_testing.ts";

const encoder = new TextEncoder();

/** An HPACK block of literal fields without indexing, new names, no Huffman (RFC 7541 §6.2.2). */
export function hpackLiterals(fields: [string, string][]): Uint8Array {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const n = encoder.encode(name);
    const v = encoder.encode(value);
    out.push(0, n.length, ...n, v.length, ...v);
  }
  return Uint8Array.from(out);
}

export function h2Frame(type: number, flags: number, stream: number, payload: Uint8Array) {
  const n = payload.length;
  return bytes(
    [n >> 16, (n >> 8) & 255, n & 255, type, flags, stream >>> 24, (stream >> 16) & 255],
    [(stream >> 8) & 255, stream & 255],
    payload,
  );
}

export const H2_PREFACE = bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [0, 0, 0, 4, 0, 0, 0, 0, 0]);

function i16(n: number): number[] {
  return [(n >> 8) & 255, n & 255];
}
function i32(n: number): number[] {
  return [(n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
}
function kstr(s: string): number[] {
  return [...i16(s.length), ...encoder.encode(s)];
}

/** A size-prefixed Kafka message. */
function sized(body: number[]): Uint8Array {
  return Uint8Array.from([...i32(body.length), ...body]);
}

/** A Kafka Metadata v1 request for `topic`, or a Produce v2 request (acks 1) to it. */
export function kafkaRequest(apiKey: 0 | 3, correlation: number, topic: string): Uint8Array {
  const header = [
    ...i16(apiKey),
    ...i16(apiKey === 3 ? 1 : 2),
    ...i32(correlation),
    ...kstr("app"),
  ];
  const body = apiKey === 3
    ? [...i32(1), ...kstr(topic)]
    : [...i16(1), ...i32(1000), ...i32(1), ...kstr(topic), ...i32(1), ...i32(0), ...i32(0)];
  return sized([...header, ...body]);
}

/** The response to {@link kafkaRequest}, with `error` as the topic's (partition's) error code. */
export function kafkaResponse(apiKey: 0 | 3, correlation: number, topic: string, error: number) {
  const body = apiKey === 3
    ? [
      ...i32(1), // brokers
      ...i32(1),
      ...kstr("broker"),
      ...i32(9092),
      ...i16(0xffff), // rack null
      ...i32(1), // controller
      ...i32(1), // topics
      ...i16(error),
      ...kstr(topic),
      0,
      ...i32(0),
    ]
    : [
      ...i32(1),
      ...kstr(topic),
      ...i32(1),
      ...i32(0),
      ...i16(error),
      ...i32(0),
      ...i32(0),
      ...i32(0),
      ...i32(0),
      ...i32(0),
      ...i32(0),
      ...i32(0),
    ];
  return sized([...i32(correlation), ...body]);
}

function le32(n: number): number[] {
  return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
}

/** A BSON document of string, int32 and double fields. */
export function bson(fields: [string, string | number | { double: number }][]): number[] {
  const body: number[] = [];
  for (const [name, value] of fields) {
    const n = [...encoder.encode(name), 0];
    if (typeof value === "string") {
      const v = encoder.encode(value);
      body.push(0x02, ...n, ...le32(v.length + 1), ...v, 0);
    } else if (typeof value === "number") {
      body.push(0x10, ...n, ...le32(value));
    } else {
      const d = new Uint8Array(8);
      new DataView(d.buffer).setFloat64(0, value.double, true);
      body.push(0x01, ...n, ...d);
    }
  }
  return [...le32(body.length + 5), ...body, 0];
}

/** An OP_MSG with one kind-0 section. */
export function opMsg(requestId: number, responseTo: number, document: number[]): Uint8Array {
  const rest = [...le32(requestId), ...le32(responseTo), ...le32(2013), ...le32(0), 0, ...document];
  return Uint8Array.from([...le32(rest.length + 4), ...rest]);
}
