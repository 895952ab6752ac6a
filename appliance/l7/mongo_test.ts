import assert from "node:assert/strict";
import { Conversation } from "./_testing.ts";
import { bson, opMsg } from "./_wire_testing.ts";

Deno.test("mongodb reads OP_MSG commands and pairs replies by responseTo", () => {
  const c = new Conversation({ client: 40000, server: 27018 });
  c.send(0, opMsg(11, 0, bson([["find", "users"], ["limit", 1], ["$db", "shop"]])));
  c.send(0, opMsg(12, 0, bson([["insert", "users"], ["$db", "shop"]])));
  c.send(
    1,
    opMsg(
      900,
      12,
      bson([
        ["ok", { double: 0 }],
        ["errmsg", "E11000 duplicate key"],
        ["code", 11000],
      ]),
    ),
  );
  c.send(1, opMsg(901, 11, bson([["ok", { double: 1 }]])));
  const records = c.finish().sort((a, b) => a.requestId! - b.requestId!);
  assert.deepEqual(
    records.map((r) => [
      r.l7Protocol,
      r.requestType,
      r.requestDomain,
      r.requestResource,
      r.responseStatus,
      r.responseCode,
      r.responseException,
    ]),
    [
      [81, "find", "shop", "users", 0, null, ""],
      [81, "insert", "shop", "users", 3, 11000, "E11000 duplicate key"],
    ],
  );
});
