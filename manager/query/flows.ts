import { and, count, desc, eq, gte, lt, max, min, or, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { FLOW_FIELDS, type FlowRecord } from "../../appliance/wire/mod.ts";
import { type Database, flowLog } from "../db/mod.ts";
import { markPcap } from "../pcap/mod.ts";
import type { FlowQuery } from "./filters.ts";
import type { SearchClause } from "./search.ts";

/** The AutoTagging columns of a row (client `…0`, server `…1`). */
export interface FlowTagsOut {
  region0: string;
  vpc0: string;
  subnet0: string;
  subnetId0: number;
  host0: string;
  service0: string;
  podNs0: string;
  pod0: string;
  labels0: Record<string, string>;
  region1: string;
  vpc1: string;
  subnet1: string;
  subnetId1: number;
  host1: string;
  service1: string;
  podNs1: string;
  pod1: string;
  labels1: Record<string, string>;
}

/**
 * One flow-log row: the appliance's record (wire names), the appliance that sent it, its tags,
 * and its key (`appliance`, `time` in ms, `id`), which {@link queryFlowRow} looks up.
 */
export type FlowRowOut =
  & FlowRecord
  & FlowTagsOut
  & { appliance: string; id: number; time: number }
  & {
    /** Whether an appliance stored packets of the flow (PCAP policies), and which policies. */
    hasPcap?: boolean;
    pcapPolicies?: string[];
  };

export const TAG_KEYS: readonly (keyof FlowTagsOut)[] = [
  "region0",
  "vpc0",
  "subnet0",
  "subnetId0",
  "host0",
  "service0",
  "podNs0",
  "pod0",
  "labels0",
  "region1",
  "vpc1",
  "subnet1",
  "subnetId1",
  "host1",
  "service1",
  "podNs1",
  "pod1",
  "labels1",
];

/** Every record column under its wire name, plus the appliance, key and tags. */
export const ROW_COLUMNS: Record<string, PgColumn> = {
  id: flowLog.id,
  time: flowLog.time,
  appliance: flowLog.applianceId,
  ...Object.fromEntries(FLOW_FIELDS.map(({ key }) => [key, flowLog[key]])),
  ...Object.fromEntries(TAG_KEYS.map((key) => [key, flowLog[key]])),
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

/** A search clause as SQL over `table` (flow_log, or request_log for its tag columns). */
export function searchClauseSql(c: SearchClause, table = "flow_log"): SQL {
  const col = sql.raw(`"${table}"."${c.field.column}"`);
  const ops = { "=": "=", "!=": "<>", ">": ">", ">=": ">=", "<": "<", "<=": "<=", "~": "" };
  if (c.field.type === "ip") {
    const inside = sql`${col} <<= ${c.value}::inet`;
    return c.op === "=" ? inside : sql`not (${inside})`;
  }
  if (c.field.type === "time") {
    return sql`${col} ${sql.raw(ops[c.op])} ${
      new Date(c.value as number).toISOString()
    }::timestamptz`;
  }
  const target = c.field.type === "labels" ? sql`coalesce(${col} ->> ${c.labelKey!}, '')` : col;
  if (c.op === "~") {
    const pattern = `%${String(c.value).replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    return sql`${target} ilike ${pattern}`;
  }
  return sql`${target} ${sql.raw(ops[c.op])} ${c.value}`;
}

export function conditions(q: FlowQuery): SQL | undefined {
  const parts: (SQL | undefined)[] = [];
  for (const clause of q.search ?? []) parts.push(searchClauseSql(clause));
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

export function stripHostPrefix(addr: string): string {
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
    rows: await markPcap(database, (rows as unknown as FlowRowOut[]).map(outRow)),
  };
}

/** A selected row as the UI and the API show it. */
export function outRow(r: FlowRowOut): FlowRowOut {
  return {
    ...r,
    time: new Date(r.time).getTime(),
    ip0: stripHostPrefix(r.ip0),
    ip1: stripHostPrefix(r.ip1),
  };
}

/** The key of a row in URLs: `appliance:timeMs:id`. */
export function flowKey(r: { appliance: string; time: number; id: number }): string {
  return `${r.appliance}:${r.time}:${r.id}`;
}

/** One row by its key (see {@link flowKey}), or undefined. */
export async function queryFlowRow(
  database: Database,
  key: string,
): Promise<FlowRowOut | undefined> {
  const m = /^(.{1,200}):(\d{1,15}):(\d{1,18})$/.exec(key);
  if (!m) return undefined;
  const [, appliance, time, id] = m as unknown as [string, string, string, string];
  const [row] = await database.db.select(ROW_COLUMNS).from(flowLog).where(and(
    eq(flowLog.applianceId, appliance),
    eq(flowLog.time, new Date(Number(time))),
    eq(flowLog.id, Number(id)),
  ));
  return row ? (await markPcap(database, [outRow(row as unknown as FlowRowOut)]))[0] : undefined;
}
