import assert from "node:assert/strict";
import { openCapture } from "../../appliance/capture/mod.ts";
import { L7Protocol, ResponseStatus } from "../../appliance/l7/mod.ts";
import { buildFlows } from "../../appliance/pipeline.ts";
import { generateL7Traffic } from "./_l7_traffic.ts";

Deno.test("generateL7Traffic() requests are all parsed, paired and their errors seen", () => {
  const { bytes, summary } = generateL7Traffic({ connections: 60, seed: 7 });
  const built = buildFlows(openCapture(bytes), { l7: {} });
  const records = built.requests!;
  const count = (protocol: number, error = false) =>
    records.filter((r) =>
      r.l7Protocol === protocol && r.type === 2 &&
      (!error || r.responseStatus !== ResponseStatus.Success)
    ).length;
  assert.equal(built.flows, summary.flows);
  assert.equal(
    records.length,
    summary.requests.http + summary.requests.mysql + summary.requests.dns,
  );
  assert.equal(count(L7Protocol.Http1), summary.requests.http);
  assert.equal(count(L7Protocol.MySql), summary.requests.mysql);
  assert.equal(count(L7Protocol.Dns), summary.requests.dns);
  assert.equal(count(L7Protocol.Http1, true), summary.errors.http);
  assert.equal(count(L7Protocol.MySql, true), summary.errors.mysql);
  assert.equal(count(L7Protocol.Dns, true), summary.errors.dns);
  assert.ok(records.every((r) => r.responseDuration > 0));
  const http = records.find((r) => r.l7Protocol === L7Protocol.Http1)!;
  assert.match(http.traceId, /^[0-9a-f]{32}$/);
  assert.match(http.spanId, /^[0-9a-f]{16}$/);
  assert.equal(built.l7!.byProtocol.mysql!.parseFailed, 0);
});

Deno.test("buildFlows() with onRequests hands over, slice by slice, the records it would keep", () => {
  // Over 65,536 packets: several slices, and requests whose answer comes in the next one.
  const { bytes, summary } = generateL7Traffic({ connections: 6000, seed: 5 });
  assert.ok(summary.packets > 2 * 65_536, `${summary.packets} packets`);
  const kept = buildFlows(openCapture(bytes), { l7: {} }).requests!;
  const slices: number[] = [];
  const streamed: typeof kept = [];
  const built = buildFlows(openCapture(bytes), {
    l7: {},
    onRequests: (records) => {
      slices.push(records.length);
      for (const r of records) streamed.push(r);
    },
  });
  assert.deepEqual(built.requests, []);
  assert.ok(slices.length >= 3 && slices.filter((n) => n > 0).length >= 3, `${slices}`);
  const text = (records: typeof kept) => records.map((r) => JSON.stringify(r)).sort();
  assert.deepEqual(text(streamed), text(kept));
});
