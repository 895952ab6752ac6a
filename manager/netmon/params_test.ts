import assert from "node:assert/strict";
import { describeErrors, parseNetmonParams } from "./params.ts";

const parse = (q: string, defaults = {}) => parseNetmonParams(new URLSearchParams(q), defaults);

Deno.test("parseNetmonParams() fills defaults from nothing", () => {
  const { filters, errors } = parse("");
  assert.deepEqual(errors, {});
  assert.deepEqual(filters, {
    group: "ip",
    side: 1,
    metric: "bytes",
    sort: "bytes",
    top: 10,
  });
  assert.equal(parse("", { group: "server_port", metric: "rtt", top: 5 }).filters.sort, "rtt");
});

Deno.test("parseNetmonParams() reads every field", () => {
  const { filters, errors } = parse(
    "from=2026-01-01T00:00&to=2026-01-01T01:00&ip=10.0.0.0/8&port=443&protocol=tcp" +
      "&appliance=npb-1%232&group=tag:host&side=0&metric=rtt&sort=retrans&top=25",
  );
  assert.deepEqual(errors, {});
  assert.equal(filters.fromMs, Date.UTC(2026, 0, 1));
  assert.equal(filters.toMs, Date.UTC(2026, 0, 1, 1));
  assert.equal(filters.port, 443);
  assert.equal(filters.protocol, 6);
  assert.equal(filters.appliance, "npb-1");
  assert.equal(filters.captureNic, 2);
  assert.equal(filters.group, "tag:host");
  assert.equal(filters.side, 0);
  assert.equal(filters.metric, "rtt");
  assert.equal(filters.sort, "retrans");
  assert.equal(filters.top, 25);
  assert.equal(parse("protocol=17").filters.protocol, 17);
  assert.equal(parse("appliance=npb-1").filters.captureNic, undefined);
});

Deno.test("parseNetmonParams() rejects bad values; the message names each parameter", () => {
  const cases: [string, string, RegExp][] = [
    ["from=yesterday", "from", /UTC date/],
    ["from=2026-01-01T01:00&to=2026-01-01T00:00", "to", /after From/],
    ["ip=10.0.0.999", "ip", /./],
    ["port=70000", "port", /0 to 65535/],
    ["port=http", "port", /number/],
    ["protocol=sctp-ish", "protocol", /tcp, udp/],
    ["protocol=256", "protocol", /0–255/],
    ["group=colour", "group", /unknown grouping "colour"/],
    ["group=tag:nope", "group", /unknown grouping/],
    ["metric=nope", "metric", /unknown metric "nope"/],
    ["sort=nope", "sort", /unknown metric/],
    ["top=0", "top", /1 to 100/],
    ["top=101", "top", /1 to 100/],
    ["top=2.5", "top", /1 to 100/],
  ];
  for (const [query, field, message] of cases) {
    const { errors } = parse(query);
    assert.deepEqual(Object.keys(errors), [field], query);
    assert.match(errors[field as keyof typeof errors]!, message, query);
    assert.match(describeErrors(errors), new RegExp(`^${field}: `), query);
  }
  const many = describeErrors(parse("port=x&top=0&metric=nope").errors);
  assert.match(many, /port: .*; /);
  assert.match(many, /metric: unknown metric "nope"/);
  assert.match(many, /top: top must be from 1 to 100/);
});
