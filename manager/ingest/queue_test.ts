import assert from "node:assert/strict";
import { WriteQueue } from "./queue.ts";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { open, opened };
}

Deno.test("WriteQueue.run() runs at most `concurrency`, queues `waiting`, refuses the rest", async () => {
  const queue = new WriteQueue({ concurrency: 2, waiting: 1 });
  const g = gate();
  let active = 0;
  let most = 0;
  const job = async () => {
    active++;
    most = Math.max(most, active);
    await g.opened;
    active--;
    return "done";
  };
  const accepted = [queue.run(job), queue.run(job), queue.run(job)];
  assert.deepEqual(queue.stats, { running: 2, waiting: 1, refused: 0 });
  assert.deepEqual(await queue.run(job), { full: true });
  assert.equal(queue.stats.refused, 1);
  g.open();
  for (const outcome of await Promise.all(accepted)) {
    assert.deepEqual(outcome, { full: false, value: "done" });
  }
  assert.equal(most, 2);
  assert.deepEqual(queue.stats, { running: 0, waiting: 0, refused: 1 });
});

Deno.test("WriteQueue.run() frees the slot when the job throws", async () => {
  const queue = new WriteQueue({ concurrency: 1, waiting: 0 });
  await assert.rejects(queue.run(() => Promise.reject(new Error("boom"))), /boom/);
  assert.deepEqual(await queue.run(() => Promise.resolve(1)), { full: false, value: 1 });
});
