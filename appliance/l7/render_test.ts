import assert from "node:assert/strict";
import { requestTable } from "./render.ts";
import type { RequestRecord } from "../wire/request_record.ts";

Deno.test("requestTable() prints 200,000 rows without overflowing the call stack", () => {
  const base = {
    startTime: 1_700_000_000_000_000,
    flowId: 7,
    ip0: "10.0.0.1",
    ip1: "10.0.0.2",
    clientPort: 40000,
    serverPort: 80,
    requestDomain: "example.test",
    responseException: "",
    type: 2,
    l7Protocol: 20,
    requestType: "GET",
    requestResource: "/",
    responseCode: 200,
    responseStatus: 0,
    responseDuration: 1000,
  } as unknown as RequestRecord;
  const records: RequestRecord[] = new Array(200_000).fill(base);
  let table = "";
  assert.doesNotThrow(() => table = requestTable(records));
  assert.ok(table.split("\n").length >= 200_000);
});
