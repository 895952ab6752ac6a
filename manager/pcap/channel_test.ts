import assert from "node:assert/strict";
import { checkPcapTask } from "../../appliance/wire/mod.ts";
import { PcapChannel, PcapChannelError } from "./channel.ts";

const A = "appliance-a", B = "appliance-b";
const answer = { contentType: "application/cbor", body: new Uint8Array([1]), headers: {} };

Deno.test("PcapChannel.request() fails at once for an appliance whose agent is not polling", async () => {
  const channel = new PcapChannel();
  const started = Date.now();
  await assert.rejects(
    channel.request(A, "search", {}),
    (e: unknown) =>
      e instanceof PcapChannelError && e.kind === "offline" && /is offline/.test(e.message),
  );
  assert.ok(Date.now() - started < 50);
});

Deno.test("PcapChannel: a waiting poll takes the task, only its own appliance may answer it", async () => {
  const channel = new PcapChannel();
  const poll = channel.poll(A, 5_000);
  assert.equal(channel.online(A), true);
  assert.equal(channel.online(B), false);
  const result = channel.request(A, "extract", { host: "10.0.0.1", limit: 5 });
  const task = await poll;
  assert.ok(task);
  assert.deepEqual(checkPcapTask(task), []);
  assert.equal(task.kind, "extract");
  assert.deepEqual(task.query, { host: "10.0.0.1", limit: 5 });
  assert.equal(channel.complete(B, task.id, answer), "foreign");
  assert.equal(channel.complete(A, crypto.randomUUID(), answer), "unknown");
  assert.equal(channel.complete(A, task.id, answer), "ok");
  assert.deepEqual(await result, answer);
  assert.equal(channel.complete(A, task.id, answer), "unknown", "answered once only");
});

Deno.test("PcapChannel: a queued task goes to the next poll; an unanswered one times out with a message", async () => {
  const channel = new PcapChannel({ timeoutMs: 150, pickupMs: 100 });
  await channel.poll(A, 0); // the agent was here a moment ago (grace period)
  const result = channel.request(A, "search", {});
  const task = await channel.poll(A, 1_000);
  assert.ok(task);
  await assert.rejects(
    result,
    (e: unknown) =>
      e instanceof PcapChannelError && e.kind === "timeout" &&
      /did not answer within 0.15 s/.test(e.message),
  );
});

Deno.test("PcapChannel: a task nobody picks up fails as offline; a dropped poll is offline at once", async () => {
  const channel = new PcapChannel({ timeoutMs: 1_000, pickupMs: 80 });
  await channel.poll(A, 0);
  await assert.rejects(
    channel.request(A, "search", {}),
    (e: unknown) =>
      e instanceof PcapChannelError && e.kind === "offline" && /did not pick up/.test(e.message),
  );
  const abort = new AbortController();
  const poll = channel.poll(B, 10_000, abort.signal);
  assert.equal(channel.online(B), true);
  abort.abort();
  assert.equal(await poll, null);
  assert.equal(channel.online(B), false);
});

Deno.test("checkPcapTask() names every bad field and refuses paths and unknown fields", () => {
  assert.deepEqual(checkPcapTask({ id: crypto.randomUUID(), kind: "extract", query: {} }), []);
  const problems = checkPcapTask({
    id: "../../etc/passwd",
    kind: "read",
    query: { path: "/etc/passwd", host: "x", port: 70000, filter: "\u0000", limit: 0 },
  });
  assert.deepEqual(problems, [
    "id: expected a UUID",
    "kind: expected search or extract",
    "query.path: unknown field",
    "query.host: expected an IP address",
    "query.port: expected 0-65535",
    "query.filter: expected a tcpdump expression (printable ASCII, ≤ 1024 chars)",
    "query.limit: expected 1-100000",
  ]);
});

Deno.test("PcapChannel.close() ends open polls and fails pending tasks", async () => {
  const channel = new PcapChannel();
  const poll = channel.poll(A, 10_000);
  const other = channel.poll(B, 10_000);
  const task = channel.request(A, "search", {});
  assert.ok(await poll, "the task went to A's poll");
  channel.close();
  assert.equal(await other, null);
  await assert.rejects(task, /the manager is stopping/);
});
