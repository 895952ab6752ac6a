import assert from "node:assert/strict";
import { parseFlowFilters, parseIpFilter, parseUtcTime } from "./filters.ts";

Deno.test("parseIpFilter() accepts addresses and prefixes of both families", () => {
  for (const ok of ["10.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "2001:db8::1", "2001:db8::/32", "::1"]) {
    assert.deepEqual(parseIpFilter(ok), { value: ok }, ok);
  }
});

Deno.test("parseIpFilter() names what is wrong", () => {
  assert.match((parseIpFilter("10.0.0.256") as { error: string }).error, /not an IPv4 or IPv6/);
  assert.match((parseIpFilter("10.0.0.0/33") as { error: string }).error, /0–32/);
  assert.match((parseIpFilter("2001:db8::/129") as { error: string }).error, /0–128/);
  assert.match((parseIpFilter("1.2.3.4/8/9") as { error: string }).error, /address\/prefix/);
  assert.ok("error" in parseIpFilter("host.example"));
  assert.ok("error" in parseIpFilter("1.2.3.4'; drop table flow_log; --"));
});

Deno.test("parseUtcTime() reads datetime-local values as UTC and rejects impossible dates", () => {
  assert.equal(parseUtcTime("2026-11-25T17:03"), Date.UTC(2026, 10, 25, 17, 3));
  assert.equal(parseUtcTime("2026-11-25T17:03:04.5"), Date.UTC(2026, 10, 25, 17, 3, 4, 500));
  assert.equal(parseUtcTime("2026-11-25"), Date.UTC(2026, 10, 25));
  assert.equal(parseUtcTime("2026-02-31T00:00"), undefined);
  assert.equal(parseUtcTime("yesterday"), undefined);
});

Deno.test("parseFlowFilters() collects every error against its field and keeps raw values", () => {
  const { raw, query, errors } = parseFlowFilters(
    new URLSearchParams(
      "ip=x&port=70000&protocol=gopher&from=2026-11-25T10:00&to=2026-11-25T09:00&page=0",
    ),
    50,
  );
  assert.deepEqual(Object.keys(errors).sort(), ["ip", "port", "protocol", "to"]);
  assert.equal(raw.ip, "x");
  assert.equal(query.page, 1);
  const good = parseFlowFilters(new URLSearchParams("protocol=UDP&port=53&page=3"), 20);
  assert.deepEqual(good.errors, {});
  assert.deepEqual(good.query, { page: 3, pageSize: 20, port: 53, protocol: 17 });
});
