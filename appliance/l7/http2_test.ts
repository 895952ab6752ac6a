import assert from "node:assert/strict";
import { bytes, Conversation } from "./_testing.ts";
import { H2_PREFACE, h2Frame, hpackLiterals } from "./_wire_testing.ts";

const HEADERS = 1;
const DATA = 0;
const CONTINUATION = 9;

function grpcRequest(stream: number): Uint8Array {
  return h2Frame(
    HEADERS,
    4,
    stream,
    hpackLiterals([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", "/helloworld.Greeter/SayHello"],
      [":authority", "grpc.test:50051"],
      ["content-type", "application/grpc"],
      ["x-request-id", "req-7"],
    ]),
  );
}

Deno.test("http2 pairs gRPC calls by stream id and reads grpc-status from trailers", () => {
  const c = new Conversation({ client: 40000, server: 50051 });
  c.send(0, bytes(H2_PREFACE, grpcRequest(1), grpcRequest(3)));
  c.send(
    0,
    bytes(h2Frame(DATA, 1, 1, new Uint8Array(10)), h2Frame(DATA, 1, 3, new Uint8Array(10))),
  );
  // Stream 3 answered first (a trailers-only error), then stream 1 with data and trailers.
  c.send(
    1,
    h2Frame(
      HEADERS,
      5,
      3,
      hpackLiterals([
        [":status", "200"],
        ["content-type", "application/grpc"],
        ["grpc-status", "5"],
        ["grpc-message", "no%20such%20user"],
      ]),
    ),
  );
  c.send(
    1,
    h2Frame(HEADERS, 4, 1, hpackLiterals([[":status", "200"], ["x-request-id", "resp-7"]])),
  );
  c.send(1, h2Frame(DATA, 0, 1, new Uint8Array(12)));
  c.send(1, h2Frame(HEADERS, 5, 1, hpackLiterals([["grpc-status", "0"]])));
  const records = c.finish().sort((a, b) => a.requestId! - b.requestId!);
  assert.deepEqual(
    records.map((r) => [
      r.l7Protocol,
      r.requestId,
      r.requestType,
      r.requestResource,
      r.requestDomain,
      r.responseCode,
      r.responseStatus,
      r.responseException,
    ]),
    [
      [41, 1, "POST", "/helloworld.Greeter/SayHello", "grpc.test:50051", 0, 0, ""],
      [41, 3, "POST", "/helloworld.Greeter/SayHello", "grpc.test:50051", 5, 4, "no such user"],
    ],
  );
  assert.equal(records[0]!.xRequestId0, "req-7");
  assert.equal(records[0]!.xRequestId1, "resp-7");
  assert.ok(records[0]!.responseDuration > records[1]!.responseDuration);
  assert.equal(c.engine.stats.byProtocol.http2!.parseFailed, 0);
});

Deno.test("http2 joins HEADERS and CONTINUATION split across segments", () => {
  const block = hpackLiterals([
    [":method", "GET"],
    [":path", "/split"],
    [":authority", "h"],
    ["traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"],
  ]);
  const first = h2Frame(HEADERS, 1, 1, block.subarray(0, 20)); // END_STREAM, no END_HEADERS
  const rest = h2Frame(CONTINUATION, 4, 1, block.subarray(20));
  const wire = bytes(H2_PREFACE, first, rest);
  const c = new Conversation({ client: 40000, server: 8080 });
  c.send(0, wire.subarray(0, 40));
  c.send(0, wire.subarray(40));
  c.send(1, h2Frame(HEADERS, 5, 1, hpackLiterals([[":status", "503"]])));
  const [r] = c.finish();
  assert.deepEqual(
    [r!.l7Protocol, r!.requestResource, r!.responseCode, r!.responseStatus, r!.traceId],
    [21, "/split", 503, 3, "0af7651916cd43dd8448eb211c80319c"],
  );
});

Deno.test("http2 counts a damaged header block and a server RST_STREAM", () => {
  const c = new Conversation({ client: 40000, server: 8080 });
  c.send(0, bytes(H2_PREFACE, h2Frame(HEADERS, 4, 1, bytes([0xbe]))));
  c.send(0, h2Frame(HEADERS, 4, 3, hpackLiterals([[":method", "GET"], [":path", "/r"]])));
  c.send(1, h2Frame(3, 0, 3, bytes([0, 0, 0, 2])));
  const records = c.finish();
  assert.equal(c.engine.stats.byProtocol.http2!.parseFailed, 1);
  const reset = records.find((r) => r.requestResource === "/r")!;
  assert.deepEqual([reset.responseStatus, reset.responseException], [
    3,
    "RST_STREAM INTERNAL_ERROR",
  ]);
});
