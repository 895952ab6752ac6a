import assert from "node:assert/strict";
import type { Heartbeat } from "./documents.ts";
import { healthAfter, ratesOf, statusAt } from "./status.ts";

function hb(over: Partial<Heartbeat> = {}): Heartbeat {
  return {
    v: 1,
    version: "1",
    startedAt: 1,
    sentAt: 10_000,
    capturePoints: [{
      interface: "eth1",
      observationPoint: "rest",
      link: "up",
      packets: 0,
      bytes: 0,
    }],
    stages: [{ stage: "decode", packets: 0, drops: [{ reason: "truncated", count: 0 }] }],
    cpu: { percent: 1 },
    memory: { rssBytes: 1, totalBytes: 2 },
    disk: { freeBytes: 1, totalBytes: 2 },
    spool: { batches: 0, bytes: 0, droppedBatches: 0, droppedRecords: 0, oldestAt: null },
    lastReportAt: null,
    configVersion: 1,
    entitlement: { ok: true, modules: [] },
    ...over,
  };
}

Deno.test("healthAfter() flags drops that grew, links not up and a spool waiting > 30 s", () => {
  const first = healthAfter(hb(), { now: 0, heartbeatSeconds: 5 });
  assert.deepEqual(first.problems, []);
  assert.equal(first.bitsPerSecond, null);
  const grown = hb({
    sentAt: 15_000,
    stages: [{ stage: "decode", packets: 5, drops: [{ reason: "truncated", count: 3 }] }],
    spool: { batches: 2, bytes: 9, droppedBatches: 0, droppedRecords: 0, oldestAt: 1 },
  });
  const h = healthAfter(grown, {
    previous: hb(),
    previousHealth: first,
    now: 5_000,
    heartbeatSeconds: 5,
  });
  assert.deepEqual(h.problems, ["decode/truncated: 3 dropped since the last heartbeat"]);
  assert.equal(h.spoolSince, 5_000);
  const later = healthAfter(
    hb({ ...grown, sentAt: 60_000, capturePoints: [{ ...grown.capturePoints[0]!, link: "down" }] }),
    { previous: grown, previousHealth: h, now: 40_000, heartbeatSeconds: 5 },
  );
  assert.deepEqual(later.problems, [
    "capture point eth1: link down",
    "spool: 2 batches waiting for 35 s",
  ]);
});

Deno.test("statusAt() is offline after three missed heartbeats and revoked above all", () => {
  const health = {
    problems: [],
    spoolSince: null,
    bitsPerSecond: null,
    packetsPerSecond: null,
    heartbeatSeconds: 5,
  };
  assert.equal(statusAt({ revokedAt: null, lastSeenAt: 0, health }, 15_000, 5), "online");
  assert.equal(statusAt({ revokedAt: null, lastSeenAt: 0, health }, 15_001, 5), "offline");
  assert.equal(statusAt({ revokedAt: null, lastSeenAt: null, health: null }, 0, 5), "offline");
  assert.equal(statusAt({ revokedAt: 1, lastSeenAt: 0, health }, 0, 5), "revoked");
  assert.equal(
    statusAt({ revokedAt: null, lastSeenAt: 0, health: { ...health, problems: ["x"] } }, 0, 5),
    "degraded",
  );
});

Deno.test("ratesOf() computes per-second rates and skips across a restart", () => {
  const cp = (
    packets: number,
  ) => [{
    interface: "eth1",
    observationPoint: "rest",
    link: "up" as const,
    packets,
    bytes: packets * 100,
  }];
  const rates = ratesOf([
    { at: 0, hb: hb({ sentAt: 0, capturePoints: cp(0) }) },
    { at: 5_000, hb: hb({ sentAt: 5_000, capturePoints: cp(500) }) },
    { at: 10_000, hb: hb({ startedAt: 9_000, sentAt: 10_000, capturePoints: cp(10) }) },
  ]);
  assert.equal(rates.length, 1);
  assert.equal(rates[0]!.packetsPerSecond, 100);
  assert.equal(rates[0]!.bitsPerSecond, 80_000);
});
