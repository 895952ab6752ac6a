import { and, count, desc, eq, gte, lt, max, min, or, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { FLOW_FIELDS, type FlowRecord } from "../../appliance/wire/mod.ts";
import { type Database, flowLog } from "../db/mod.ts";
import type { FlowQuery } from "./filters.ts";

/** One flow-log row: the appliance's record (wire names) and the appliance that sent it. */
export type FlowRowOut = FlowRecord & { appliance: string };

/** Every record column under its wire name, plus the appliance. */
const ROW_COLUMNS: Record<string, PgColumn> = {
  ...Object.fromEntries(FLOW_FIELDS.map(({ key }) => [key, flowLog[key]])),
  appliance: flowLog.applianceId,
};

export interface ChartBucket {
  /** Start of the bucket, ms since the epoch. */
  minute: number;
  bytes: number;
}

export interface FlowPage {
  rows: FlowRowOut[];
  total: number;
  chart: ChartBucket[];
  /** Width of a chart bucket: 60 s, wider only when the range has more minutes than fit. */
  bucketSeconds: number;
}

/** Most bars the chart draws; beyond that a bucket spans several minutes. */
const MAX_BUCKETS = 240;
const NICE_MINUTES = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 10080];

export function bucketSecondsFor(spanMs: number): number {
  const minutes = Math.ceil(spanMs / 60_000 / MAX_BUCKETS);
  const nice = NICE_MINUTES.find((m) => m >= minutes) ??
    Math.ceil(minutes / 10080) * 10080;
  return nice * 60;
}

function conditions(q: FlowQuery): SQL | undefined {
  const parts: (SQL | undefined)[] = [];
  if (q.ip !== undefined) {
    parts.push(sql`(${flowLog.ip0} <<= ${q.ip}::inet or ${flowLog.ip1} <<= ${q.ip}::inet)`);
  }
  if (q.port !== undefined) {
    parts.push(or(eq(flowLog.clientPort, q.port), eq(flowLog.serverPort, q.port)));
  }
  if (q.protocol !== undefined) parts.push(eq(flowLog.protocol, q.protocol));
  if (q.fromMs !== undefined) parts.push(gte(flowLog.time, new Date(q.fromMs)));
  if (q.toMs !== undefined) parts.push(lt(flowLog.time, new Date(q.toMs)));
  return and(...parts);
}

function stripHostPrefix(addr: string): string {
  // inet renders a host address without /32 or /128, but be robust to drivers that keep it.
  return addr.replace(/\/(32|128)$/, "");
}

/** One page of flows (newest first), the total, and bytes over time, all under one filter. */
export async function queryFlows(database: Database, q: FlowQuery): Promise<FlowPage> {
  const where = conditions(q);
  const { db } = database;
  const [summary] = await db
    .select({ total: count(), first: min(flowLog.time), last: max(flowLog.time) })
    .from(flowLog)
    .where(where);
  const total = Number(summary?.total ?? 0);
  const rows = total === 0 ? [] : await db
    .select(ROW_COLUMNS)
    .from(flowLog)
    .where(where)
    .orderBy(desc(flowLog.startTime), desc(flowLog.id))
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize);

  let chart: ChartBucket[] = [];
  let bucketSeconds = 60;
  if (total > 0 && summary?.first && summary.last) {
    const first = new Date(summary.first).getTime();
    const last = new Date(summary.last).getTime();
    bucketSeconds = bucketSecondsFor(last - first);
    const bucket =
      sql`date_bin(${`${bucketSeconds} seconds`}::interval, ${flowLog.time}, timestamptz '2000-01-01')`;
    const buckets = await database.rows<{ bucket: string | Date; bytes: string | number }>(sql`
      select ${bucket} as bucket, sum(${flowLog.byteTx} + ${flowLog.byteRx}) as bytes
      from ${flowLog} ${where ? sql`where ${where}` : sql``}
      group by 1 order by 1`);
    chart = buckets.map((b) => ({ minute: new Date(b.bucket).getTime(), bytes: Number(b.bytes) }));
  }
  return {
    total,
    bucketSeconds,
    chart,
    rows: (rows as unknown as FlowRowOut[]).map((r) => ({
      ...r,
      ip0: stripHostPrefix(r.ip0),
      ip1: stripHostPrefix(r.ip1),
    })),
  };
}
