// Re-tagging the flow logs and request logs of the last N hours after the inventory changed: a
// background job that walks the range in time slices (newest first: the rows people look at), and
// per slice, table and side updates each distinct (address, port, protocol) once, so the work
// grows with the number of endpoints, not of rows. After a slice, `afterSlice` lets what is
// derived from flow_log's tags (the network metrics rollup) follow. Progress is kept for the
// inventory page to poll.
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import type { Tagger, Tags } from "./tagger.ts";

export interface RetagProgress {
  id: number;
  hours: number;
  state: "running" | "done" | "failed";
  startedAt: number;
  finishedAt?: number;
  slicesDone: number;
  slicesTotal: number;
  /** flow_log rows updated (server side counted once per row). */
  rowsUpdated: number;
  /** request_log rows updated (likewise). */
  requestRowsUpdated: number;
  error?: string;
}

/** The tables whose `<tag>_0/_1` columns the job rewrites (same tag columns, same endpoints). */
export const RETAG_TABLES = ["flow_log", "request_log"] as const;
export type RetagTable = typeof RETAG_TABLES[number];

export interface RetaggerOptions {
  /** Called after each slice of flow_log was re-tagged, with its range (ms, [from, to)). */
  afterSlice?: (range: { fromMs: number; toMs: number }) => Promise<void>;
}

export interface RetagOptions {
  hours: number;
  /** End of the range (ms); now by default. */
  nowMs?: number;
  /** Width of one slice, ms (10 minutes by default). */
  sliceMs?: number;
}

/** Distinct endpoints per UPDATE statement (13 parameters each, under PostgreSQL's 65535). */
const ENDPOINTS_PER_UPDATE = 500;

interface Endpoint {
  ip: string;
  port: number;
  protocol: number;
}

async function endpoints(
  database: Database,
  where: { table: RetagTable; side: 0 | 1 },
  from: Date,
  to: Date,
): Promise<Endpoint[]> {
  const { table, side } = where;
  const ip = sql.raw(`ip_${side}`);
  const port = sql.raw(side === 0 ? "client_port" : "server_port");
  const rows = await database.rows<{ ip: string; port: number; protocol: number }>(sql`
    select distinct host(${ip}) as ip, ${port} as port, protocol from ${sql.raw(table)}
    where time >= ${from.toISOString()}::timestamptz and time < ${to.toISOString()}::timestamptz`);
  return rows.map((r) => ({ ip: r.ip, port: Number(r.port), protocol: Number(r.protocol) }));
}

function updateStatement(
  where: { table: RetagTable; side: 0 | 1; from: Date; to: Date },
  batch: [Endpoint, Tags][],
): SQL {
  const { table, side, from, to } = where;
  const values = sql.join(
    batch.map(([e, t]) =>
      sql`(${e.ip}::inet, ${e.port}::int, ${e.protocol}::int, ${t.region}, ${t.vpc}, ${t.subnet}, ${t.subnetId}::int, ${t.host}, ${t.service}, ${t.podNs}, ${t.pod}, ${
        JSON.stringify(t.labels)
      }::jsonb)`
    ),
    sql`, `,
  );
  const n = String(side);
  const col = (name: string) => sql.raw(`"${name}_${n}"`);
  const ip = sql.raw(`f."ip_${n}"`);
  const port = sql.raw(side === 0 ? `f."client_port"` : `f."server_port"`);
  return sql`
    update ${sql.raw(table)} f set ${col("region")} = v.region, ${col("vpc")} = v.vpc,
      ${col("subnet")} = v.subnet, ${col("subnet_id")} = v.subnet_id, ${col("host")} = v.host,
      ${col("service")} = v.service, ${col("pod_ns")} = v.pod_ns, ${col("pod")} = v.pod,
      ${col("labels")} = v.labels
    from (values ${values}) as v(ip, port, protocol, region, vpc, subnet, subnet_id, host, service, pod_ns, pod, labels)
    where f.time >= ${from.toISOString()}::timestamptz and f.time < ${to.toISOString()}::timestamptz
      and ${ip} = v.ip and ${port} = v.port and f.protocol = v.protocol`;
}

function affected(result: unknown): number {
  const r = result as { count?: number; affectedRows?: number };
  return Number(r.count ?? r.affectedRows ?? 0);
}

/** Runs re-tag jobs one at a time and remembers the last one's progress. */
export class Retagger {
  #last: RetagProgress | undefined;
  #running: Promise<void> | undefined;
  #nextId = 1;

  constructor(
    readonly database: Database,
    readonly tagger: () => Promise<Tagger>,
    readonly options: RetaggerOptions = {},
  ) {}

  /** The running or last finished job. */
  progress(): RetagProgress | undefined {
    return this.#last ? { ...this.#last } : undefined;
  }

  /** Starts a job unless one is running (then returns that one's progress). */
  start(options: RetagOptions): RetagProgress {
    if (this.#running && this.#last?.state === "running") return this.progress()!;
    const now = options.nowMs ?? Date.now();
    const sliceMs = options.sliceMs ?? 600_000;
    const from = now - options.hours * 3_600_000;
    const slices = Math.max(1, Math.ceil((now - from) / sliceMs));
    const job: RetagProgress = {
      id: this.#nextId++,
      hours: options.hours,
      state: "running",
      startedAt: Date.now(),
      slicesDone: 0,
      slicesTotal: slices,
      rowsUpdated: 0,
      requestRowsUpdated: 0,
    };
    this.#last = job;
    this.#running = this.#run(job, from, now, sliceMs).finally(() => this.#running = undefined);
    return this.progress()!;
  }

  /** Resolves when the current job (if any) has finished. */
  async settled(): Promise<RetagProgress | undefined> {
    await this.#running;
    return this.progress();
  }

  async #run(job: RetagProgress, fromMs: number, toMs: number, sliceMs: number): Promise<void> {
    try {
      const tagger = await this.tagger();
      for (let end = toMs; end > fromMs; end -= sliceMs) {
        const from = new Date(Math.max(fromMs, end - sliceMs));
        const to = new Date(end === toMs ? end + 1 : end);
        for (const table of RETAG_TABLES) {
          for (const side of [0, 1] as const) {
            const list = await endpoints(this.database, { table, side }, from, to);
            for (let i = 0; i < list.length; i += ENDPOINTS_PER_UPDATE) {
              const batch = list.slice(i, i + ENDPOINTS_PER_UPDATE)
                .map((e) => [e, tagger.tag(e.ip, e.port, e.protocol)] as [Endpoint, Tags]);
              const result = await this.database.db.execute(
                updateStatement({ table, side, from, to }, batch),
              );
              if (side === 0) continue;
              if (table === "flow_log") job.rowsUpdated += affected(result);
              else job.requestRowsUpdated += affected(result);
            }
          }
        }
        await this.options.afterSlice?.({ fromMs: from.getTime(), toMs: to.getTime() });
        job.slicesDone++;
      }
      job.state = "done";
    } catch (err) {
      job.state = "failed";
      job.error = (err as Error).message;
    }
    job.finishedAt = Date.now();
  }
}
