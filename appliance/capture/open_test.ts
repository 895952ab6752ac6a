import assert from "node:assert/strict";
import { CaptureError, openCaptureFile, type PacketSource } from "./mod.ts";

/** A little-endian microsecond pcap with `count` Ethernet-sized records of distinct bytes. */
function buildPcap(count: number): Uint8Array {
  const length = 60;
  const bytes = new Uint8Array(24 + count * (16 + length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 65535, true);
  view.setUint32(20, 1, true);
  let at = 24;
  for (let i = 0; i < count; i++) {
    view.setUint32(at, 1_767_225_600 + i, true);
    view.setUint32(at + 4, i * 7, true);
    view.setUint32(at + 8, length, true);
    view.setUint32(at + 12, length + i, true);
    for (let j = 0; j < length; j++) bytes[at + 16 + j] = (i + j) & 0xff;
    at += 16 + length;
  }
  return bytes;
}

interface Seen {
  packets: { number: number; timestampUs: number; originalLength: number; data: number[] }[];
  error: string | undefined;
}

function walk(source: PacketSource): Seen {
  const packets: Seen["packets"] = [];
  while (source.next()) {
    const p = source.packet;
    packets.push({
      number: p.number,
      timestampUs: p.timestampUs,
      originalLength: p.originalLength,
      data: [...p.data],
    });
  }
  return { packets, error: source.error?.message };
}

async function withFile(bytes: Uint8Array, use: (path: string) => Promise<void>): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    await Deno.writeFile(path, bytes);
    await use(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("openCaptureFile() maps a file and yields the same packets as reading it", async () => {
  await withFile(buildPcap(50), async (path) => {
    const mapped = walk(await openCaptureFile(path, { mapThreshold: 0 }));
    const read = walk(await openCaptureFile(path, { mapThreshold: Infinity }));
    assert.equal(mapped.packets.length, 50);
    assert.deepEqual(mapped, read);
  });
});

Deno.test("openCaptureFile() reports a cut mapped file as reading it does", async () => {
  const whole = buildPcap(5);
  await withFile(whole.subarray(0, whole.length - 10), async (path) => {
    const mapped = walk(await openCaptureFile(path, { mapThreshold: 0 }));
    const read = walk(await openCaptureFile(path, { mapThreshold: Infinity }));
    assert.equal(mapped.packets.length, 4);
    assert.match(mapped.error ?? "", /truncated packet data: packet 5/);
    assert.deepEqual(mapped, read);
  });
});

Deno.test("openCaptureFile() rejects an empty file whether or not it would map it", async () => {
  await withFile(new Uint8Array(0), async (path) => {
    for (const mapThreshold of [0, Infinity]) {
      await assert.rejects(openCaptureFile(path, { mapThreshold }), (err: unknown) => {
        assert.ok(err instanceof CaptureError);
        assert.equal(err.code, "truncated_file_header");
        return true;
      });
    }
  });
});

Deno.test("openCaptureFile() reports a directory as an io error, not a mapping failure", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(openCaptureFile(dir, { mapThreshold: 0 }), (err: unknown) => {
      assert.ok(err instanceof CaptureError);
      assert.equal(err.code, "io");
      assert.equal(err.message, "is a directory");
      return true;
    });
  } finally {
    await Deno.remove(dir);
  }
});
