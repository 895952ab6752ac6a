import assert from "node:assert/strict";
import { formatCidr, normalizeIp, parseCidr, parseEndpoint } from "./ip.ts";

Deno.test("normalizeIp() writes IPv6 per RFC 5952 and refuses what is not an address", () => {
  assert.equal(normalizeIp("2001:0DB8:0000:0000:0001:0000:0000:0001"), "2001:db8::1:0:0:1");
  assert.equal(normalizeIp("::"), "::");
  assert.equal(normalizeIp("::ffff:192.0.2.1"), "::ffff:c000:201");
  assert.equal(normalizeIp("fe80:0:0:0:1::"), "fe80::1:0:0:0", "the first of equal runs");
  assert.equal(normalizeIp("10.0.0.1"), "10.0.0.1");
  for (const bad of ["10.0.0.01", "1:2:3:4:5:6:7:8:9", "1::2::3", "::12345", "a.b.c.d", ""]) {
    assert.equal(normalizeIp(bad), undefined, bad);
  }
});

Deno.test("parseCidr() refuses host bits and says which prefix was meant", () => {
  const ok = parseCidr("2001:db8::/32");
  assert.ok(!("error" in ok));
  assert.equal(formatCidr(ok), "2001:db8::/32");
  const bad = parseCidr("10.1.2.3/16");
  assert.match((bad as { error: string }).error, /did you mean 10\.1\.0\.0\/16/);
  assert.match((parseCidr("10.0.0.0/33") as { error: string }).error, /0–32/);
  assert.equal(formatCidr(parseCidr("10.0.0.7") as never), "10.0.0.7/32");
});

Deno.test("parseEndpoint() reads address:port and [v6]:port", () => {
  assert.deepEqual(parseEndpoint("10.0.0.1:443"), { ip: "10.0.0.1", port: 443 });
  assert.deepEqual(parseEndpoint("[2001:DB8::1]:53"), { ip: "2001:db8::1", port: 53 });
  assert.ok("error" in parseEndpoint("2001:db8::1:53"));
  assert.ok("error" in parseEndpoint("10.0.0.1:70000"));
});
