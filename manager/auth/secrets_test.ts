import assert from "node:assert/strict";
import {
  base64url,
  fromBase64url,
  randomSecret,
  sha256Hex,
  timingSafeEqual,
  timingSafeEqualBytes,
} from "./secrets.ts";

Deno.test("randomSecret() gives 256 bits as 43 base64url characters, never twice the same", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const s = randomSecret();
    assert.match(s, /^[A-Za-z0-9_-]{43}$/);
    seen.add(s);
  }
  assert.equal(seen.size, 200);
});

Deno.test("base64url() and fromBase64url() round-trip every length; bad input is undefined", () => {
  for (let n = 0; n < 40; n++) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    assert.deepEqual(fromBase64url(base64url(bytes)), bytes);
  }
  assert.equal(fromBase64url("abc+/="), undefined);
  assert.equal(fromBase64url("a"), undefined);
});

Deno.test('sha256Hex() matches the FIPS 180-2 test vector for "abc"', async () => {
  assert.equal(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("timingSafeEqual() compares whole strings, including different lengths", () => {
  assert.equal(timingSafeEqual("token-value", "token-value"), true);
  assert.equal(timingSafeEqual("token-value", "token-valuf"), false);
  assert.equal(timingSafeEqual("token-value", "token-value-longer"), false);
  assert.equal(timingSafeEqual("", ""), true);
  assert.equal(timingSafeEqual("a", ""), false);
  assert.equal(timingSafeEqualBytes(new Uint8Array([1, 0]), new Uint8Array([1])), false);
});
