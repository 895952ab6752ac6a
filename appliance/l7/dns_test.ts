import assert from "node:assert/strict";
import { bytes, Conversation } from "./_testing.ts";

function name(text: string): number[] {
  return [...text.split(".").flatMap((l) => [l.length, ...new TextEncoder().encode(l)]), 0];
}

/** A DNS message: id, flags, the four counts, then the sections' bytes as given. */
function message(id: number, flags: number, counts: number[], ...body: number[][]): Uint8Array {
  const head = [id >> 8, id & 255, flags >> 8, flags & 255];
  for (const n of counts) head.push(n >> 8, n & 255);
  return bytes(head, ...body);
}

const A_RECORD = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 2];

Deno.test("dns takes multi-question mDNS queries with known answers", () => {
  const c = new Conversation({ client: 5353, server: 5353, udp: true });
  const questions = [...name("a.local"), 0, 255, 0, 1, ...name("b.local"), 0, 255, 0, 1];
  c.send(0, message(0, 0x0000, [2, 1, 0, 0], questions, A_RECORD));
  const records = c.finish();
  assert.equal(records.length, 1);
  assert.equal(records[0]!.requestType, "ANY");
  assert.equal(records[0]!.requestResource, "a.local");
  assert.equal(c.engine.stats.byProtocol.dns!.parseFailed, 0);
});

Deno.test("dns pairs NOTIFY and UPDATE messages, whose requests carry records", () => {
  const c = new Conversation({ client: 40001, server: 53, udp: true });
  const zone = [...name("example.org"), 0, 6, 0, 1];
  // NOTIFY (opcode 4) with the new SOA in the answer section; UPDATE (opcode 5): zone, update.
  c.send(0, message(0x5131, 0x2000, [1, 1, 0, 0], zone, A_RECORD));
  c.send(0, message(0xbb50, 0x2800, [1, 0, 1, 0], zone, A_RECORD));
  c.send(1, message(0x5131, 0xa400, [1, 0, 0, 0], zone));
  c.send(1, message(0xbb50, 0xa805, [1, 0, 0, 0], zone)); // REFUSED
  const records = c.finish();
  assert.deepEqual(
    records.map((r) => [r.requestId, r.requestType, r.requestResource, r.responseCode]),
    [[0x5131, "SOA", "example.org", 0], [0xbb50, "SOA", "example.org", 5]],
  );
});

Deno.test("dns reads an inverse query over TCP whose length prefix comes alone", () => {
  const c = new Conversation({ client: 25000, server: 53 });
  const query = message(0x87ee, 0x0980, [0, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0, 0x7a, 0x69], [
    0,
    4,
    4,
    3,
    2,
    1,
  ]);
  c.send(0, bytes([0, query.length]));
  c.send(0, query);
  const answer = message(0x87ee, 0x8980, [1, 1, 0, 0], name("[4.3.2.1]"), [0, 1, 0, 1]);
  c.send(1, bytes([0, answer.length], answer));
  const records = c.finish();
  assert.equal(records.length, 1);
  assert.equal(records[0]!.requestId, 0x87ee);
  assert.equal(records[0]!.responseCode, 0);
  assert.equal(records[0]!.type, 2);
});

Deno.test("dns leaves NetBIOS name service (port 137) alone", () => {
  const c = new Conversation({ client: 137, server: 137, udp: true });
  c.send(0, message(0x8664, 0x0110, [1, 0, 0, 0], name("EJFAFGDGCOEH"), [0, 32, 0, 1]));
  assert.deepEqual(c.finish(), []);
});

Deno.test("dns counts a query with a looping name on port 53 as a request and a parse failure", () => {
  const c = new Conversation({ client: 53001, server: 53, udp: true });
  c.send(0, message(0x2223, 0x0100, [1, 0, 0, 0], [0xc0, 12, 0, 1, 0, 1]));
  c.send(1, message(0x2223, 0x8182, [1, 0, 0, 0], [0xc0, 12, 0, 1, 0, 1]));
  const records = c.finish();
  assert.equal(records.length, 1);
  assert.equal(records[0]!.requestResource, "");
  assert.equal(records[0]!.responseCode, 2);
  assert.equal(c.engine.stats.byProtocol.dns!.parseFailed, 2);
});
