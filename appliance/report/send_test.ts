import assert from "node:assert/strict";
import {
  CBOR_CONTENT_TYPE,
  decodeBatch,
  FLOW_FIELDS,
  type FlowBatch,
  type FlowRecord,
  type FlowRecordV1,
} from "../wire/mod.ts";
import { parseRetryAfter, ReportError, sendBatches } from "./mod.ts";

function record(i: number): FlowRecord {
  return {
    flowId: i,
    startTime: 1_767_225_600_000_000 + i,
    endTime: 1_767_225_600_000_000 + i + 10,
    ipVersion: 4,
    ip0: "10.1.0.7",
    ip1: "10.0.0.80",
    clientPort: 40_000 + i,
    serverPort: 80,
    protocol: 6,
    vlan: 0,
    packetTx: 3,
    packetRx: 2,
    byteTx: 300,
    byteRx: 200,
    tcpFlagsBit0: 0x1a,
    tcpFlagsBit1: 0x12,
    ...V2_FIELDS,
  };
}

/** The wire v2 fields, measured as nothing. */
const V2_FIELDS = Object.fromEntries(
  FLOW_FIELDS.filter((f) => f.since === 2).map((f) => [f.key, f.kind === "op" ? "rest" : 0]),
) as Omit<FlowRecord, keyof FlowRecordV1>;

type Answer = () => Response;

/** A manager stand-in that decodes batches and answers from a script (then 200). */
function startManager(answers: Answer[] = []) {
  const received: FlowBatch[] = [];
  const contentTypes: string[] = [];
  let requests = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    requests++;
    contentTypes.push(req.headers.get("content-type") ?? "");
    const result = decodeBatch(new Uint8Array(await req.arrayBuffer()));
    const scripted = answers.shift();
    if (scripted) return scripted();
    if (!result.ok) return Response.json({ error: result.error }, { status: 400 });
    received.push(result.batch as FlowBatch);
    return Response.json({ acked: result.batch.seq });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    received,
    contentTypes,
    get requests() {
      return requests;
    },
    close: () => server.shutdown(),
  };
}

const noSleep = () => Promise.resolve();

Deno.test("sendBatches() posts CBOR batches with seq 1..n", async () => {
  const manager = startManager();
  try {
    const records = Array.from({ length: 25 }, (_, i) => record(i + 1));
    const result = await sendBatches(records, {
      manager: `${manager.url}/`,
      appliance: "tap-1",
      batchSize: 10,
    });
    assert.deepEqual(result, { batches: 3, records: 25, retries: 0 });
    assert.deepEqual(manager.received.map((b) => b.seq), [1, 2, 3]);
    assert.deepEqual(manager.received.map((b) => b.records.length), [10, 10, 5]);
    assert.deepEqual(manager.received.flatMap((b) => b.records), records);
    assert.ok(manager.received.every((b) => b.appliance === "tap-1" && b.stream === "flows"));
    assert.deepEqual(manager.contentTypes, [
      CBOR_CONTENT_TYPE,
      CBOR_CONTENT_TYPE,
      CBOR_CONTENT_TYPE,
    ]);
  } finally {
    await manager.close();
  }
});

Deno.test("sendBatches() sends nothing for no records", async () => {
  const manager = startManager();
  try {
    const result = await sendBatches([], { manager: manager.url, appliance: "tap-1" });
    assert.deepEqual(result, { batches: 0, records: 0, retries: 0 });
    assert.equal(manager.requests, 0);
  } finally {
    await manager.close();
  }
});

Deno.test("sendBatches() retries 503 and 429, honouring Retry-After", async () => {
  const manager = startManager([
    () => new Response("busy", { status: 503, headers: { "retry-after": "2" } }),
    () => Response.json({ error: "slow down" }, { status: 429 }),
  ]);
  const delays: number[] = [];
  try {
    const result = await sendBatches([record(1)], {
      manager: manager.url,
      appliance: "tap-1",
      retryDelayMs: 100,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    assert.equal(result.retries, 2);
    assert.deepEqual(delays, [2000, 200], "Retry-After, then the backoff of the 2nd retry");
    assert.deepEqual(manager.received.map((b) => b.seq), [1], "the same seq is resent");
  } finally {
    await manager.close();
  }
});

Deno.test("sendBatches() throws the manager's status and message on a 4xx, without retrying", async () => {
  const manager = startManager([
    () =>
      Response.json({ error: "records[0].ip0: expected an IP address string" }, { status: 400 }),
  ]);
  try {
    await assert.rejects(
      sendBatches([record(1)], { manager: manager.url, appliance: "tap-1", sleep: noSleep }),
      (err: unknown) => {
        assert.ok(err instanceof ReportError);
        assert.equal(err.name, "ReportError");
        assert.equal(err.status, 400);
        assert.equal(err.seq, 1);
        assert.equal(err.body, "records[0].ip0: expected an IP address string");
        assert.equal(
          err.message,
          "manager refused batch 1 (HTTP 400 Bad Request): records[0].ip0: expected an IP address string",
        );
        return true;
      },
    );
    assert.equal(manager.requests, 1);
  } finally {
    await manager.close();
  }
});

Deno.test("sendBatches() gives up on a manager that stays overloaded", async () => {
  const busy = () => new Response("", { status: 503 });
  const manager = startManager([busy, busy, busy]);
  try {
    await assert.rejects(
      sendBatches([record(1)], {
        manager: manager.url,
        appliance: "tap-1",
        maxAttempts: 3,
        sleep: noSleep,
      }),
      (err: unknown) =>
        err instanceof ReportError && err.status === 503 &&
        /gave up after 3 attempts/.test(err.message),
    );
  } finally {
    await manager.close();
  }
});

Deno.test("sendBatches() retries a refused connection, then fails clearly", async () => {
  const closed = startManager();
  const url = closed.url;
  await closed.close();
  const retries: string[] = [];
  await assert.rejects(
    sendBatches([record(1)], {
      manager: url,
      appliance: "tap-1",
      maxAttempts: 3,
      sleep: noSleep,
      onRetry: (e) => retries.push(`${e.attempt}:${e.reason}`),
    }),
    (err: unknown) => {
      assert.ok(err instanceof ReportError);
      assert.equal(err.status, undefined);
      assert.equal(
        err.message,
        `cannot deliver batch 1 to ${url}/api/v1/ingest: connection refused (gave up after 3 attempts)`,
      );
      return true;
    },
  );
  assert.deepEqual(retries, ["1:connection refused", "2:connection refused"]);
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
});
