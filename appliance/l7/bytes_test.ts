import assert from "node:assert/strict";
import { findCrlf, findHeaderEnd, lowerHex } from "./_bytes.ts";

/** The plain searches the skipping ones must agree with. */
function naive(b: Uint8Array, from: number, end: number, pattern: number[]): number {
  for (let i = from; i + pattern.length <= end; i++) {
    if (pattern.every((p, k) => b[i + k] === p)) return i;
  }
  return -1;
}

Deno.test("findCrlf and findHeaderEnd agree with a plain search on random CR/LF-heavy bytes", () => {
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  // Bytes drawn mostly from CR, LF and one letter, so every overlap of the patterns occurs.
  const alphabet = [13, 10, 13, 10, 65, 32];
  for (let round = 0; round < 20000; round++) {
    const n = Math.floor(random() * 24);
    const b = new Uint8Array(n + 4).fill(13); // bytes past `end` must never be read as a match
    for (let i = 0; i < n; i++) b[i] = alphabet[Math.floor(random() * alphabet.length)]!;
    const from = Math.floor(random() * (n + 1));
    assert.equal(findCrlf(b, from, n), naive(b, from, n, [13, 10]), `crlf ${b} ${from} ${n}`);
    assert.equal(
      findHeaderEnd(b, from, n),
      naive(b, from, n, [13, 10, 13, 10]),
      `header end ${b} ${from} ${n}`,
    );
  }
});

Deno.test("findHeaderEnd finds the end of a real header block, and -1 when it is cut", () => {
  const text = "GET / HTTP/1.1\r\nHost: a\r\nX: \r\r\n\n\r\n\r\nbody";
  const b = new TextEncoder().encode(text);
  assert.equal(findHeaderEnd(b, 0, b.length), text.indexOf("\r\n\r\n"));
  assert.equal(findHeaderEnd(b, 0, text.indexOf("\r\n\r\n") + 3), -1);
  assert.equal(findCrlf(b, 0, b.length), 14);
  assert.equal(findCrlf(b, 15, b.length), text.indexOf("\r\n", 15));
});

Deno.test("lowerHex gives hex digits in lowercase at every length, 16 and 32 included", () => {
  const digits = "0123456789abcdefABCDEF";
  for (let n = 1; n <= 40; n++) {
    let hex = "";
    for (let i = 0; i < n; i++) hex += digits[(i * 7 + n) % digits.length];
    const b = new TextEncoder().encode(`xx${hex}yy`);
    assert.equal(lowerHex(b, 2, 2 + n), hex.toLowerCase(), `length ${n}`);
  }
});
