/**
 * The NAT scenario's flows in a manager database, for the network-monitoring tests: each capture
 * point's file is run through the appliance's pipeline, its records tagged with the point's
 * capture NIC and observation point (a replayed pcap carries neither) and written to flow_log.
 *
 * ```ts
 * const scenario = generateNatScenario({ start: Date.UTC(2026, 0, 1) });
 * const records = natRecords(scenario);
 * await storeFlowRecords(database, "npb-1", records);
 * await rollupRange(database, { fromMs, toMs });
 * ```
 */
import { openCapture } from "../../appliance/capture/mod.ts";
import { buildFlows } from "../../appliance/pipeline.ts";
import { FLOW_FIELDS, type FlowRecord } from "../../appliance/wire/mod.ts";
import { type Database, flowLog, PartitionManager } from "../../manager/db/mod.ts";
import { type NatScenario, tagRecords } from "../tools/_nat.ts";

/** The records each capture point's appliance would report, tagged with their capture point. */
export function natRecords(scenario: NatScenario): FlowRecord[] {
  return scenario.points.flatMap((point) =>
    tagRecords(
      buildFlows(openCapture(point.pcap), { observationPoint: point.observationPoint }).records,
      point,
    )
  );
}

/** Writes `records` to flow_log as `appliance` reported them (partitions created first). */
export async function storeFlowRecords(
  database: Database,
  appliance: string,
  records: FlowRecord[],
): Promise<void> {
  await new PartitionManager(database).ensure("flow_log", records.map((r) => r.startTime / 1000));
  const rows = records.map((r) => ({
    ...Object.fromEntries(FLOW_FIELDS.map(({ key }) => [key, r[key]])),
    applianceId: appliance,
    time: new Date(Math.floor(r.startTime / 1_000_000) * 1000),
  })) as (typeof flowLog.$inferInsert)[];
  await database.db.insert(flowLog).values(rows);
}
