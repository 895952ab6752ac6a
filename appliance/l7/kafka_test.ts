import assert from "node:assert/strict";
import { Conversation } from "./_testing.ts";
import { kafkaRequest, kafkaResponse } from "./_wire_testing.ts";

Deno.test("kafka pairs requests by correlation id and reads topics and error codes", () => {
  const c = new Conversation({ client: 40000, server: 19092 });
  c.send(0, kafkaRequest(3, 7, "orders"));
  c.send(0, kafkaRequest(0, 8, "payments"));
  c.send(1, kafkaResponse(0, 8, "payments", 3));
  c.send(1, kafkaResponse(3, 7, "orders", 0));
  const records = c.finish().sort((a, b) => a.requestId! - b.requestId!);
  assert.deepEqual(
    records.map((r) => [
      r.l7Protocol,
      r.requestId,
      r.requestType,
      r.version,
      r.requestDomain,
      r.requestResource,
      r.responseCode,
      r.responseStatus,
      r.responseException,
    ]),
    [
      [100, 7, "Metadata", "1", "app", "orders", 0, 0, ""],
      [100, 8, "Produce", "2", "app", "payments", 3, 3, "UNKNOWN_TOPIC_OR_PARTITION"],
    ],
  );
  assert.equal(c.engine.stats.byProtocol.kafka!.parseFailed, 0);
});
