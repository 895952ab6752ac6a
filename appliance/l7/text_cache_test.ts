import assert from "node:assert/strict";
import { ascii, text } from "./_bytes.ts";
import {
  addressShared,
  asciiShared,
  findText,
  MAX_CACHED_BYTES,
  textCacheCounts,
  TextKind,
  textShared,
} from "./_text_cache.ts";

const encode = (s: string) => new TextEncoder().encode(s);

/** `s`'s bytes at offset 7 of a larger buffer (payloads are views into packets). */
function inPacket(s: string): [Uint8Array, number, number] {
  const b = encode(s);
  const packet = new Uint8Array(b.length + 20).fill(0x41);
  packet.set(b, 7);
  return [packet, 7, 7 + b.length];
}

Deno.test("shared texts equal what ascii()/text() make, and the same bytes give the same string", () => {
  const samples = [
    "/api/v1/items?id=7",
    "api.example.com",
    "SELECT * FROM users WHERE id = 1",
    "naïve café ☕", // UTF-8
    "",
    "x".repeat(MAX_CACHED_BYTES), // the longest cached
    "y".repeat(MAX_CACHED_BYTES + 1), // not cached
  ];
  for (const s of samples) {
    const [b, start, end] = inPacket(s);
    assert.equal(asciiShared(b, start, end), ascii(b, start, end));
    assert.equal(textShared(b, start, end), text(b, start, end));
    assert.equal(textShared(b, start, end), s);
  }
  const before = textCacheCounts().hits;
  const [b1, s1, e1] = inPacket("/orders/42");
  const [b2, s2, e2] = inPacket("/orders/42");
  const first = asciiShared(b1, s1, e1);
  assert.equal(asciiShared(b2, s2, e2), first);
  assert.ok(textCacheCounts().hits > before, "the second lookup was answered from the cache");
});

Deno.test("a text cached for one kind is not returned for another, nor for other bytes", () => {
  // Latin-1 and UTF-8 texts of the same bytes differ: each kind keeps its own.
  const [b, start, end] = inPacket("café");
  const utf8 = textShared(b, start, end);
  const latin1 = asciiShared(b, start, end);
  assert.equal(utf8, "café");
  assert.equal(latin1, "cafÃ©");
  assert.equal(textShared(b, start, end), "café");
  // Bytes that differ in one place (same length, same slot if they collided) are not confused.
  for (let i = 0; i < 2000; i++) {
    const [x, xs, xe] = inPacket(`/p/${i}`);
    assert.equal(asciiShared(x, xs, xe), `/p/${i}`);
  }
  for (let i = 0; i < 2000; i++) {
    const [x, xs, xe] = inPacket(`/p/${i}`);
    assert.equal(asciiShared(x, xs, xe), `/p/${i}`);
  }
  assert.ok(findText(b, start, end, TextKind.DnsName) < 0, "never stored as a DNS name");
});

Deno.test("addressShared() formats IPv4 and IPv6 addresses like formatAddress()", () => {
  const v4 = new Uint8Array([0, 0, 10, 1, 2, 3, 0]);
  assert.equal(addressShared(v4, 2, 4), "10.1.2.3");
  assert.equal(addressShared(v4, 2, 4), "10.1.2.3");
  const v6 = new Uint8Array(18);
  v6.set([0x20, 0x01, 0x0d, 0xb8], 1);
  v6[16] = 1;
  assert.equal(addressShared(v6, 1, 6), "2001:db8::1");
  // The same 4 first bytes as an IPv4 address are another entry (16 bytes vs 4).
  assert.equal(addressShared(v6, 1, 4), "32.1.13.184");
  assert.equal(addressShared(v6, 1, 6), "2001:db8::1");
});
