import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openTestDatabase, testEngines } from "../../tests/support/db.ts";
import { PartitionManager, partitionName } from "./mod.ts";
import { applyRetention } from "./retention.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 25, 15, 0, 0);

for (const engine of testEngines()) {
  Deno.test(`applyRetention() (${engine}) drops whole partitions by age, then by size`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const partitions = new PartitionManager(database);
    const today = Date.UTC(2026, 10, 25);
    const days = [-40, -31, -29, -3, -2, -1, 0, 1, 2].map((d) => today + d * DAY);
    const names = (table: "flow_log" | "appliance_event") => partitions.list(table);
    try {
      await partitions.ensure("flow_log", days);
      await partitions.ensure("appliance_event", [today - 100 * DAY, today - 10 * DAY]);
      // Some rows in the older days so that their size differs from an empty partition's.
      for (const day of days.slice(0, 6)) {
        await database.rows(sql`
          insert into flow_log (appliance_id, time, flow_id, start_time, end_time, duration,
            ip_version, ip_0, ip_1, client_port, server_port, protocol, vlan, packet_tx,
            packet_rx, byte_tx, byte_rx, tcp_flags_bit_0, tcp_flags_bit_1)
          select 'a', ${new Date(day + 3600_000).toISOString()}::timestamptz, g, 0, 0, 0, 4,
            '10.0.0.1', '10.0.0.2', 1, 2, 6, 0, 1, 1, 1, 1, 0, 0
          from generate_series(1, 2000) g`);
      }
      await database.rows(sql`insert into ingest_batch (appliance_id, stream, seq, records,
        received_at) values ('a', 'flows', 1, 1, ${new Date(NOW - 8 * DAY).toISOString()}),
        ('a', 'flows', 2, 1, ${new Date(NOW - DAY).toISOString()})`);

      await t.step("by age: partitions that ended more than N days ago", async () => {
        const report = await applyRetention(database, {
          flow_log: { days: 30, bytes: 0 },
          appliance_event: { days: 90, bytes: 0 },
        }, { nowMs: NOW, partitions });
        assert.deepEqual(report.dropped.map((d) => [d.partition, d.reason]), [
          [partitionName("flow_log", today - 40 * DAY), "age"],
          [partitionName("flow_log", today - 31 * DAY), "age"],
          [partitionName("appliance_event", today - 100 * DAY), "age"],
        ]);
        assert.equal((await names("flow_log")).length, 7);
        assert.deepEqual(await names("appliance_event"), [
          partitionName("appliance_event", today - 10 * DAY),
        ]);
        assert.equal(report.seqsPruned, 1, "seqs older than 7 days are forgotten");
      });

      await t.step("by size: oldest first, never today or the days ahead", async () => {
        const before = await applyRetention(database, {}, { nowMs: NOW });
        assert.deepEqual(before.dropped, [], "the defaults (30 / 90 days) drop nothing more");
        const total = before.bytes.flow_log!;
        const report = await applyRetention(database, {
          flow_log: { days: 0, bytes: total - 1 },
        }, { nowMs: NOW, partitions });
        assert.deepEqual(report.dropped.map((d) => [d.partition, d.reason]), [
          [partitionName("flow_log", today - 29 * DAY), "size"],
        ]);
        assert.ok(report.bytes.flow_log! <= total - 1);
        const tiny = await applyRetention(database, { flow_log: { days: 0, bytes: 1 } }, {
          nowMs: NOW,
          partitions,
        });
        assert.deepEqual(
          await names("flow_log"),
          [0, 1, 2].map((d) => partitionName("flow_log", today + d * DAY)),
        );
        assert.equal(tiny.dropped.length, 3);
      });

      await t.step("a dropped day is created again when data for it arrives", async () => {
        await partitions.ensure("flow_log", [today - 40 * DAY]);
        assert.ok((await names("flow_log")).includes(partitionName("flow_log", today - 40 * DAY)));
      });
    } finally {
      await tdb.dispose();
    }
  });
}
