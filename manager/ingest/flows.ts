import { FLOW_FIELDS, type FlowBatch, type FlowRecord } from "../../appliance/wire/mod.ts";
import { type Database, flowLog, ingestBatch, type PartitionManager } from "../db/mod.ts";

/** Rows per INSERT statement: 52 columns × 1000 stays under PostgreSQL's 65535 parameters. */
const CHUNK = 1000;

export interface IngestResult {
  acked: number;
  stored: number;
  duplicate: boolean;
}

/**
 * The row of a record: the flow_log columns carry the wire's names, so the record maps as it is
 * (a v1 record got the v2 defaults when the batch was validated, `appliance/wire`).
 */
function toRow(applianceId: string, r: FlowRecord): typeof flowLog.$inferInsert {
  const fields = Object.fromEntries(
    FLOW_FIELDS.map(({ key }) => [key, r[key]]),
  ) as unknown as FlowRecord;
  return { ...fields, applianceId, time: new Date(Math.floor(r.startTime / 1_000_000) * 1000) };
}

/**
 * Stores a validated flow batch and its sequence number in one transaction: either every record
 * and the seq are stored, or nothing is. A seq already stored is acknowledged without storing.
 */
export async function ingestFlows(
  database: Database,
  partitions: PartitionManager,
  batch: FlowBatch,
): Promise<IngestResult> {
  const rows = batch.records.map((r) => toRow(batch.appliance, r));
  // Partitions first, outside the transaction, so the partition cache never names a table
  // that a rolled-back transaction created.
  await partitions.ensure("flow_log", rows.map((r) => r.time.getTime()));
  return await database.db.transaction(async (tx) => {
    const claimed = await tx.insert(ingestBatch)
      .values({
        applianceId: batch.appliance,
        stream: batch.stream,
        seq: batch.seq,
        records: rows.length,
      })
      .onConflictDoNothing()
      .returning({ seq: ingestBatch.seq });
    if (claimed.length === 0) return { acked: batch.seq, stored: 0, duplicate: true };
    for (let i = 0; i < rows.length; i += CHUNK) {
      await tx.insert(flowLog).values(rows.slice(i, i + CHUNK));
    }
    return { acked: batch.seq, stored: rows.length, duplicate: false };
  });
}
