import assert from "node:assert/strict";
import { testWithTools } from "../../tests/support/tools.ts";
import { CaptureError, openCapture, type PcapngReader, readPcapng } from "./mod.ts";

/** Builds pcapng blocks in one byte order (draft-ietf-opsawg-pcapng §4). */
class Writer {
  readonly parts: Uint8Array[] = [];
  constructor(public little = true) {}

  block(type: number, body: Uint8Array, options: { trailer?: number } = {}): this {
    const padded = (body.length + 3) & ~3;
    const length = 12 + padded;
    const bytes = new Uint8Array(length);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, type, this.little);
    view.setUint32(4, length, this.little);
    bytes.set(body, 8);
    view.setUint32(length - 4, options.trailer ?? length, this.little);
    this.parts.push(bytes);
    return this;
  }

  fields(spec: [number, 2 | 4][], tail: Uint8Array = new Uint8Array(0)): Uint8Array {
    const size = spec.reduce((sum, [, width]) => sum + width, 0);
    const bytes = new Uint8Array(size + tail.length);
    const view = new DataView(bytes.buffer);
    let at = 0;
    for (const [value, width] of spec) {
      if (width === 2) view.setUint16(at, value, this.little);
      else view.setUint32(at, value, this.little);
      at += width;
    }
    bytes.set(tail, at);
    return bytes;
  }

  option(code: number, value: Uint8Array): Uint8Array {
    const out = new Uint8Array(4 + ((value.length + 3) & ~3));
    const view = new DataView(out.buffer);
    view.setUint16(0, code, this.little);
    view.setUint16(2, value.length, this.little);
    out.set(value, 4);
    return out;
  }

  shb(version = [1, 0]): this {
    const body = this.fields([[0x1a2b3c4d, 4], [version[0]!, 2], [version[1]!, 2], [
      0xffffffff,
      4,
    ], [0xffffffff, 4]]);
    return this.block(0x0a0d0d0a, body);
  }

  idb(linkType: number, snap: number, options: { tsresol?: number; tsoffset?: bigint } = {}) {
    const opts: Uint8Array[] = [];
    if (options.tsresol !== undefined) opts.push(this.option(9, Uint8Array.of(options.tsresol)));
    if (options.tsoffset !== undefined) {
      const value = new Uint8Array(8);
      new DataView(value.buffer).setBigInt64(0, options.tsoffset, this.little);
      opts.push(this.option(14, value));
    }
    if (opts.length > 0) opts.push(new Uint8Array(4));
    return this.block(1, this.fields([[linkType, 2], [0, 2], [snap, 4]], concat(opts)));
  }

  epb(id: number, ts: bigint, data: Uint8Array, original = data.length): this {
    const high = Number(ts >> 32n);
    const low = Number(ts & 0xffffffffn);
    const body = this.fields([[id, 4], [high, 4], [low, 4], [data.length, 4], [original, 4]], data);
    return this.block(6, body);
  }

  opb(id: number, ts: bigint, data: Uint8Array, original = data.length): this {
    const high = Number(ts >> 32n);
    const low = Number(ts & 0xffffffffn);
    const body = this.fields(
      [[id, 2], [0, 2], [high, 4], [low, 4], [data.length, 4], [original, 4]],
      data,
    );
    return this.block(2, body);
  }

  spb(original: number, data: Uint8Array): this {
    return this.block(3, this.fields([[original, 4]], data));
  }

  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const data = (n: number, fill = n) => new Uint8Array(n).fill(fill);

interface Seen {
  number: number;
  us: number;
  ns: number;
  cap: number;
  orig: number;
  link: number;
  iface: number;
  first: number;
}

function readAll(bytes: Uint8Array): { reader: PcapngReader; seen: Seen[] } {
  const reader = readPcapng(bytes);
  const seen: Seen[] = [];
  while (reader.next()) {
    const p = reader.packet;
    seen.push({
      number: p.number,
      us: p.timestampUs,
      ns: p.extraNs,
      cap: p.capturedLength,
      orig: p.originalLength,
      link: p.linkType,
      iface: p.interfaceId,
      first: p.data[0] ?? -1,
    });
  }
  return { reader, seen };
}

const T0 = 1_767_225_600_123_456n;

Deno.test("readPcapng() reads Enhanced Packet Blocks in either byte order", () => {
  for (const little of [true, false]) {
    const bytes = new Writer(little).shb().idb(1, 65535)
      .epb(0, T0, data(60, 7), 60).epb(0, T0 + 1_000_001n, data(3, 8), 1514).bytes();
    const { reader, seen } = readAll(bytes);
    assert.equal(reader.error, undefined);
    assert.equal(reader.format, "pcapng");
    assert.equal(reader.bigEndian, !little);
    assert.equal(reader.linkType, 1);
    assert.deepEqual(seen, [
      {
        number: 1,
        us: 1_767_225_600_123_456,
        ns: 0,
        cap: 60,
        orig: 60,
        link: 1,
        iface: 0,
        first: 7,
      },
      {
        number: 2,
        us: 1_767_225_601_123_457,
        ns: 0,
        cap: 3,
        orig: 1514,
        link: 1,
        iface: 0,
        first: 8,
      },
    ]);
  }
});

Deno.test("readPcapng() converts every if_tsresol form and adds if_tsoffset", () => {
  const seconds = 1_767_225_600n;
  const cases: { tsresol?: number; tsoffset?: bigint; ts: bigint; us: number; ns: number }[] = [
    { ts: seconds * 1_000_000n + 1n, us: 1_767_225_600_000_001, ns: 0 },
    { tsresol: 9, ts: seconds * 1_000_000_000n + 123_456_789n, us: 1_767_225_600_123_456, ns: 789 },
    { tsresol: 3, ts: seconds * 1000n + 5n, us: 1_767_225_600_005_000, ns: 0 },
    { tsresol: 0, ts: seconds, us: 1_767_225_600_000_000, ns: 0 },
    {
      tsresol: 12,
      ts: 10_000_000n * 10n ** 12n + 999_999_999_999n,
      us: 10_000_000_999_999,
      ns: 999,
    },
    // 2^-20 s units: 0x80000 = half a second.
    { tsresol: 0x80 | 20, ts: (seconds << 20n) + 0x80000n, us: 1_767_225_600_500_000, ns: 0 },
    // 2^-32 s units: one unit is 0.2328 ns.
    { tsresol: 0x80 | 32, ts: (seconds << 32n) + 5n, us: 1_767_225_600_000_000, ns: 1 },
    { tsresol: 0x80 | 40, ts: (1_000_000n << 40n) + (1n << 39n), us: 1_000_000_500_000, ns: 0 },
    { tsresol: 15, ts: 1000n * 10n ** 15n + 1_234_567_890n, us: 1_000_000_001, ns: 234 },
    { tsoffset: 100n, ts: 1n, us: 100_000_001, ns: 0 },
    { tsoffset: -1n, tsresol: 9, ts: 2_000_000_007n, us: 1_000_000, ns: 7 },
  ];
  for (const [i, c] of cases.entries()) {
    for (const little of [true, false]) {
      const bytes = new Writer(little).shb()
        .idb(1, 0, { tsresol: c.tsresol, tsoffset: c.tsoffset }).epb(0, c.ts, data(1)).bytes();
      const { reader, seen } = readAll(bytes);
      assert.equal(reader.error, undefined);
      assert.equal(seen[0]?.us, c.us, `case ${i} µs`);
      assert.equal(seen[0]?.ns, c.ns, `case ${i} ns`);
    }
  }
});

Deno.test("readPcapng() gives each packet the link type of its own interface", () => {
  const bytes = new Writer().shb().idb(1, 0).idb(113, 0).idb(0, 0)
    .epb(0, T0, data(14)).epb(1, T0, data(16)).epb(2, T0, data(4)).epb(1, T0, data(16)).bytes();
  const { reader, seen } = readAll(bytes);
  assert.equal(reader.linkType, 1);
  assert.equal(reader.interfaceCount, 3);
  assert.deepEqual(seen.map((s) => [s.link, s.iface]), [[1, 0], [113, 1], [0, 2], [113, 1]]);
});

Deno.test("readPcapng() starts every section afresh, byte order and interfaces included", () => {
  const first = new Writer(true).shb().idb(1, 0).idb(101, 0).epb(1, T0, data(20)).bytes();
  const second = new Writer(false).shb().idb(113, 0, { tsresol: 9 })
    .epb(0, 1_000_000_000_123n, data(16)).bytes();
  const { reader, seen } = readAll(concat([first, second]));
  assert.equal(reader.error, undefined);
  assert.equal(reader.sections, 2);
  assert.deepEqual(seen.map((s) => [s.number, s.link, s.us, s.ns]), [
    [1, 101, 1_767_225_600_123_456, 0],
    [2, 113, 1_000_000_000, 123],
  ]);
  // Interface 1 of the first section does not exist in the second.
  const stale = concat([first, new Writer(false).shb().idb(113, 0).epb(1, T0, data(4)).bytes()]);
  const { reader: bad, seen: good } = readAll(stale);
  assert.equal(good.length, 1);
  assert.equal(bad.error?.code, "bad_block");
  assert.equal(bad.error?.blockNumber, 7);
  assert.equal(
    bad.error?.message,
    `corrupt block: block 7 (EPB) at byte offset ${
      first.length + 28 + 20
    } refers to interface 1, but its section defines 1`,
  );
});

Deno.test("readPcapng() reads Simple Packet Blocks with interface 0's snap length", () => {
  const bytes = new Writer().shb().idb(1, 64).epb(0, T0, data(10)).spb(1514, data(64, 3))
    .spb(20, data(20, 4)).bytes();
  const { reader, seen } = readAll(bytes);
  assert.equal(reader.error, undefined);
  assert.deepEqual(seen.map((s) => [s.cap, s.orig, s.first, s.us]), [
    [10, 10, 10, 1_767_225_600_123_456],
    [64, 1514, 3, 1_767_225_600_123_456],
    [20, 20, 4, 1_767_225_600_123_456],
  ]);
  // Without a snap length the block's own padding must not be taken for packet bytes.
  const odd = new Writer().shb().idb(1, 0).spb(5, data(5, 9)).bytes();
  assert.deepEqual(readAll(odd).seen.map((s) => [s.cap, s.orig]), [[5, 5]]);
});

Deno.test("readPcapng() reads obsolete Packet Blocks", () => {
  const bytes = new Writer(false).shb().idb(1, 0).idb(105, 0).opb(1, T0, data(30, 5), 40).bytes();
  const { reader, seen } = readAll(bytes);
  assert.equal(reader.error, undefined);
  assert.deepEqual(seen, [
    {
      number: 1,
      us: 1_767_225_600_123_456,
      ns: 0,
      cap: 30,
      orig: 40,
      link: 105,
      iface: 1,
      first: 5,
    },
  ]);
});

Deno.test("readPcapng() skips name resolution, statistics, secrets and unknown blocks", () => {
  const w = new Writer().shb().idb(1, 0);
  w.block(4, data(12)).block(5, data(20)).block(0x0a, data(8)).block(0x40000bad, data(8));
  w.block(0x12345678, new Uint8Array(0)).epb(0, T0, data(4));
  const { reader, seen } = readAll(w.bytes());
  assert.equal(reader.error, undefined);
  assert.equal(seen.length, 1);
});

Deno.test("readPcapng() yields the packets before a cut and names the cut block", () => {
  const whole = new Writer().shb().idb(1, 0).epb(0, T0, data(60)).epb(0, T0, data(60)).bytes();
  const second = 28 + 20 + 92;
  const { reader, seen } = readAll(whole.subarray(0, whole.length - 10));
  assert.equal(seen.length, 1);
  assert.ok(reader.error instanceof CaptureError);
  assert.equal(reader.error.code, "truncated_block");
  assert.equal(reader.error.packetNumber, 2);
  assert.equal(reader.error.blockNumber, 4);
  assert.equal(reader.error.offset, second);
  assert.equal(
    reader.error.message,
    `truncated block: block 4 (EPB) at byte offset ${second} needs 92 bytes, only 82 present`,
  );
  assert.equal(reader.next(), false, "stays at the end after an error");
  const header = readAll(whole.subarray(0, second + 7)).reader.error;
  assert.equal(
    header?.message,
    `truncated block header: block 4 at byte offset ${second} needs 12 bytes, only 7 present`,
  );
});

Deno.test("readPcapng() detects a block total length mismatch and impossible lengths", () => {
  const w = new Writer().shb().idb(1, 0).epb(0, T0, data(4));
  w.block(6, w.fields([[0, 4], [0, 4], [0, 4], [4, 4], [4, 4]], data(4)), { trailer: 44 });
  const { reader, seen } = readAll(w.bytes());
  assert.equal(seen.length, 1);
  assert.equal(reader.error?.code, "bad_block");
  assert.equal(
    reader.error?.message,
    "block total length mismatch: block 4 (EPB) at byte offset 84 starts with 36 and ends with 44",
  );
  for (const length of [8, 38]) {
    const bytes = new Writer().shb().idb(1, 0).epb(0, T0, data(4)).bytes();
    new DataView(bytes.buffer).setUint32(48 + 4, length, true);
    const err = readAll(bytes).reader.error;
    assert.equal(
      err?.message,
      `corrupt block: block 3 (EPB) at byte offset 48 has total length ${length} (need a multiple of 4, at least 12)`,
    );
  }
});

Deno.test("readPcapng() rejects packet blocks that do not fit or name no interface", () => {
  const w = new Writer().shb().idb(1, 0);
  w.block(6, w.fields([[0, 4], [0, 4], [0, 4], [100, 4], [100, 4]], data(8)));
  assert.equal(
    readAll(w.bytes()).reader.error?.message,
    "corrupt block: block 3 (EPB) at byte offset 48 needs 120 bytes of body, only 28 present",
  );
  const orphan = new Writer().shb().spb(4, data(4)).bytes();
  assert.equal(
    readAll(orphan).reader.error?.message,
    "corrupt block: block 2 (SPB) at byte offset 28 refers to interface 0, but its section defines 0",
  );
  const badOption = new Writer().shb();
  badOption.block(1, badOption.fields([[1, 2], [0, 2], [0, 4], [9, 2], [40, 2]]));
  assert.equal(
    readAll(badOption.bytes()).reader.error?.message,
    "corrupt block: block 2 (IDB) at byte offset 28: option 9 at byte offset 44 needs 40 bytes, only 0 present",
  );
});

Deno.test("readPcapng() refuses a file whose first section header is unusable", () => {
  const reject = (bytes: Uint8Array, code: string, message: string) =>
    assert.throws(() => readPcapng(bytes), (err: unknown) => {
      assert.ok(err instanceof CaptureError);
      assert.equal(err.code, code);
      assert.equal(err.message, message);
      assert.equal(err.isPartial, false);
      return true;
    });
  const good = new Writer().shb().bytes();
  reject(
    good.subarray(0, 20),
    "truncated_file_header",
    "truncated pcapng section header: need 28 bytes, have 20",
  );
  const badOrder = good.slice();
  badOrder[8] = 0;
  reject(badOrder, "bad_magic", "not a pcapng file (bad byte-order magic 0x003c2b1a)");
  reject(
    new Writer().shb([2, 0]).bytes(),
    "unsupported_version",
    "unsupported pcapng version 2.0 (expected 1.x)",
  );
  reject(new Uint8Array(4), "bad_magic", "not a pcapng file (bad magic 0x00000000)");
});

Deno.test("readPcapng() never throws on damaged input and always stops", () => {
  const whole = new Writer().shb().idb(1, 64, { tsresol: 9 }).idb(113, 0)
    .epb(0, T0, data(60)).spb(100, data(64)).opb(1, T0, data(16)).block(5, data(20))
    .epb(1, T0, data(33)).bytes();
  let state = 12345;
  const random = () => (state = (state * 1_103_515_245 + 12345) >>> 0) / 2 ** 32;
  let errors = 0;
  for (let round = 0; round < 3000; round++) {
    const bytes = whole.slice(0, round < 300 ? round : whole.length);
    const flips = round < 300 ? 0 : 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips; i++) bytes[Math.floor(random() * bytes.length)] = random() * 256;
    let reader: PcapngReader;
    try {
      reader = readPcapng(bytes);
    } catch (err) {
      assert.ok(err instanceof CaptureError, String(err));
      continue;
    }
    let count = 0;
    while (reader.next()) {
      const p = reader.packet;
      assert.ok(p.dataOffset + p.capturedLength <= bytes.length);
      assert.ok(++count <= 5);
    }
    if (reader.error) errors++;
  }
  assert.ok(errors > 100, `${errors} damaged inputs reported`);
});

Deno.test("openCapture() tells pcapng from pcap by its magic", () => {
  const source = openCapture(new Writer().shb().idb(228, 0).epb(0, T0, data(20)).bytes());
  assert.equal(source.format, "pcapng");
  assert.equal(source.linkType, 228);
  assert.ok(source.next());
  assert.equal(source.packet.linkType, 228);
});

testWithTools(
  "readPcapng() agrees with tshark on sections, byte orders, SPB, OPB and clocks",
  ["tshark"],
  async () => {
    const eth = (n: number) => {
      const frame = data(n, 0);
      frame[12] = 0x88; // an EtherType tshark leaves alone
      frame[13] = 0xb5;
      return frame;
    };
    const bytes = concat([
      new Writer(true).shb().idb(1, 0, { tsresol: 9 }).idb(1, 0, { tsresol: 0x80 | 20 })
        .epb(0, 1_767_225_600_123_456_789n, eth(60)).epb(1, (1_767_225_600n << 20n) + 3n, eth(70))
        .block(5, new Uint8Array(12)).bytes(),
      new Writer(false).shb().idb(1, 40, { tsoffset: 1_700_000_000n }).spb(90, eth(40))
        .opb(0, 1_500_000n, eth(50), 1400).epb(0, 2_000_001n, eth(61)).bytes(),
    ]);
    const path = await Deno.makeTempFile({ suffix: ".pcapng" });
    try {
      await Deno.writeFile(path, bytes);
      const out = await new Deno.Command("tshark", {
        args: [
          "-n",
          "-r",
          path,
          "-T",
          "fields",
          "-e",
          "frame.len",
          "-e",
          "frame.cap_len",
          "-e",
          "frame.time_epoch",
        ],
        stdout: "piped",
        stderr: "null",
      }).output();
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
      const { reader, seen } = readAll(bytes);
      assert.equal(reader.error, undefined);
      assert.equal(seen.length, lines.length);
      seen.forEach((s, i) => {
        const [len, cap, time] = lines[i]!.split("\t");
        assert.equal(s.orig, Number(len), `packet ${i + 1} frame.len`);
        assert.equal(s.cap, Number(cap), `packet ${i + 1} frame.cap_len`);
        // The SPB has no timestamp of its own: tshark shows 0, we keep the previous packet's.
        if (i === 2) return;
        const [whole, fraction = ""] = time!.split(".");
        const ns = BigInt(whole!) * 1_000_000_000n + BigInt(fraction.padEnd(9, "0").slice(0, 9));
        assert.equal(BigInt(s.us) * 1000n + BigInt(s.ns), ns, `packet ${i + 1} time`);
      });
    } finally {
      await Deno.remove(path);
    }
  },
);
