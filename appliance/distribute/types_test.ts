import assert from "node:assert/strict";
import { parseDistribution } from "./types.ts";

const POINT = { id: "ids", tunnel: "vxlan", vni: 7, destination: "192.0.2.1" };

Deno.test("parseDistribution() fills defaults", () => {
  const r = parseDistribution([{ id: "a", points: [POINT] }]);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  const p = r.policies[0]!;
  assert.deepEqual(
    [
      p.enabled,
      p.direction,
      p.action,
      p.mode,
      p.dedup.enabled,
      p.points[0]!.port,
      p.points[0]!.mtu,
    ],
    [true, "both", "distribute", "replicate", false, 4789, 1500],
  );
});

Deno.test("parseDistribution() accepts IPv6 points and ERSPAN sessions", () => {
  const r = parseDistribution({
    policies: [{
      id: "a",
      points: [{
        id: "e",
        tunnel: "erspan3",
        sessionId: 1023,
        destination: "2001:db8::1",
        source: "::1",
      }],
    }],
  });
  assert.equal(r.ok, true);
});

Deno.test("parseDistribution() names the field of every problem", () => {
  const r = parseDistribution([{
    id: "a",
    direction: "up",
    filter: "tcp port",
    slice: { from: "l7", bytes: -1 },
    points: [
      { id: "x", tunnel: "vxlan", vni: 1 << 24, destination: "10.0.0.300" },
      { id: "y", tunnel: "erspan2", destination: "10.0.0.1", port: 5 },
    ],
    masks: [{ offset: 1 }],
  }]);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const fields = r.problems.map((p) => p.slice(0, p.indexOf(":")));
  assert.deepEqual(fields.sort(), [
    "distribution[0].direction",
    "distribution[0].filter",
    "distribution[0].masks[0].length",
    "distribution[0].points[0].destination",
    "distribution[0].points[0].vni",
    "distribution[0].points[1].port",
    "distribution[0].points[1].sessionId",
    "distribution[0].slice.bytes",
    "distribution[0].slice.from",
  ]);
  assert.match(r.problems.find((p) => p.includes(".filter"))!, /syntax error/);
});

Deno.test("parseDistribution() refuses a point id used with two shapes", () => {
  const r = parseDistribution([
    { id: "a", points: [POINT] },
    { id: "b", points: [{ ...POINT, vni: 8 }] },
  ]);
  assert.equal(r.ok, false);
});
