import assert from "node:assert/strict";
import { IN_CI } from "../../tests/support/tools.ts";
import { filterProblem, libpcapAvailable } from "./mod.ts";

const available = libpcapAvailable();
if (!available && !IN_CI) console.warn("skip: libpcap is not installed");

Deno.test({
  name: "filterProblem: libpcap's message for a bad filter, none for a good or empty one",
  ignore: !available && !IN_CI,
  fn: () => {
    assert.equal(filterProblem(""), undefined);
    assert.equal(filterProblem("tcp port 80 and host 10.0.0.1"), undefined);
    assert.equal(filterProblem("vlan and udp", { required: true }), undefined);
    assert.match(filterProblem("tcp port") ?? "", /syntax error/);
    assert.match(filterProblem("host 999.1.1.1") ?? "", /999\.1\.1\.1/);
    assert.equal(filterProblem("tcp\0port 80"), "must not contain NUL characters");
  },
});
