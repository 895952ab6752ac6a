import assert from "node:assert/strict";
import { bytes, Conversation } from "./_testing.ts";

function pick<T, K extends keyof T>(rows: T[], ...keys: K[]): unknown[][] {
  return rows.map((r) => keys.map((k) => r[k]));
}

Deno.test("L7Engine pairs pipelined HTTP/1.1 requests split across segments, chunked bodies", () => {
  const c = new Conversation({ client: 40000, server: 8080 });
  c.send(0, bytes("GET /a?q=1 HTTP/1.1\r\nHost: shop\r\nX-Request-ID: r1\r\n"));
  c.send(0, bytes("\r\nPOST /b HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\nhel"));
  c.send(0, bytes("lo"));
  c.send(1, bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"), {
    us: 2000,
  });
  c.send(1, bytes("0\r\n\r\nHTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"), { us: 500 });
  const records = c.finish();
  assert.deepEqual(
    pick(records, "requestType", "requestResource", "endpoint", "responseCode", "responseStatus"),
    [["GET", "/a?q=1", "/a", 200, 0], ["POST", "/b", "/b", 503, 3]],
  );
  assert.equal(records[0]!.xRequestId0, "r1");
  assert.equal(records[0]!.responseDuration, 2200);
  assert.equal(records[1]!.responseException, "Busy");
  assert.equal(records[0]!.reqTcpSeq, 1000);
});

Deno.test("L7Engine skips retransmissions and waits for out-of-order segments", () => {
  const c = new Conversation({ client: 40000, server: 80 });
  c.send(0, bytes("GET /0 HTTP/1.1\r\n\r\n"));
  const at = c.seq[0]!;
  const first = bytes("GET /x HTTP/1.1\r\nHo");
  const second = bytes("st: h\r\n\r\n");
  c.send(0, second, { seq: at + first.length });
  c.send(0, first, { seq: at });
  c.send(0, first, { seq: at }); // retransmitted
  c.seq[0] = at + first.length + second.length;
  c.send(1, bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  c.send(1, bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
  const records = c.finish();
  assert.deepEqual(pick(records, "requestResource", "requestDomain", "responseCode"), [
    ["/0", "", 200],
    ["/x", "h", 404],
  ]);
  assert.equal(records[1]!.responseStatus, 4);
  assert.equal(c.engine.stats.outOfOrder, 1);
  assert.equal(c.engine.stats.retransmitted, 1);
});

Deno.test("L7Engine resynchronises after a lost segment", () => {
  const c = new Conversation({ client: 40000, server: 80 }, { maxHeldSegments: 1 });
  c.send(0, bytes("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"));
  c.send(1, bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  c.seq[0] = c.seq[0]! + 50; // 50 bytes never captured
  c.send(0, bytes("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"));
  c.send(0, bytes("GET /3 HTTP/1.1\r\nHost: h\r\n\r\n"));
  const records = c.finish();
  assert.equal(c.engine.stats.gaps, 1);
  assert.deepEqual(pick(records, "requestResource"), [["/1"], ["/2"], ["/3"]]);
});

Deno.test("L7Engine reports a request without response as a server timeout", () => {
  const c = new Conversation({ client: 40000, server: 80 }, { timeouts: { tcp: 1 } });
  c.send(0, bytes("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"));
  c.send(0, bytes("GET /late HTTP/1.1\r\nHost: h\r\n\r\n"), { us: 3_000_000 });
  const records = c.finish();
  assert.deepEqual(
    pick(records, "requestResource", "type", "responseStatus", "responseException"),
    [
      ["/slow", 0, 3, "Timeout"],
      ["/late", 0, 2, ""],
    ],
  );
  assert.equal(c.engine.stats.byProtocol.http!.timeouts, 1);
});

function dnsQuery(id: number, name: string, type: number): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return bytes([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0], labels, [0, 0, type, 0, 1]);
}

Deno.test("L7Engine pairs DNS answers by id, with rcode and answers", () => {
  const c = new Conversation({ client: 5353, server: 53, udp: true });
  const q1 = dnsQuery(0x1234, "www.example.com", 1);
  const q2 = dnsQuery(0x9999, "nope.example.com", 28);
  c.send(0, q1);
  c.send(0, q2);
  const a2 = bytes(q2);
  a2.set([0x81, 0x83], 2); // response, NXDOMAIN
  const a1 = bytes(q1, [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]);
  a1.set([0x81, 0x80, 0, 1, 0, 1], 2);
  c.send(1, a2);
  c.send(1, a1);
  const records = c.finish();
  assert.deepEqual(
    pick(records, "requestId", "requestType", "requestResource", "responseCode", "responseStatus"),
    [[0x9999, "AAAA", "nope.example.com", 3, 4], [0x1234, "A", "www.example.com", 0, 0]],
  );
  assert.equal(records[1]!.responseResult, "A=93.184.216.34");
});

Deno.test("L7Engine: a request evicted past 1024 pending ids is reported once, never answered", () => {
  const c = new Conversation({ client: 5353, server: 53, udp: true });
  // 1025 queries with distinct ids: the first is evicted (reported unanswered).
  for (let id = 1; id <= 1025; id++) c.send(0, dnsQuery(id, "a.example.com", 1));
  const answer = bytes(dnsQuery(1, "a.example.com", 1));
  answer.set([0x81, 0x80], 2);
  c.send(1, answer);
  const records = c.finish();
  assert.equal(records.length, 1025);
  assert.equal(records.filter((r) => r.requestId === 1).length, 1);
  assert.equal(records.find((r) => r.requestId === 1)!.type, 0);
  assert.equal(c.engine.stats.byProtocol.dns!.unmatched, 1);
});

Deno.test("L7Engine: ids answered out of order, an id asked again, and id timeouts", () => {
  const c = new Conversation({ client: 5353, server: 53, udp: true }, { timeouts: { udp: 1 } });
  c.send(0, dnsQuery(1, "one.example.com", 1));
  c.send(0, dnsQuery(2, "two.example.com", 1));
  c.send(0, dnsQuery(3, "three.example.com", 1));
  // The middle one is answered first, with two answers.
  const a2 = bytes(
    dnsQuery(2, "two.example.com", 1),
    [
      [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 2],
      [0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16, 0x20, 1, 0x0d, 0xb8, ...Array(11).fill(0), 2],
    ].flat(),
  );
  a2.set([0x81, 0x80, 0, 1, 0, 2], 2);
  c.send(1, a2);
  // Id 3 asked again: the first id-3 query is reported unanswered, the new one waits.
  c.send(0, dnsQuery(3, "again.example.com", 1));
  // Two seconds later neither 1 nor the second 3 has its answer: both time out.
  c.send(0, dnsQuery(4, "four.example.com", 1), { us: 2_000_000 });
  const a4 = bytes(dnsQuery(4, "four.example.com", 1));
  a4.set([0x81, 0x80], 2);
  c.send(1, a4);
  const records = c.finish();
  assert.deepEqual(
    pick(records, "requestId", "requestResource", "type", "responseException"),
    [
      [2, "two.example.com", 2, ""],
      [3, "three.example.com", 0, ""],
      [1, "one.example.com", 0, "Timeout"],
      [3, "again.example.com", 0, "Timeout"],
      [4, "four.example.com", 2, ""],
    ],
  );
  assert.equal(records[0]!.responseResult, "A=10.0.0.2;AAAA=2001:db8::2");
  assert.equal(c.engine.stats.byProtocol.dns!.timeouts, 2);
  assert.equal(c.engine.stats.byProtocol.dns!.unanswered, 1);
});

Deno.test("L7Engine reads Redis RESP3 replies: errors, maps, pushes", () => {
  const c = new Conversation({ client: 40000, server: 6379 });
  c.send(0, bytes("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nabc\r\n"));
  c.send(1, bytes("%1\r\n+server\r\n+redis\r\n>2\r\n+message\r\n+x\r\n+OK\r\n"));
  c.send(0, bytes("BOGUS arg\r\n"));
  c.send(1, bytes("-ERR unknown command 'BOGUS'\r\n"));
  const records = c.finish();
  assert.deepEqual(pick(records, "requestType", "requestResource", "responseStatus"), [
    ["HELLO", "HELLO 3", 0],
    ["SET", "SET k abc", 0],
    ["BOGUS", "BOGUS arg", 3],
  ]);
  assert.equal(records[2]!.responseException, "ERR unknown command 'BOGUS'");
});

function pgMessage(type: string, ...parts: (string | number[])[]): Uint8Array {
  const body = bytes(...parts);
  const len = body.length + 4;
  return bytes(type, [len >>> 24, (len >> 16) & 255, (len >> 8) & 255, len & 255], body);
}

Deno.test("L7Engine pairs PostgreSQL extended queries and reads ErrorResponse SQLSTATE", () => {
  const c = new Conversation({ client: 40000, server: 5432 }, { obfuscate: true });
  const startup = bytes([0, 0, 0, 0, 0, 3, 0, 0], "user\0app\0database\0shop\0\0");
  startup.set([0, 0, 0, startup.length], 0);
  c.send(0, startup);
  c.send(1, bytes(pgMessage("R", [0, 0, 0, 0]), pgMessage("Z", "I")));
  c.send(
    0,
    bytes(
      pgMessage(
        "P",
        "s1\0SELECT * FROM t WHERE id = $1 AND name = 'bob' /*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/\0",
        [0, 0],
      ),
      pgMessage("B", "\0s1\0", [0, 0, 0, 0, 0, 0]),
      pgMessage("E", "\0", [0, 0, 0, 0]),
      pgMessage("S"),
    ),
  );
  c.send(
    1,
    bytes(pgMessage("1"), pgMessage("2"), pgMessage("C", "SELECT 3\0"), pgMessage("Z", "I")),
  );
  c.send(0, pgMessage("Q", "SELEC 1\0"));
  c.send(
    1,
    bytes(
      pgMessage("E", 'SERROR\0C42601\0Msyntax error at or near "SELEC"\0\0'),
      pgMessage("Z", "I"),
    ),
  );
  const records = c.finish();
  assert.deepEqual(
    pick(
      records,
      "requestType",
      "requestDomain",
      "responseStatus",
      "responseResult",
      "sqlAffectedRows",
    ),
    [["EXECUTE", "shop", 0, "", 3], ["QUERY", "shop", 4, "42601", null]],
  );
  assert.match(records[0]!.requestResource, /^SELECT \* FROM t WHERE id = \$1 AND name = \? /);
  assert.equal(records[0]!.traceId, "0af7651916cd43dd8448eb211c80319c");
  assert.equal(records[1]!.responseCode, 42601);
});

function myPacket(seq: number, ...parts: (string | number[])[]): Uint8Array {
  const body = bytes(...parts);
  return bytes([body.length & 255, (body.length >> 8) & 255, body.length >> 16, seq], body);
}

Deno.test("L7Engine reads MySQL prepared statements with parameters and ERR codes", () => {
  const c = new Conversation({ client: 40000, server: 3306 });
  c.send(1, myPacket(0, [10], "10.11.6-MariaDB\0", new Array(40).fill(1)));
  c.send(0, myPacket(1, new Array(40).fill(0)));
  c.send(1, myPacket(2, [0, 0, 0, 2, 0, 0, 0]));
  c.send(0, myPacket(0, [0x16], "SELECT name FROM t WHERE id = ? AND kind = ?"));
  c.send(1, myPacket(1, [0, 7, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0]));
  // Execute id 7: flags, iterations, null bitmap, new-params-bound, types LONG and VAR_STRING.
  c.send(
    0,
    myPacket(0, [0x17, 7, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 0, 253, 0, 42, 0, 0, 0, 3], "red"),
  );
  c.send(1, myPacket(1, [1]), { us: 700 });
  c.send(1, myPacket(2, [3, 100, 101, 102]));
  c.send(0, myPacket(0, [3], "SELEC 1"));
  c.send(1, myPacket(1, [0xff, 0x28, 0x04], "#42000You have an error"));
  const records = c.finish();
  assert.deepEqual(pick(records, "requestType", "requestResource", "requestId", "responseCode"), [
    ["COM_STMT_PREPARE", "SELECT name FROM t WHERE id = ? AND kind = ?", 7, null],
    ["COM_STMT_EXECUTE", "SELECT name FROM t WHERE id = ? AND kind = ? , 42 , 'red'", 7, null],
    ["COM_QUERY", "SELEC 1", null, 1064],
  ]);
  assert.equal(records[1]!.responseDuration, 700);
  assert.equal(records[2]!.responseStatus, 3);
  assert.equal(records[2]!.responseException, "You have an error");
  assert.equal(records[2]!.responseResult, "42000");
});

Deno.test("L7Engine leaves flows of unknown protocols alone", () => {
  const c = new Conversation({ client: 40000, server: 7777 });
  for (let i = 0; i < 6; i++) c.send(0, bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
  assert.deepEqual(c.finish(), []);
  assert.equal(c.engine.stats.unknownFlows, 1);
});

Deno.test("L7Engine gives up on a flow after its first payloads, and infers again in a reused slot", () => {
  const c = new Conversation({ client: 40000, server: 7777 });
  for (let i = 0; i < 6; i++) c.send(0, bytes(`\x01\x02binary ${i}`));
  assert.equal(c.engine.stats.unknownFlows, 1);
  // A new flow in the same slot (another flow id): HTTP this time.
  const next = new Conversation({ client: 40001, server: 7777 }, {}, 2, c.engine);
  next.send(0, bytes("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"));
  next.send(1, bytes("HTTP/1.1 204 No Content\r\n\r\n"));
  const records = next.finish();
  assert.deepEqual(pick(records, "flowId", "requestResource", "responseCode"), [[2, "/x", 204]]);
  assert.equal(records[0]!.ip0, "10.0.0.1");
  assert.equal(records[0]!.ip1, "10.0.0.2");
  assert.equal(c.engine.stats.unknownFlows, 1);
});
