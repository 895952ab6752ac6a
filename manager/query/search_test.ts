import assert from "node:assert/strict";
import { parseSearch, type SearchClause } from "./search.ts";

function clauses(text: string): SearchClause[] {
  const r = parseSearch(text);
  if ("error" in r) throw new Error(r.error);
  return r.clauses;
}

function error(text: string): string {
  const r = parseSearch(text);
  assert.ok("error" in r, `expected an error for ${text}`);
  return r.error;
}

Deno.test("parseSearch() reads tag, field, label and prefix clauses joined by and", () => {
  const c = clauses(
    "service_1 = checkout AND byte_tx >= 1000 and labels_0.env != prod and ip_1 = 2001:db8::/32",
  );
  assert.deepEqual(
    c.map((x) => [x.field.column, x.op, x.value, x.labelKey]),
    [
      ["service_1", "=", "checkout", undefined],
      ["byte_tx", ">=", 1000, undefined],
      ["labels_0", "!=", "prod", "env"],
      ["ip_1", "=", "2001:db8::/32", undefined],
    ],
  );
  assert.deepEqual(clauses(""), []);
});

Deno.test("parseSearch() keeps quoted values whole, with spaces and the word and", () => {
  const [c] = clauses(`host_0 = "rack 1 and 2"`);
  assert.equal(c!.value, "rack 1 and 2");
  assert.equal(clauses("service_1 = ''")[0]!.value, "");
  assert.equal(clauses("pod_0 ~ web")[0]!.op, "~");
});

Deno.test("parseSearch() names what is wrong", () => {
  assert.match(error("nope = 1"), /unknown field "nope"/);
  assert.match(error("byte_tx = lots"), /whole number/);
  assert.match(error("byte_tx ~ 1"), /is a number/);
  assert.match(error("ip_0 > 10.0.0.1"), /takes = or !=/);
  assert.match(error("ip_0 = 10.0.0.300"), /not an IPv4 or IPv6/);
  assert.match(error("service_1 > a"), /is text/);
  assert.match(error("labels_1 = x"), /name a label/);
  assert.match(error("host_1.x = y"), /no sub-fields/);
  assert.match(error("host_1 = 'a"), /unbalanced quotes/);
  assert.match(error("checkout"), /is not field op value/);
  assert.match(error("time >= yesterday"), /UTC time/);
});
