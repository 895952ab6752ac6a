import assert from "node:assert/strict";
import { Encoder } from "cbor-x";
import { sql } from "drizzle-orm";
import {
  CloseType,
  FLOW_FIELDS,
  type FlowBatch,
  type FlowRecord,
} from "../../appliance/wire/mod.ts";
import { createApp } from "../../manager/app.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { cborRequest, flowBatch as testBatch, flowRecord, flowRecordV1 } from "../support/flows.ts";
import { enrollTestAppliance } from "../support/fleet.ts";

/**
 * The wire record's fields of an API row (and its appliance): the row also carries its key
 * (id, time) and the AutoTagging columns, which the appliance never sends.
 */
function wireView(row: unknown): Record<string, unknown> {
  const r = row as Record<string, unknown>;
  return Object.fromEntries(
    [...FLOW_FIELDS.map((f) => f.key as string), "appliance"].map((k) => [k, r[k]]),
  );
}
import { installTestLicense } from "../support/license.ts";
import { adminApiHeaders } from "../support/auth.ts";

const INGEST = "http://manager/api/v1/ingest";
const API = "http://manager/api/v1/flows";

function withoutByteRx(): FlowRecord {
  const { byteRx: _, ...rest } = flowRecord();
  return rest as FlowRecord;
}

for (const engine of testEngines()) {
  Deno.test(`ingest (${engine}): batches are validated, stored once, and read back`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const partitions = new PartitionManager(database);
    const managerApp = createApp({ database, partitions, maxBatchBytes: 64 * 1024, pageSize: 50 });
    // Ingest needs an appliance credential, and a batch names the appliance it comes from.
    const appliance = await enrollTestAppliance({ app: managerApp, database });
    const app = {
      request: (url: string, init: RequestInit = {}) =>
        managerApp.request(
          url,
          url !== INGEST ? init : {
            ...init,
            headers: { ...init.headers as Record<string, string>, ...appliance.headers },
          },
        ),
    };
    const flowBatch = (records: FlowRecord[], over: Partial<FlowBatch> = {}) =>
      testBatch(records, { appliance: appliance.applianceId, ...over });
    // /api/v1/flows needs network_monitoring (manager/license/modules.ts).
    await installTestLicense(database, { modules: ["network_monitoring"] });
    // Reading flows needs a user: an admin API token (tests/support/auth.ts).
    const headers = await adminApiHeaders(database);
    const count = async () => {
      const [r] = await database.rows<{ n: string | number }>(
        sql`select count(*) as n from flow_log`,
      );
      return Number(r?.n);
    };
    const reset = () => database.rows(sql`truncate flow_log, ingest_batch, ingest_stream`);

    try {
      await t.step("a valid batch is stored and its values read back exactly", async () => {
        await reset();
        const records = [
          flowRecord({ flowId: 1 }),
          flowRecord({
            flowId: 2,
            ipVersion: 6,
            ip0: "2001:db8::1",
            ip1: "2001:db8::53",
            clientPort: 40000,
            serverPort: 53,
            protocol: 17,
            vlan: 100,
            packetTx: 1,
            packetRx: 1,
            byteTx: 80,
            byteRx: 160,
            tcpFlagsBit0: 0,
            tcpFlagsBit1: 0,
          }),
        ];
        const res = await app.request(INGEST, cborRequest(flowBatch(records)));
        assert.equal(res.status, 200, await res.clone().text());
        assert.deepEqual(await res.json(), { acked: 1, stored: 2, duplicate: false });
        const api = await (await app.request("http://manager/api/v1/flows", { headers })).json();
        assert.equal(api.total, 2);
        const byId = new Map(api.rows.map((r: { flowId: number }) => [r.flowId, r]));
        assert.deepEqual(wireView(byId.get(1)), {
          ...records[0],
          appliance: appliance.applianceId,
        });
        const v6 = byId.get(2) as Record<string, unknown>;
        assert.equal(v6.ip0, "2001:db8::1");
        assert.equal(v6.vlan, 100);
        assert.equal(v6.endTime, records[1]!.endTime);
      });

      await t.step("the same seq again is acknowledged and not stored twice", async () => {
        const res = await app.request(INGEST, cborRequest(flowBatch([flowRecord()])));
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { acked: 1, stored: 0, duplicate: true });
        assert.equal(await count(), 2);
      });

      await t.step("rows land in the daily partition of their time", async () => {
        const rows = await database.rows<{ part: string }>(
          sql`select distinct tableoid::regclass::text as part from flow_log`,
        );
        assert.deepEqual(rows.map((r) => r.part), ["flow_log_p20261125"]);
        const [p] = await database.rows<{ strategy: string }>(sql`
          select partstrat as strategy from pg_partitioned_table
          where partrelid = 'flow_log'::regclass`);
        assert.equal(p?.strategy, "r");
      });

      const rejections: [string, RequestInit, number, RegExp][] = [
        [
          "wrong content type",
          cborRequest(flowBatch([flowRecord()], { seq: 10 }), "application/json"),
          415,
          /content-type must be application\/cbor, got "application\/json"/,
        ],
        ["bad CBOR", cborRequest(new Uint8Array([0xff, 0x00, 0x13])), 400, /not valid CBOR/],
        ["empty body", cborRequest(new Uint8Array()), 400, /empty/],
        [
          "unknown version",
          cborRequest(flowBatch([flowRecord()], { seq: 11, v: 99 })),
          422,
          /unsupported schema version 99/,
        ],
        [
          "missing field in the second record",
          cborRequest(
            new Encoder({ mapsAsObjects: true }).encode(
              flowBatch([flowRecord({ flowId: 7 }), withoutByteRx()], { seq: 12 }),
            ),
          ),
          422,
          /records\[1\]\.byteRx: missing/,
        ],
        [
          "unknown stream",
          cborRequest(new Encoder().encode({ ...flowBatch([]), stream: "nope" })),
          422,
          /stream: unknown stream "nope"/,
        ],
        [
          "too large",
          cborRequest(flowBatch(Array.from({ length: 2000 }, (_, i) => flowRecord({ flowId: i })))),
          413,
          /larger than 65536 bytes/,
        ],
      ];
      for (const [what, init, status, message] of rejections) {
        await t.step(`${what} → ${status} naming the problem, nothing stored`, async () => {
          const res = await app.request(INGEST, init);
          assert.equal(res.status, status);
          const body = await res.json();
          assert.match(body.error, message);
          assert.equal(await count(), 2);
        });
      }

      await t.step("a wire v1 batch is stored with the v2 fields' defaults", async () => {
        await reset();
        const v1 = flowRecordV1({ flowId: 40 });
        const body = new Encoder({ useRecords: true, mapsAsObjects: true }).encode(
          { ...flowBatch([], { seq: 30, v: 1 }), records: [v1] },
        );
        const res = await app.request(INGEST, cborRequest(body));
        assert.equal(res.status, 200, await res.clone().text());
        const [row] = (await (await app.request(API, { headers })).json()).rows;
        const zeros = Object.fromEntries(
          FLOW_FIELDS.filter((f) => f.since === 2 && f.kind !== "op").map((f) => [f.key, 0]),
        );
        assert.deepEqual(wireView(row), {
          ...zeros,
          ...v1,
          duration: v1.endTime - v1.startTime,
          isNewFlow: 1,
          observationPoint: "rest",
          appliance: appliance.applianceId,
        });
      });

      await t.step("a flow's per-minute records are rows of their own", async () => {
        await reset();
        const minute = 60_000_000;
        const first = flowRecord({ flowId: 7, closeType: 0 });
        const records = [
          first,
          flowRecord({
            flowId: 7,
            startTime: first.startTime + minute,
            endTime: first.startTime + minute + 500,
            duration: minute + 500,
            isNewFlow: 0,
            closeType: CloseType.ServerRst,
            rtt: 0,
            rttClient: 0,
            rttServer: 0,
          }),
        ];
        const res = await app.request(INGEST, cborRequest(flowBatch(records, { seq: 31 })));
        assert.equal(res.status, 200, await res.clone().text());
        const api = await (await app.request(API, { headers })).json();
        assert.deepEqual(
          api.rows.map((r: FlowRecord) => [r.flowId, r.isNewFlow, r.closeType, r.duration]),
          [[7, 0, CloseType.ServerRst, minute + 500], [7, 1, 0, first.duration]],
          "newest first",
        );
      });

      await t.step("v2 fields are validated, the message naming the field", async () => {
        const cases: [Partial<FlowRecord>, RegExp][] = [
          [{ closeType: 4 }, /records\[0\]\.closeType: unknown close type 4/],
          [
            { observationPoint: "x" },
            /records\[0\]\.observationPoint: expected an observation point/,
          ],
          [{ isNewFlow: 2 }, /records\[0\]\.isNewFlow: out of range \(at most 1\)/],
          [{ synSeq: 2 ** 32 }, /records\[0\]\.synSeq: out of range/],
          [{ rttClient: -1 }, /records\[0\]\.rttClient: expected a non-negative integer/],
        ];
        for (const [over, message] of cases) {
          const res = await app.request(
            INGEST,
            cborRequest(flowBatch([flowRecord(over)], { seq: 32 })),
          );
          assert.equal(res.status, 422);
          assert.match((await res.json()).error, message);
        }
        const { rtt: _, ...withoutRtt } = flowRecord();
        const missing = await app.request(
          INGEST,
          cborRequest(
            new Encoder({ mapsAsObjects: true }).encode(
              flowBatch([withoutRtt as FlowRecord], { seq: 33 }),
            ),
          ),
        );
        assert.equal(missing.status, 422);
        assert.match((await missing.json()).error, /records\[0\]\.rtt: missing/);
      });

      await t.step(
        "flow_log has a column for every wire field, with DESIGN §7's name",
        async () => {
          const columns = await database.rows<{ name: string }>(sql`
          select column_name as name from information_schema.columns
          where table_name = 'flow_log' and table_schema = current_schema()`);
          const names = new Set(columns.map((c) => c.name));
          const missing = FLOW_FIELDS.filter((f) => !names.has(f.column)).map((f) => f.column);
          assert.deepEqual(missing, []);
        },
      );

      await t.step("filters: ip, CIDR, port, protocol, time range and paging", async () => {
        await reset();
        const base = Date.UTC(2026, 10, 25, 10, 0, 0) * 1000;
        const records = Array.from({ length: 120 }, (_, i) =>
          flowRecord({
            flowId: i + 1,
            startTime: base + i * 30_000_000,
            endTime: base + i * 30_000_000 + 1000,
            ip0: `10.0.${i % 3}.${i + 1}`,
            serverPort: i % 2 === 0 ? 80 : 443,
            protocol: i % 10 === 0 ? 17 : 6,
            byteTx: 100,
            byteRx: 900,
          }));
        const res = await app.request(INGEST, cborRequest(flowBatch(records, { seq: 20 })));
        assert.equal(res.status, 200);
        const total = async (qs: string) => {
          const r = await app.request(`http://manager/api/v1/flows?${qs}`, { headers });
          assert.equal(r.status, 200, await r.clone().text());
          return (await r.json()).total as number;
        };
        assert.equal(await total(""), 120);
        assert.equal(await total("ip=10.0.1.2"), 1);
        assert.equal(await total("ip=10.0.1.0/24"), 40);
        assert.equal(await total("ip=10.2.0.80"), 120);
        assert.equal(await total("port=443"), 60);
        assert.equal(await total("protocol=udp"), 12);
        assert.equal(await total("protocol=6&port=80"), 48);
        // 30 s apart: 10:00:00 … 10:59:30; [10:10, 10:20) holds 20 flows.
        assert.equal(await total("from=2026-11-25T10:10&to=2026-11-25T10:20"), 20);
        const page3 =
          await (await app.request("http://manager/api/v1/flows?page=3&pageSize=50", { headers }))
            .json();
        assert.equal(page3.rows.length, 20);
        assert.equal(page3.rows[0].flowId, 20, "newest first: page 3 starts at the 101st newest");
        const bad = await app.request("http://manager/api/v1/flows?ip=10.0.0.300&port=x", {
          headers,
        });
        assert.equal(bad.status, 400);
        assert.match((await bad.json()).error, /ip: .*not an IPv4 or IPv6 address.*port:/);
      });
    } finally {
      await tdb.dispose();
    }
  });
}
