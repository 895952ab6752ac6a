import assert from "node:assert/strict";
import { decodeBatch, encodeBatch, type RequestRecord, WIRE_VERSION } from "./mod.ts";
import { checkRequest, fieldProblem, MAX_REQUEST_TEXT_CHARS } from "./request_check.ts";
import { REQUEST_FIELDS } from "./request_record.ts";
import { isIpText } from "./streams.ts";

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

Deno.test("the compiled field check refuses every value the named check refuses", () => {
  // checkRequest takes the compiled path; a record it lets through must have no field problem.
  const tricky: unknown[] = [
    undefined,
    null,
    -1,
    0,
    1,
    2,
    1.5,
    NaN,
    Infinity,
    255,
    256,
    65535,
    65536,
    0xffffffff,
    2 ** 32,
    -(2 ** 31),
    -(2 ** 31) - 1,
    2 ** 31 - 1,
    2 ** 31,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    "",
    "x",
    "1",
    "x".repeat(MAX_REQUEST_TEXT_CHARS),
    "x".repeat(MAX_REQUEST_TEXT_CHARS + 1),
    true,
    {},
    [],
  ];
  let refused = 0;
  for (const spec of REQUEST_FIELDS) {
    for (const value of tricky) {
      const r = record({ [spec.key]: value }) as unknown as Record<string, unknown>;
      if (value === undefined) delete r[spec.key];
      const named = fieldProblem(r, "r");
      const full = checkRequest(r, "r", isIpText);
      if (named !== undefined) {
        refused++;
        assert.equal(full, named, `${spec.key} = ${String(value)}`);
      } else if (!["ipVersion", "ip0", "ip1", "startTime", "endTime"].includes(spec.key)) {
        assert.equal(full, undefined, `${spec.key} = ${String(value)}`);
      }
    }
  }
  assert.ok(refused > 500, `only ${refused} refusals: the table of values is too tame`);
});
