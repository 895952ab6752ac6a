import assert from "node:assert/strict";
import { readPcap } from "../../appliance/capture/mod.ts";
import { buildFlows } from "../../appliance/pipeline.ts";
import { generateShortFlows } from "./_short_flows.ts";

const START = Date.UTC(2026, 0, 1);

Deno.test("generateShortFlows() is deterministic for the same seed", () => {
  const a = generateShortFlows({ flows: 300, start: START, durationS: 30 });
  const b = generateShortFlows({ flows: 300, start: START, durationS: 30 });
  assert.deepEqual(a.bytes, b.bytes);
  assert.notDeepEqual(
    generateShortFlows({ flows: 300, seed: 2, start: START, durationS: 30 }).bytes,
    a.bytes,
  );
});

Deno.test("generateShortFlows() makes one appliance flow per flow, each of 2-3 packets, in time order", () => {
  const flows = 9_000; // more than the 8,192 clients: client ports must keep 5-tuples apart
  const { bytes, summary } = generateShortFlows({ flows, start: START, durationS: 90 });
  assert.equal(summary.tcpFlows + summary.udpFlows, flows);
  assert.ok(summary.tcpFlows > flows * 0.4 && summary.udpFlows > flows * 0.4);
  assert.ok(summary.packets >= 2 * flows && summary.packets <= 3 * flows);
  const reader = readPcap(bytes);
  let last = 0;
  let packets = 0;
  while (reader.next()) {
    assert.ok(reader.packet.timestampUs >= last, "packets are in time order");
    last = reader.packet.timestampUs;
    packets++;
  }
  assert.equal(packets, summary.packets);
  assert.ok(summary.firstUs >= START * 1000 && summary.lastUs < (START + 90_000) * 1000);

  const built = buildFlows(readPcap(bytes));
  assert.deepEqual(built.decodeErrors, {});
  assert.equal(built.flows, flows);
  const firsts = built.records.filter((r) => r.isNewFlow === 1);
  assert.equal(firsts.length, flows);
  assert.equal(
    new Set(firsts.map((r) => `${r.ip0}:${r.clientPort}-${r.ip1}:${r.serverPort}/${r.protocol}`))
      .size,
    flows,
  );
  assert.equal(firsts.filter((r) => r.protocol === 6).length, summary.tcpFlows);
});
