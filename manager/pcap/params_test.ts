import assert from "node:assert/strict";
import { parsePcapParams, parseTime } from "./params.ts";

const ID = "0b7d1f7e-8d0a-4d43-9a57-1c2f9e1e8c11";

Deno.test("parsePcapParams() turns a full 5-tuple into a flow query and a session", () => {
  const p = parsePcapParams(
    new URLSearchParams({
      appliance: ID,
      proto: "tcp",
      ip0: "10.0.0.1",
      port0: "51000",
      ip1: "10.0.0.2",
      port1: "80",
      from: "2026-12-01T10:00",
      to: String(Date.UTC(2026, 11, 1, 11)),
      filter: "tcp[13] & 4 != 0",
      packet: "3",
    }),
  );
  assert.deepEqual(p.errors, {});
  assert.equal(p.applianceId, ID);
  const flow = { protocol: 6, ip0: "10.0.0.1", port0: 51000, ip1: "10.0.0.2", port1: 80 };
  assert.deepEqual(p.session, flow);
  assert.deepEqual(p.query, {
    flow,
    sinceUs: Date.UTC(2026, 11, 1, 10) * 1000,
    untilUs: Date.UTC(2026, 11, 1, 11) * 1000 + 999,
    filter: "(tcp[13] & 4 != 0)",
  });
  assert.equal(p.packet, 3);
});

Deno.test("parsePcapParams() names each bad field; no path gets through as an appliance", () => {
  const p = parsePcapParams(
    new URLSearchParams({
      appliance: "../../etc",
      ip0: "10.0.0.300",
      port1: "99999",
      proto: "bogus",
      from: "yesterday",
      filter: "\u0001",
      limit: "0",
      packet: "-1",
    }),
  );
  assert.deepEqual(Object.keys(p.errors).sort(), [
    "appliance",
    "filter",
    "from",
    "ip0",
    "limit",
    "packet",
    "port1",
    "proto",
  ]);
  assert.equal(p.applianceId, undefined);
  assert.equal(parsePcapParams(new URLSearchParams()).errors.appliance, "choose an appliance");
});

Deno.test("parsePcapParams() narrows by host/port and adds the other end as a filter", () => {
  const p = parsePcapParams(
    new URLSearchParams({
      appliance: ID,
      ip0: "10.0.0.1",
      ip1: "10.0.0.2",
      port0: "53",
      port1: "5353",
    }),
  );
  assert.deepEqual(p.query, { host: "10.0.0.1", port: 53, filter: "host 10.0.0.2 and port 5353" });
  assert.equal(p.session, undefined);
  assert.equal(parseTime("2026-12-01T10:00:30.5"), Date.UTC(2026, 11, 1, 10, 0, 30, 500));
  assert.equal(parseTime("nope"), undefined);
});
