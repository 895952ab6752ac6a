/**
 * Flow-log rows written straight into a manager's PGlite folder before it starts (the folder is
 * locked while a manager runs), for browser tests whose subject is the read side: they do not
 * depend on enrollment and ingest. Rows are untagged (as if stored before the inventory existed)
 * unless a tagger's `tagRow` is given.
 */
import { FLOW_FIELDS, type FlowRecord } from "../../appliance/wire/mod.ts";
import { flowLog, migrate, openDatabase, PartitionManager } from "../../manager/db/mod.ts";
import { flowRecord } from "./flows.ts";

/** `count` TCP flows from 192.168.1.x to two servers over the last `count` minutes. */
export function seedRecords(count: number, nowMs = Date.now()): FlowRecord[] {
  const records: FlowRecord[] = [];
  for (let i = 0; i < count; i++) {
    const start = (nowMs - (i + 1) * 60_000) * 1000;
    const toCheckout = i % 3 === 0;
    records.push(flowRecord({
      flowId: 1000 + i,
      startTime: start,
      endTime: start + 2_000_000,
      ip0: `192.168.1.${(i % 250) + 1}`,
      ip1: toCheckout ? "10.2.0.80" : "10.2.0.90",
      serverPort: toCheckout ? 443 : 80,
      byteTx: 1000 + i * 10,
    }));
  }
  return records;
}

/** A tagger's `tagRow` (manager/inventory), to store rows tagged as ingest would. */
type TagRow = (row: {
  ip0: string;
  ip1: string;
  clientPort: number;
  serverPort: number;
  protocol: number;
}) => unknown;

export async function seedFlows(
  dataDir: string,
  records: FlowRecord[],
  options: { appliance?: string; tagRow?: TagRow } = {},
): Promise<void> {
  const database = await openDatabase({ dataDir });
  try {
    await migrate(database);
    const rows = records.map((r) => ({
      ...Object.fromEntries(FLOW_FIELDS.map(({ key }) => [key, r[key]])) as unknown as FlowRecord,
      applianceId: options.appliance ?? "seed-box",
      time: new Date(Math.floor(r.startTime / 1_000_000) * 1000),
    }));
    if (options.tagRow) { for (const row of rows) options.tagRow(row); }
    await new PartitionManager(database).ensure("flow_log", rows.map((r) => r.time.getTime()));
    for (let i = 0; i < rows.length; i += 500) {
      await database.db.insert(flowLog).values(rows.slice(i, i + 500));
    }
  } finally {
    await database.close();
  }
}
