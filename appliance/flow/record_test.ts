import assert from "node:assert/strict";
import { DecodedPacket } from "../decode/mod.ts";
import { FlowTable } from "./mod.ts";

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0) * 1000;

/** A UDP packet from 10.0.x.y:port to 10.9.0.1:53 at `time` µs after T0. */
function udp(n: number, time: number, bytes: number): DecodedPacket {
  const p = new DecodedPacket();
  p.buffer = new Uint8Array([10, 0, (n >> 8) & 0xff, n & 0xff, 10, 9, 0, 1]);
  p.ipVersion = 4;
  p.srcOffset = 0;
  p.dstOffset = 4;
  p.protocol = 17;
  p.hasTransport = true;
  p.srcPort = 20_000 + (n % 1000);
  p.dstPort = 53;
  p.timestampUs = T0 + time;
  p.frameLength = bytes;
  p.payloadLength = bytes - 42;
  p.transportLength = bytes - 34;
  return p;
}

/** Runs `flows` one-packet flows through a table and returns its records, oldest first. */
function records(flows: number, bytesOf: (n: number) => number) {
  const table = new FlowTable();
  for (let n = 0; n < flows; n++) table.add(udp(n, n, bytesOf(n)));
  table.finish();
  const batch = table.drainBatch();
  assert.equal(batch.length, flows);
  const sorted = batch.toSortedArray();
  assert.equal(batch.length, 0, "a batch gives its objects once");
  return sorted;
}

Deno.test("FlowRecordBatch keeps every field of records across chunks, and rows reused later", () => {
  // 2,500 records span three chunks of 1,024 rows; the second run reuses the first's chunks.
  for (
    const [run, bytesOf] of [[1, (n: number) => 60 + n], [2, (n: number) => 2000 - n]] as const
  ) {
    const out = records(2500, bytesOf);
    assert.equal(out.length, 2500, `run ${run}`);
    for (const [n, r] of out.entries()) {
      assert.equal(r.flowId, n + 1);
      assert.equal(r.startTime, T0 + n);
      assert.equal(r.ip0, `10.0.${(n >> 8) & 0xff}.${n & 0xff}`);
      assert.equal(r.ip1, "10.9.0.1");
      assert.equal(r.clientPort, 20_000 + (n % 1000));
      assert.equal(r.serverPort, 53);
      assert.equal(r.protocol, 17);
      assert.equal(r.packetTx, 1);
      assert.equal(r.packetRx, 0);
      assert.equal(r.byteTx, bytesOf(n));
      assert.equal(r.l4ByteTx, bytesOf(n) - 42);
      assert.equal(r.isNewFlow, 1);
      assert.equal(r.closeType, 5, "Force Report: still live at the end of the input");
      assert.equal(r.observationPoint, "rest");
    }
  }
});

Deno.test("FlowTable.drain() returns objects and leaves nothing behind", () => {
  const table = new FlowTable();
  table.add(udp(1, 0, 100));
  table.finish();
  assert.equal(table.drain().length, 1);
  assert.equal(table.drain().length, 0);
  assert.equal(table.drainBatch().length, 0);
});
