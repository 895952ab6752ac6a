import assert from "node:assert/strict";
import { CaptureError, readPcap } from "./mod.ts";

interface TestRecord {
  seconds: number;
  fraction: number;
  data: Uint8Array;
  original?: number;
}

function buildPcap(
  records: TestRecord[],
  options: { little?: boolean; nanosecond?: boolean; linkType?: number; version?: number[] } = {},
): Uint8Array {
  const little = options.little ?? true;
  const size = 24 + records.reduce((sum, r) => sum + 16 + r.data.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, options.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, little);
  view.setUint16(4, options.version?.[0] ?? 2, little);
  view.setUint16(6, options.version?.[1] ?? 4, little);
  view.setUint32(16, 65535, little);
  view.setUint32(20, options.linkType ?? 1, little);
  let at = 24;
  for (const r of records) {
    view.setUint32(at, r.seconds, little);
    view.setUint32(at + 4, r.fraction, little);
    view.setUint32(at + 8, r.data.length, little);
    view.setUint32(at + 12, r.original ?? r.data.length, little);
    bytes.set(r.data, at + 16);
    at += 16 + r.data.length;
  }
  return bytes;
}

const RECORDS: TestRecord[] = [
  { seconds: 1_767_225_600, fraction: 123_456, data: new Uint8Array([1, 2, 3]), original: 60 },
  { seconds: 1_767_225_601, fraction: 999_999, data: new Uint8Array([4, 5, 6, 7]) },
];

function readAll(bytes: Uint8Array) {
  const reader = readPcap(bytes);
  const seen: {
    number: number;
    us: number;
    ns: number;
    cap: number;
    orig: number;
    data: number[];
  }[] = [];
  while (reader.next()) {
    const p = reader.packet;
    seen.push({
      number: p.number,
      us: p.timestampUs,
      ns: p.extraNs,
      cap: p.capturedLength,
      orig: p.originalLength,
      data: [...p.data],
    });
  }
  return { reader, seen };
}

Deno.test("readPcap() reads little- and big-endian microsecond files alike", () => {
  for (const little of [true, false]) {
    const { reader, seen } = readAll(buildPcap(RECORDS, { little, linkType: 113 }));
    assert.equal(reader.error, undefined);
    assert.equal(reader.linkType, 113);
    assert.equal(reader.bigEndian, !little);
    assert.equal(reader.nanosecond, false);
    assert.deepEqual(seen, [
      { number: 1, us: 1_767_225_600_123_456, ns: 0, cap: 3, orig: 60, data: [1, 2, 3] },
      { number: 2, us: 1_767_225_601_999_999, ns: 0, cap: 4, orig: 4, data: [4, 5, 6, 7] },
    ]);
  }
});

Deno.test("readPcap() keeps nanoseconds past the microsecond", () => {
  for (const little of [true, false]) {
    const records = [{ seconds: 10, fraction: 123_456_789, data: new Uint8Array(1) }];
    const { reader, seen } = readAll(buildPcap(records, { little, nanosecond: true }));
    assert.equal(reader.nanosecond, true);
    assert.equal(seen[0]?.us, 10_123_456);
    assert.equal(seen[0]?.ns, 789);
  }
});

Deno.test("readPcap() gives views into the file buffer, not copies", () => {
  const bytes = buildPcap(RECORDS);
  const reader = readPcap(bytes);
  assert.ok(reader.next());
  assert.equal(reader.packet.buffer, bytes);
  assert.equal(reader.packet.data.buffer, bytes.buffer);
  assert.equal(reader.packet.dataOffset, 40);
});

Deno.test("readPcap() rejects a file that is not pcap, naming its first bytes", () => {
  const text = new TextEncoder().encode("hello world, this is text\n");
  assert.throws(() => readPcap(text), (err: unknown) => {
    assert.ok(err instanceof CaptureError);
    assert.equal(err.name, "CaptureError");
    assert.equal(err.code, "bad_magic");
    assert.equal(err.message, "not a pcap file (bad magic 0x68656c6c)");
    assert.equal(err.isPartial, false);
    return true;
  });
  assert.throws(() => readPcap(new Uint8Array(2)), /not a pcap file \(only 2 bytes\)/);
});

Deno.test("readPcap() rejects an unsupported version and a short file header", () => {
  assert.throws(
    () => readPcap(buildPcap([], { version: [1, 0] })),
    /unsupported pcap version 1\.0/,
  );
  assert.throws(
    () => readPcap(buildPcap([]).subarray(0, 20)),
    /truncated pcap file header: need 24 bytes, have 20/,
  );
});

Deno.test("readPcap() rejects a truncated record header after the good packets", () => {
  const whole = buildPcap(RECORDS);
  const cut = whole.subarray(0, 24 + 16 + 3 + 10);
  const { reader, seen } = readAll(cut);
  assert.equal(seen.length, 1);
  assert.ok(reader.error instanceof CaptureError);
  assert.equal(reader.error.code, "truncated_record_header");
  assert.equal(reader.error.packetNumber, 2);
  assert.equal(reader.error.offset, 43);
  assert.equal(
    reader.error.message,
    "truncated record header: packet 2 at byte offset 43 needs 16 bytes, only 10 present",
  );
  assert.equal(reader.next(), false, "stays at the end after an error");
});

Deno.test("readPcap() rejects truncated packet data after the good packets", () => {
  const whole = buildPcap(RECORDS);
  const { reader, seen } = readAll(whole.subarray(0, whole.length - 1));
  assert.equal(seen.length, 1);
  assert.equal(reader.error?.code, "truncated_packet");
  assert.equal(
    reader.error?.message,
    "truncated packet data: packet 2 at byte offset 43 needs 4 bytes, only 3 present",
  );
});

Deno.test("readPcap() rejects an absurd captured length", () => {
  const bytes = buildPcap([{ seconds: 0, fraction: 0, data: new Uint8Array(300_000) }]);
  const { reader, seen } = readAll(bytes);
  assert.equal(seen.length, 0);
  assert.equal(reader.error?.code, "bad_record");
  assert.match(reader.error?.message ?? "", /packet 1 at byte offset 24 claims 300000 captured/);
});

Deno.test("readPcap() reads an empty capture", () => {
  const { reader, seen } = readAll(buildPcap([]));
  assert.equal(seen.length, 0);
  assert.equal(reader.error, undefined);
});
