import assert from "node:assert/strict";
import { decodeBatch, encodeBatch, type RequestRecord, WIRE_VERSION } from "./mod.ts";

function record(over: Record<string, unknown> = {}): RequestRecord {
  return {
    flowId: 1,
    startTime: 1_700_000_000_000_000,
    endTime: 1_700_000_000_001_000,
    ipVersion: 4,
    ip0: "10.0.0.1",
    ip1: "10.0.0.2",
    clientPort: 40000,
    serverPort: 80,
    protocol: 6,
    vlan: 0,
    tunnelType: 0,
    captureNic: 0,
    observationPoint: "rest",
    l7Protocol: 20,
    version: "1.1",
    type: 2,
    isTls: 0,
    requestType: "GET",
    requestDomain: "a",
    requestResource: "/",
    requestId: null,
    endpoint: "/",
    responseStatus: 0,
    responseCode: 200,
    responseException: "",
    responseResult: "",
    responseDuration: 1000,
    requestLength: 10,
    responseLength: 20,
    sqlAffectedRows: null,
    traceId: "",
    spanId: "",
    parentSpanId: "",
    xRequestId0: "",
    xRequestId1: "",
    reqTcpSeq: 1,
    respTcpSeq: 2,
    ...over,
  } as RequestRecord;
}

function check(over: Record<string, unknown>) {
  return decodeBatch(
    encodeBatch({
      v: WIRE_VERSION,
      appliance: "a",
      stream: "requests",
      seq: 1,
      sentAt: 0,
      records: [record(over)],
    }),
  );
}

Deno.test("checkRequest() accepts a valid record, nulls where allowed", () => {
  assert.equal(check({}).ok, true);
  assert.equal(check({ responseCode: null, requestId: 7, sqlAffectedRows: 3 }).ok, true);
  assert.equal(check({ responseCode: -1 }).ok, true);
});

Deno.test("checkRequest() names the first bad field", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ip0: "10.0.0" }, /records\[0\]\.ip0: expected an IP address/],
    [{ serverPort: 70000 }, /serverPort: out of range/],
    [{ requestResource: 5 }, /requestResource: expected a string/],
    [{ requestResource: "x".repeat(20_000) }, /requestResource: longer than/],
    [{ responseDuration: -1 }, /responseDuration: expected a non-negative/],
    [{ responseCode: 2 ** 33 }, /responseCode: out of range/],
    [{ traceId: undefined }, /traceId: missing/],
    [{ ipVersion: 5 }, /ipVersion: expected 4 or 6/],
    [{ endTime: 1 }, /endTime: before startTime/],
    [{ type: 1.5 }, /type: expected an integer/],
  ];
  for (const [over, message] of cases) {
    const result = check(over);
    assert.equal(result.ok, false, JSON.stringify(over).slice(0, 60));
    if (!result.ok) assert.match(result.error, message);
  }
});
