import assert from "node:assert/strict";
import {
  hashPassword,
  needsRehash,
  passwordProblem,
  PBKDF2_ITERATIONS,
  verifyPassword,
} from "./password.ts";

Deno.test("hashPassword() uses PBKDF2-SHA256 at 600,000 iterations with a 16-byte salt", async () => {
  const stored = await hashPassword("correct horse battery staple");
  const [algorithm, iterations, salt, hash] = stored.split("$");
  assert.equal(algorithm, "pbkdf2-sha256");
  assert.equal(Number(iterations), PBKDF2_ITERATIONS);
  assert.ok(PBKDF2_ITERATIONS >= 600_000, "OWASP 2023+ minimum for PBKDF2-HMAC-SHA256");
  assert.equal(salt!.length, 22, "16 bytes in unpadded base64url");
  assert.equal(hash!.length, 43, "32 bytes in unpadded base64url");
  assert.equal(await verifyPassword("correct horse battery staple", stored), true);
  assert.equal(await verifyPassword("correct horse battery stapler", stored), false);
});

Deno.test("hashPassword() salts each hash: one password, two different hashes", async () => {
  const a = await hashPassword("same password here", { iterations: 1000 });
  const b = await hashPassword("same password here", { iterations: 1000 });
  assert.notEqual(a, b);
  assert.equal(await verifyPassword("same password here", a), true);
  assert.equal(await verifyPassword("same password here", b), true);
});

Deno.test("verifyPassword() answers false for a missing or malformed hash, never throws", async () => {
  for (
    const stored of [
      null,
      undefined,
      "",
      "plain-text-password",
      "md5$1$abc$def",
      "pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA$" + "A".repeat(43),
      "pbkdf2-sha256$1000$!!$" + "A".repeat(43),
      "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA$short",
      "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA$" + "A".repeat(43) + "$extra",
    ]
  ) {
    assert.equal(await verifyPassword("anything at all", stored), false, String(stored));
  }
});

Deno.test("verifyPassword() treats the NFC and NFD forms of a password alike", async () => {
  const stored = await hashPassword("caf\u00e9 au lait 1234", { iterations: 1000 });
  assert.equal(await verifyPassword("cafe\u0301 au lait 1234", stored), true);
});

Deno.test("needsRehash() asks for a new hash below the configured cost", async () => {
  const cheap = await hashPassword("rehash me please", { iterations: 1000 });
  assert.equal(needsRehash(cheap), true);
  assert.equal(needsRehash(cheap, 1000), false);
  assert.equal(needsRehash("garbage"), true);
});

Deno.test("passwordProblem() wants 12 to 1024 characters, not only spaces", () => {
  assert.match(passwordProblem("short")!, /at least 12 characters \(got 5\)/);
  assert.match(passwordProblem(" ".repeat(20))!, /only spaces/);
  assert.match(passwordProblem("x".repeat(1025))!, /at most 1024/);
  assert.equal(passwordProblem("twelve chars"), undefined);
  // Characters, not UTF-16 units: 12 emoji are 12 characters.
  assert.equal(passwordProblem("🔒".repeat(12)), undefined);
  assert.match(passwordProblem("🔒".repeat(6))!, /got 6/);
});
