import type { FlowBatch, FlowRecord } from "../../appliance/wire/mod.ts";
import { type Database, flowLog, ingestBatch, type PartitionManager } from "../db/mod.ts";

/** Rows per INSERT statement: 20 columns × 1000 stays well under PostgreSQL's 65535 parameters. */
const CHUNK = 1000;

export interface IngestResult {
  acked: number;
  stored: number;
  duplicate: boolean;
}

function toRow(applianceId: string, r: FlowRecord): typeof flowLog.$inferInsert {
  return {
    applianceId,
    time: new Date(Math.floor(r.startTime / 1_000_000) * 1000),
    flowId: r.flowId,
    startTime: r.startTime,
    endTime: r.endTime,
    duration: r.endTime - r.startTime,
    ipVersion: r.ipVersion,
    ip0: r.ip0,
    ip1: r.ip1,
    clientPort: r.clientPort,
    serverPort: r.serverPort,
    protocol: r.protocol,
    vlan: r.vlan,
    packetTx: r.packetTx,
    packetRx: r.packetRx,
    byteTx: r.byteTx,
    byteRx: r.byteRx,
    tcpFlagsBit0: r.tcpFlagsBit0,
    tcpFlagsBit1: r.tcpFlagsBit1,
  };
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
