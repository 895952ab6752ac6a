/**
 * Request-log fixtures: a valid `RequestRecord`, a `requests` batch, and a small known data set
 * (HTTP, DNS, PostgreSQL, Redis) whose counts, error ratios and percentiles the request-log
 * tests assert exactly.
 *
 * ```ts
 * const batch = requestBatch(REQUEST_SET, { appliance: me.applianceId, seq: 1 });
 * await app.request("/api/v1/ingest", { method: "POST", headers, body: encodeBatch(batch) });
 * ```
 */
import {
  L7Protocol,
  type RequestBatch,
  type RequestRecord,
  RequestType,
  ResponseStatus,
  WIRE_VERSION,
} from "../../appliance/wire/mod.ts";

/** 2026-01-05T10:00:00Z in µs: the data set's first request. */
export const T0_US = Date.UTC(2026, 0, 5, 10, 0, 0) * 1000;

/** A valid request record (an HTTP GET answered 200 in 1 ms); `over` changes fields. */
export function requestRecord(over: Partial<RequestRecord> = {}): RequestRecord {
  const start = over.startTime ?? T0_US;
  const duration = over.responseDuration ?? 1000;
  return {
    flowId: 1,
    startTime: start,
    endTime: start + duration,
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
    l7Protocol: L7Protocol.Http1,
    version: "1.1",
    type: RequestType.Session,
    isTls: 0,
    requestType: "GET",
    requestDomain: "shop.example",
    requestResource: "/api/a",
    requestId: null,
    endpoint: "/api/a",
    responseStatus: ResponseStatus.Success,
    responseCode: 200,
    responseException: "",
    responseResult: "",
    responseDuration: duration,
    requestLength: 100,
    responseLength: 2000,
    sqlAffectedRows: null,
    traceId: "",
    spanId: "",
    parentSpanId: "",
    xRequestId0: "",
    xRequestId1: "",
    reqTcpSeq: 1,
    respTcpSeq: 2,
    ...over,
  };
}

export function requestBatch(
  records: RequestRecord[],
  options: { appliance: string; seq?: number },
): RequestBatch {
  return {
    v: WIRE_VERSION,
    appliance: options.appliance,
    stream: "requests",
    seq: options.seq ?? 1,
    sentAt: Date.now(),
    records,
  };
}

const S = 1_000_000;

function http(i: number): RequestRecord {
  // Durations 1..10 ms; #3 and #7 are 404s, #9 a 500; six to /api/a, four to /api/b.
  const status = i === 3 || i === 7
    ? ResponseStatus.ClientError
    : i === 9
    ? ResponseStatus.ServerError
    : ResponseStatus.Success;
  const path = i < 6 ? "/api/a" : "/api/b";
  return requestRecord({
    flowId: 100 + i,
    startTime: T0_US + i * S,
    responseDuration: (i + 1) * 1000,
    responseStatus: status,
    responseCode: status === ResponseStatus.Success ? 200 : status === 4 ? 404 : 500,
    responseException: status === ResponseStatus.Success
      ? ""
      : status === 4
      ? "Not Found"
      : "Internal Server Error",
    requestResource: `${path}?n=${i}`,
    endpoint: path,
    traceId: i === 0 ? "4bf92f3577b34da6a3ce929d0e0e4736" : "",
  });
}

/**
 * The known data set. HTTP service 10.0.0.2:80: 11 requests (ten sessions of 1–10 ms, two
 * 404s and one 500, and one request that timed out): errors 4 of 11, p50 5.5 ms, p90 9.1 ms,
 * p99 9.91 ms (percentile_cont over the ten sessions). DNS 10.0.0.53:53: 4 queries of 0.5 ms,
 * one NXDOMAIN. PostgreSQL 10.0.0.5:5432: five `select … where id = N` (2, 4, 6, 8, 10 ms; the
 * last one an error) from 10.0.0.1 and one insert (20 ms) from 10.0.0.9. Redis 10.0.0.6:6379: two GETs.
 */
export const REQUEST_SET: RequestRecord[] = [
  ...Array.from({ length: 10 }, (_, i) => http(i)),
  requestRecord({
    flowId: 120,
    startTime: T0_US + 30 * S,
    type: RequestType.Request,
    responseDuration: 0,
    responseStatus: ResponseStatus.ServerError,
    responseCode: null,
    responseException: "Timeout",
    requestResource: "/api/slow",
    endpoint: "/api/slow",
  }),
  ...Array.from({ length: 4 }, (_, i) =>
    requestRecord({
      flowId: 200 + i,
      startTime: T0_US + (40 + i) * S,
      ip1: "10.0.0.53",
      serverPort: 53,
      protocol: 17,
      l7Protocol: L7Protocol.Dns,
      version: "",
      requestType: "A",
      requestDomain: "",
      requestResource: i === 3 ? "missing.example" : "shop.example",
      endpoint: i === 3 ? "missing.example" : "shop.example",
      requestId: 4000 + i,
      responseDuration: 500,
      responseStatus: i === 3 ? ResponseStatus.ClientError : ResponseStatus.Success,
      responseCode: i === 3 ? 3 : 0,
      responseException: i === 3 ? "NXDomain" : "",
      reqTcpSeq: 0,
      respTcpSeq: 0,
    })),
  ...Array.from({ length: 5 }, (_, i) =>
    requestRecord({
      flowId: 300,
      startTime: T0_US + (60 + i) * S,
      ip1: "10.0.0.5",
      serverPort: 5432,
      l7Protocol: L7Protocol.PostgreSql,
      version: "3.0",
      requestType: "Query",
      requestDomain: "shop",
      requestResource: `select * from orders where id = ${i + 1}`,
      endpoint: "",
      responseDuration: (i + 1) * 2000,
      responseStatus: i === 4 ? ResponseStatus.ClientError : ResponseStatus.Success,
      responseCode: null,
      responseException: i === 4 ? "relation does not exist" : "",
      responseResult: i === 4 ? "42P01" : "",
      sqlAffectedRows: i === 4 ? null : 1,
    })),
  requestRecord({
    flowId: 301,
    startTime: T0_US + 70 * S,
    ip0: "10.0.0.9",
    ip1: "10.0.0.5",
    serverPort: 5432,
    l7Protocol: L7Protocol.PostgreSql,
    version: "3.0",
    requestType: "Query",
    requestDomain: "shop",
    requestResource: "insert into orders values (7, 'x\tany')",
    endpoint: "",
    responseDuration: 20_000,
    responseCode: null,
    sqlAffectedRows: 1,
  }),
  ...Array.from({ length: 2 }, (_, i) =>
    requestRecord({
      flowId: 400,
      startTime: T0_US + (80 + i) * S,
      ip1: "10.0.0.6",
      serverPort: 6379,
      l7Protocol: L7Protocol.Redis,
      version: "",
      requestType: "get",
      requestDomain: "",
      requestResource: `GET cart:${i}`,
      endpoint: "GET",
      responseDuration: 300,
      responseCode: null,
    })),
];
