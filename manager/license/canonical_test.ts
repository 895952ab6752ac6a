import assert from "node:assert/strict";
import { CanonicalError, canonicalJson, signedBytes } from "./canonical.ts";

Deno.test("canonicalJson() sorts keys at every depth and drops whitespace", () => {
  const value = { b: 1, a: { d: [3, { z: true, y: "x" }], c: 'é\n"' } };
  assert.equal(canonicalJson(value), '{"a":{"c":"é\\n\\"","d":[3,{"y":"x","z":true}]},"b":1}');
  const reordered = JSON.parse('{ "a": { "d": [3, {"y":"x","z":true}], "c": "é\\n\\"" }, "b": 1 }');
  assert.equal(canonicalJson(reordered), canonicalJson(value));
});

Deno.test("canonicalJson() sorts by UTF-16 code unit, like jq -S for ASCII keys", () => {
  assert.equal(
    canonicalJson({ b: 0, B: 0, _: 0, a1: 0, a: 0 }),
    '{"B":0,"_":0,"a":0,"a1":0,"b":0}',
  );
});

Deno.test("canonicalJson() refuses what it cannot encode one way only", () => {
  for (const bad of [1.5, NaN, 2 ** 60, null, undefined, () => 0]) {
    assert.throws(() => canonicalJson({ x: [bad] }), CanonicalError);
  }
  assert.throws(() => canonicalJson({ x: null }), /\$\.x: null cannot be signed/);
});

Deno.test("signedBytes() covers every field but the signature", () => {
  const text = new TextDecoder().decode(signedBytes({ signature: "zz", id: "a", keyId: "k" }));
  assert.equal(text, '{"id":"a","keyId":"k"}');
});
