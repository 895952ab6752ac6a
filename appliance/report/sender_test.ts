import assert from "node:assert/strict";
import { Spool } from "../spool/mod.ts";
import { decodeBatch, encodeBatch, type FlowRecord, WIRE_VERSION } from "../wire/mod.ts";
import { generate } from "../../tests/tools/gen_pcap.ts";
import { type SenderEvent, SpoolSender } from "./mod.ts";

const records: FlowRecord[] = generate({ flows: 6, seed: 3 }).summary.expected;

async function spoolOf(dir: string, batches: number): Promise<Spool> {
  const spool = await Spool.open(dir, { firstSeq: () => 1 });
  for (let i = 0; i < batches; i++) {
    await spool.append("flows", { records: 1 }, (seq) =>
      new Uint8Array(encodeBatch({
        v: WIRE_VERSION,
        appliance: "a-1",
        stream: "flows",
        seq,
        sentAt: 0,
        records: [records[i % records.length]!],
      })));
  }
  return spool;
}

/** A manager stand-in: answers from the script (then 200) and records what it got. */
function fakeManager(script: (() => Response)[]) {
  const seqs: number[] = [];
  const auth: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    auth.push(req.headers.get("authorization") ?? "");
    const decoded = decodeBatch(new Uint8Array(await req.arrayBuffer()));
    const answer = script.shift();
    if (answer) return answer();
    if (!decoded.ok) return Response.json({ error: decoded.error }, { status: 400 });
    seqs.push(decoded.batch.seq);
    return Response.json({ acked: decoded.batch.seq, stored: 1, duplicate: false });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seqs,
    auth,
    close: () => server.shutdown(),
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), "condition not reached in 4 s");
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tapline-sender-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SpoolSender sends in seq order with the credential, retrying 429/503/500 with Retry-After, and deletes only after 200", async () => {
  await withDir(async (dir) => {
    const spool = await spoolOf(dir, 3);
    const manager = fakeManager([
      () => new Response("busy", { status: 503, headers: { "retry-after": "2" } }),
      () =>
        Response.json({ error: "queue full" }, { status: 429, headers: { "retry-after": "99" } }),
      () => new Response("oops", { status: 500 }),
    ]);
    const delays: number[] = [];
    const sender = new SpoolSender(spool, {
      manager: manager.url,
      credential: "tpla_secret",
      retryDelayMs: 100,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    try {
      sender.start();
      await until(() => sender.drained("flows"));
      await sender.stop();
      assert.deepEqual(manager.seqs, [1, 2, 3]);
      assert.deepEqual(delays, [2000, 30_000, 400], "Retry-After, capped at 30 s, then backoff");
      assert.ok(manager.auth.every((a) => a === "Bearer tpla_secret"));
      assert.equal(sender.stats.sent, 3);
      assert.equal(sender.stats.retries, 3);
      const left = [...Deno.readDirSync(`${dir}/flows`)].map((e) => e.name);
      assert.deepEqual(left.filter((n) => n.endsWith(".cbor")), []);
    } finally {
      await manager.close();
    }
  });
});

Deno.test("SpoolSender drops a 409 batch as lost and moves another 4xx to rejected/", async () => {
  await withDir(async (dir) => {
    const spool = await spoolOf(dir, 3);
    const manager = fakeManager([
      () => Response.json({ error: "seq 1 is older than the last stored seq 7" }, { status: 409 }),
      () =>
        Response.json({ error: "records[0].ip0: expected an IP address string" }, { status: 422 }),
    ]);
    const events: SenderEvent[] = [];
    const sender = new SpoolSender(spool, {
      manager: manager.url,
      credential: "tpla_x",
      onEvent: (e) => events.push(e),
    });
    try {
      sender.start();
      await until(() => sender.drained("flows"));
      await sender.stop();
      assert.deepEqual(manager.seqs, [3]);
      assert.deepEqual(events.map((e) => `${e.kind} ${e.seq}`), ["lost 1", "rejected 2"]);
      const flows = spool.stats().streams.flows!;
      assert.deepEqual([flows.lostBatches, flows.rejectedBatches], [1, 1]);
      assert.ok(Deno.statSync(`${dir}/rejected/flows-0000000000000002.cbor`).isFile);
    } finally {
      await manager.close();
    }
  });
});

Deno.test("SpoolSender keeps everything spooled while the credential is refused (401)", async () => {
  await withDir(async (dir) => {
    const spool = await spoolOf(dir, 2);
    const refused = () =>
      Response.json({ error: "appliance credential unknown or revoked" }, { status: 401 });
    const manager = fakeManager([refused, refused]);
    const events: SenderEvent[] = [];
    const sender = new SpoolSender(spool, {
      manager: manager.url,
      credential: "tpla_revoked",
      sleep: () => Promise.resolve(),
      onEvent: (e) => events.push(e),
    });
    try {
      sender.start();
      await until(() => sender.drained("flows"));
      await sender.stop();
      assert.deepEqual(events.map((e) => `${e.kind} ${e.seq}`), [
        "unauthorized 1",
        "unauthorized 1",
      ]);
      assert.equal(sender.stats.unauthorized, null, "cleared by the next 200");
      assert.equal(sender.stats.rejected, 0);
      assert.deepEqual(manager.seqs, [1, 2], "nothing lost while refused");
    } finally {
      await manager.close();
    }
  });
});

Deno.test("SpoolSender retries a manager that is down until it comes back", async () => {
  await withDir(async (dir) => {
    const spool = await spoolOf(dir, 1);
    const gone = fakeManager([]);
    const url = gone.url;
    await gone.close();
    let attempts = 0;
    const sender = new SpoolSender(spool, {
      manager: url,
      credential: "tpla_x",
      sleep: () => {
        attempts++;
        return Promise.resolve();
      },
    });
    sender.start();
    await until(() => attempts >= 3);
    assert.equal(sender.stats.lastError, "connection refused");
    assert.equal(spool.oldest("flows")?.seq, 1);
    await sender.stop();
  });
});

Deno.test("SpoolSender.drainAndStop sends what is spooled; manager away or too slow, it keeps the batches and stops in time", async () => {
  await withDir(async (dir) => {
    // Reachable: a stream in a long backoff (Retry-After 30 s) is tried again at once.
    const spool = await spoolOf(`${dir}/a`, 4);
    const manager = fakeManager([
      () => new Response("busy", { status: 503, headers: { "retry-after": "30" } }),
    ]);
    const sender = new SpoolSender(spool, { manager: manager.url, credential: "tpla_x" });
    try {
      sender.start();
      await until(() => sender.stats.retries === 1);
      const started = performance.now();
      assert.equal(await sender.drainAndStop(5_000), 0);
      assert.ok(performance.now() - started < 2_000);
      assert.deepEqual(manager.seqs, [1, 2, 3, 4]);
    } finally {
      await manager.close();
    }

    // Away (connection refused): the first failure ends the drain; nothing is lost.
    const away = await spoolOf(`${dir}/b`, 3);
    const closed = fakeManager([]);
    await closed.close();
    const left = new SpoolSender(away, { manager: closed.url, credential: "tpla_x" });
    left.start();
    const t0 = performance.now();
    assert.equal(await left.drainAndStop(5_000), 3);
    assert.ok(performance.now() - t0 < 2_000, "not the whole timeout");
    assert.equal(away.oldest("flows")?.seq, 1);

    // Too slow: the request in flight is cut at the timeout; the batch stays.
    const slowSpool = await spoolOf(`${dir}/c`, 2);
    const hang = Promise.withResolvers<void>();
    const slow = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async () => {
      await hang.promise;
      return new Response("late", { status: 500 });
    });
    const late = new SpoolSender(slowSpool, {
      manager: `http://127.0.0.1:${slow.addr.port}`,
      credential: "tpla_x",
    });
    try {
      late.start();
      const t1 = performance.now();
      assert.equal(await late.drainAndStop(300), 2);
      const took = performance.now() - t1;
      assert.ok(took >= 250 && took < 2_000, `${took} ms`);
    } finally {
      hang.resolve();
      await slow.shutdown();
    }
  });
});
