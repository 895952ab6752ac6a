import assert from "node:assert/strict";
import { Encoder } from "cbor-x";
import { inspectSpool, Spool, writeJsonDurable } from "./mod.ts";

const encoder = new Encoder({ useRecords: true, mapsAsObjects: true });

/** A batch as the agent spools it: records are opaque to the spool. */
function batch(seq: number, records: number, source?: { id: string; recordsSpooled: number }) {
  return new Uint8Array(encoder.encode({
    v: 2,
    appliance: "a",
    stream: "flows",
    seq,
    sentAt: 0,
    records: Array.from({ length: records }, (_, i) => ({ n: i, pad: "x".repeat(100) })),
    ...(source ? { source } : {}),
  }));
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tapline-spool-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const firstSeq = () => 1;

Deno.test("Spool.append() writes one file per batch and keeps them in seq order", async () => {
  await withDir(async (dir) => {
    const spool = await Spool.open(dir, { firstSeq });
    const a = await spool.append("flows", { records: 2 }, (seq) => batch(seq, 2));
    const b = await spool.append("flows", { records: 3 }, (seq) => batch(seq, 3));
    assert.deepEqual([a.seq, b.seq], [1, 2]);
    const names = [...Deno.readDirSync(`${dir}/flows`)].map((e) => e.name)
      .filter((n) => n.endsWith(".cbor")).sort();
    assert.deepEqual(names, ["0000000000000001.cbor", "0000000000000002.cbor"]);
    assert.equal(spool.oldest("flows")?.seq, 1);
    await spool.acked(a);
    assert.equal(spool.oldest("flows")?.seq, 2);
    const stats = spool.stats().streams.flows!;
    assert.deepEqual([stats.batches, stats.records, stats.nextSeq], [1, 3, 3]);
    const state = JSON.parse(Deno.readTextFileSync(`${dir}/state.json`));
    assert.equal(state.streams.flows.nextSeq, 3);
  });
});

Deno.test("Spool.open() never reuses a seq, even after every batch was acked", async () => {
  await withDir(async (dir) => {
    const first = await Spool.open(dir, { firstSeq });
    for (let i = 0; i < 3; i++) {
      await first.acked(await first.append("flows", { records: 1 }, (seq) => batch(seq, 1)));
    }
    const again = await Spool.open(dir, { firstSeq });
    const next = await again.append("flows", { records: 1 }, (seq) => batch(seq, 1));
    assert.equal(next.seq, 4);
  });
});

Deno.test("Spool.open() recovers from a crash: tmp leftover removed, truncated batch set aside, seq and checkpoint taken from the newest file", async () => {
  await withDir(async (dir) => {
    const spool = await Spool.open(dir, { firstSeq });
    const source = (n: number) => ({ id: "capture.pcap|10|5", recordsSpooled: n });
    await spool.append(
      "flows",
      { records: 2, source: source(2) },
      (seq) => batch(seq, 2, source(2)),
    );
    await spool.flush();
    // The crash: batch 2 was renamed into place but state.json still says nextSeq 2; batch 3
    // was cut short on disk; batch 4 never got past its tmp file.
    const stale = Deno.readTextFileSync(`${dir}/state.json`);
    Deno.writeFileSync(`${dir}/flows/0000000000000002.cbor`, batch(2, 3, source(5)));
    const whole = batch(3, 4, source(9));
    Deno.writeFileSync(`${dir}/flows/0000000000000003.cbor`, whole.subarray(0, whole.length - 9));
    Deno.writeFileSync(`${dir}/flows/0000000000000004.cbor.tmp`, batch(4, 1).subarray(0, 5));
    Deno.writeTextFileSync(`${dir}/state.json.tmp`, "{ half");
    Deno.writeTextFileSync(`${dir}/state.json`, stale);

    const reopened = await Spool.open(dir, { firstSeq });
    assert.deepEqual(reopened.stats().repairs, {
      tmpRemoved: 2,
      corruptMoved: 1,
      stateRebuilt: false,
    });
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/corrupt`)].map((e) => e.name),
      ["flows-0000000000000003.cbor"],
    );
    assert.equal(reopened.recordsSpooled("capture.pcap|10|5"), 5, "batch 2's checkpoint counts");
    const flows = reopened.stats().streams.flows!;
    assert.deepEqual([flows.batches, flows.records], [2, 5]);
    const next = await reopened.append("flows", { records: 1 }, (seq) => batch(seq, 1));
    assert.equal(next.seq, 4, "3 stays used: the manager may have stored it before the damage");
    assert.ok(!Deno.readDirSync(`${dir}/flows`).some((e) => e.name.endsWith(".tmp")));
  });
});

Deno.test("Spool.open() rebuilds an unreadable state.json from the batch files", async () => {
  await withDir(async (dir) => {
    const spool = await Spool.open(dir, { firstSeq });
    await spool.append("flows", { records: 1 }, (seq) => batch(seq, 1));
    await spool.append("flows", { records: 1 }, (seq) => batch(seq, 1));
    await spool.flush();
    Deno.writeTextFileSync(`${dir}/state.json`, "{ not json");
    const reopened = await Spool.open(dir, { firstSeq });
    assert.equal(reopened.stats().repairs.stateRebuilt, true);
    assert.equal(reopened.stats().streams.flows!.nextSeq, 3);
  });
});

Deno.test("Spool.append() drops the oldest batches when a stream is over its bound, never the one in flight", async () => {
  await withDir(async (dir) => {
    const size = batch(1, 10).length;
    const overflows: unknown[] = [];
    const spool = await Spool.open(dir, {
      firstSeq,
      maxBytes: size * 3 + 10,
      onOverflow: (e) => overflows.push(e),
    });
    for (let i = 0; i < 3; i++) await spool.append("flows", { records: 10 }, (s) => batch(s, 10));
    spool.setInFlight("flows", 1);
    await spool.append("flows", { records: 10 }, (s) => batch(s, 10));
    await spool.append("flows", { records: 10 }, (s) => batch(s, 10));
    const stats = spool.stats().streams.flows!;
    assert.deepEqual([stats.batches, stats.droppedBatches, stats.droppedRecords], [3, 2, 20]);
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/flows`)].map((e) => e.name).filter((n) => n !== "index").sort(),
      ["0000000000000001.cbor", "0000000000000004.cbor", "0000000000000005.cbor"],
    );
    assert.deepEqual(overflows, [
      { stream: "flows", batches: 1, records: 10 },
      { stream: "flows", batches: 1, records: 10 },
    ]);
    const view = await inspectSpool(dir);
    assert.equal(view.streams[0]!.droppedBatches, 2);
    const reopened = await Spool.open(dir, { firstSeq });
    assert.equal(reopened.stats().streams.flows!.droppedRecords, 20, "kept in state.json");
  });
});

Deno.test("Spool.rejected() keeps the batch and its reason aside; lost() drops and counts", async () => {
  await withDir(async (dir) => {
    const spool = await Spool.open(dir, { firstSeq });
    const a = await spool.append("flows", { records: 4 }, (s) => batch(s, 4));
    const b = await spool.append("flows", { records: 5 }, (s) => batch(s, 5));
    await spool.rejected(a, "HTTP 422: records[0].ip0: expected an IP address string");
    await spool.lost(b);
    assert.equal(spool.oldest("flows"), undefined);
    assert.match(
      Deno.readTextFileSync(`${dir}/rejected/flows-0000000000000001.cbor.reason.txt`),
      /HTTP 422/,
    );
    const stats = spool.stats().streams.flows!;
    assert.deepEqual(
      [stats.rejectedBatches, stats.rejectedRecords, stats.lostBatches, stats.lostRecords],
      [1, 4, 1, 5],
    );
    assert.equal((await inspectSpool(dir)).rejectedFiles, 1);
  });
});

Deno.test("Spool.open() starts a new stream at the clock, so a wiped spool cannot reuse seqs", async () => {
  await withDir(async (dir) => {
    const before = Date.now();
    const spool = await Spool.open(dir);
    const entry = await spool.append("events", { records: 1 }, (s) => batch(s, 1));
    assert.ok(entry.seq >= before && entry.seq <= Date.now());
  });
});

Deno.test("Spool.open() of 1,000 batches reads the index, not the batches; without the index it decodes them all", async () => {
  await withDir(async (dir) => {
    const records = 200; // ~25 KiB a batch
    // Not synced to disk: the test is about open, not about power cuts.
    const spool = await Spool.open(dir, { firstSeq, durable: false });
    for (let i = 0; i < 1_000; i++) {
      await spool.append(
        "flows",
        {
          records,
          source: { id: "capture.pcap|1|2", recordsSpooled: (i + 1) * records },
        },
        (seq) => batch(seq, records, { id: "capture.pcap|1|2", recordsSpooled: (i + 1) * records }),
      );
    }
    const before = spool.stats().streams.flows!;
    await spool.flush();

    const again = await Spool.open(dir, { firstSeq });
    assert.deepEqual(again.opened, { indexed: 1_000, decoded: 0 });
    const after = again.stats().streams.flows!;
    assert.deepEqual(
      [after.batches, after.records, after.bytes, after.nextSeq],
      [1_000, 200_000, before.bytes, 1_001],
    );
    assert.ok(after.oldestAt !== null && Math.abs(after.oldestAt - before.oldestAt!) < 5_000);
    assert.equal(again.recordsSpooled("capture.pcap|1|2"), 200_000);
    assert.equal(again.oldest("flows")?.seq, 1);

    // Spooled after the last state.json (a crash): decoded, and its checkpoint moves on.
    const state = JSON.parse(Deno.readTextFileSync(`${dir}/state.json`));
    state.streams.flows.nextSeq = 999;
    state.sources["capture.pcap|1|2"].recordsSpooled = 998 * records;
    Deno.writeTextFileSync(`${dir}/state.json`, JSON.stringify(state));
    const crashed = await Spool.open(dir, { firstSeq });
    assert.deepEqual(crashed.opened, { indexed: 998, decoded: 2 });
    assert.equal(crashed.recordsSpooled("capture.pcap|1|2"), 200_000);
    assert.equal(crashed.stats().streams.flows!.nextSeq, 1_001);

    // No index (or a line whose size does not match the file): every such batch is decoded.
    Deno.removeSync(`${dir}/flows/index`);
    const truncated = `${dir}/flows/${String(500).padStart(16, "0")}.cbor`;
    Deno.truncateSync(truncated, 100);
    const rebuilt = await Spool.open(dir, { firstSeq });
    assert.deepEqual(rebuilt.opened, { indexed: 0, decoded: 1_000 });
    assert.equal(rebuilt.stats().streams.flows!.batches, 999, "the truncated batch set aside");
    assert.equal(rebuilt.stats().repairs.corruptMoved, 1);
    // The index is rewritten at open: the next open reads no batch again.
    const fourth = await Spool.open(dir, { firstSeq });
    assert.deepEqual(fourth.opened, { indexed: 999, decoded: 0 });
    assert.equal(fourth.stats().streams.flows!.records, 199_800);
  });
});

Deno.test("writeJsonDurable: concurrent writes to one file all succeed, the last one wins", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tapline-durable-" });
  try {
    const path = `${dir}/status.json`;
    // They share `status.json.tmp`: at once, one rename would find the other's tmp file gone.
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeJsonDurable(path, { i })));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { i: 19 });
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["status.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
