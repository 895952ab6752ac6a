// DB monitoring over request_log (issue #8): normalized statements ranked by count, total time,
// p99 and errors; per-database and per-client breakdowns; the slowest statements. Only rows of
// database protocols (DESIGN §1), of those the user may see.
import { sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import type { RequestFilters, TimeRange } from "./params.ts";
import { CLIENT_SQL, SERVICE_SQL } from "./red.ts";
import { type RequestRowOut, requestWhere, searchRequests, type Visibility } from "./search.ts";

const DB_PROTOCOLS = sql.raw(`l7_protocol between 60 and 68 or l7_protocol between 80 and 82`);

export const STATEMENT_SORTS = {
  count: "requests",
  total: "total_us",
  p99: "p99",
  errors: "errors",
} as const;
export type StatementSort = keyof typeof STATEMENT_SORTS;

export function isStatementSort(x: string): x is StatementSort {
  return Object.hasOwn(STATEMENT_SORTS, x);
}

/** The figures of one statement, database or client. */
export interface DbStats {
  requests: number;
  errors: number;
  /** µs, over statements that got a response. */
  totalUs: number;
  avgUs: number;
  p99: number;
  maxUs: number;
  affectedRows: number;
}

export interface StatementRow extends DbStats {
  l7Protocol: number;
  statement: string;
  /** One raw statement of the group, as an example. */
  sample: string;
}

export interface BreakdownRow extends DbStats {
  key: string;
}

export interface DbResult {
  statements: StatementRow[];
  databases: BreakdownRow[];
  clients: BreakdownRow[];
  slow: RequestRowOut[];
  total: DbStats;
}

const STATS = sql.raw(`count(*) as requests,
  count(*) filter (where response_status in (3, 4)) as errors,
  coalesce(sum(response_duration) filter (where type = 2), 0) as total_us,
  coalesce(avg(response_duration) filter (where type = 2), 0) as avg_us,
  coalesce(percentile_cont(0.99) within group (order by response_duration) filter (where type = 2), 0) as p99,
  coalesce(max(response_duration) filter (where type = 2), 0) as max_us,
  coalesce(sum(sql_affected_rows), 0) as affected`);

function statsOf(r: Record<string, unknown>): DbStats {
  return {
    requests: Number(r.requests ?? 0),
    errors: Number(r.errors ?? 0),
    totalUs: Number(r.total_us ?? 0),
    avgUs: Number(r.avg_us ?? 0),
    p99: Number(r.p99 ?? 0),
    maxUs: Number(r.max_us ?? 0),
    affectedRows: Number(r.affected ?? 0),
  };
}

export interface DbOptions {
  range: TimeRange;
  visible: Visibility;
  sort: StatementSort;
  top: number;
}

/** Every DB view of the range in one go. */
export async function queryDb(
  database: Database,
  filters: RequestFilters,
  options: DbOptions,
): Promise<DbResult> {
  const where = sql`${requestWhere(filters, options.range, options.visible)} and (${DB_PROTOCOLS})`;
  const order = sql.raw(`${STATEMENT_SORTS[options.sort]} desc, 1, 2`);
  const statements = await database.rows<Record<string, unknown>>(
    sql`select * from (select l7_protocol, coalesce(nullif(normalized_statement, ''), request_type)
          as statement, min(request_resource) as sample, ${STATS}
        from request_log where ${where} group by 1, 2) g
        order by ${order} limit ${options.top}`,
  );
  const breakdown = async (key: typeof SERVICE_SQL) =>
    (await database.rows<Record<string, unknown>>(
      sql`select * from (select ${key} as key, ${STATS} from request_log where ${where}
          group by 1) g order by requests desc, key limit ${options.top}`,
    )).map((r) => ({ key: String(r.key), ...statsOf(r) }));
  const databases = await breakdown(
    sql`case when request_domain = '' then ${SERVICE_SQL} else request_domain || ' @ ' || ${SERVICE_SQL} end`,
  );
  const clients = await breakdown(CLIENT_SQL);
  const [all] = await database.rows<Record<string, unknown>>(
    sql`select ${STATS} from request_log where ${where}`,
  );
  const slow = await searchRequests(
    database,
    { ...filters, sort: "duration", desc: true, page: 1 },
    {
      range: options.range,
      visible: sql`${options.visible} and (${DB_PROTOCOLS}) and type = 2`,
      pageSize: options.top,
    },
  );
  return {
    statements: statements.map((r) => ({
      l7Protocol: Number(r.l7_protocol),
      statement: String(r.statement),
      sample: String(r.sample ?? ""),
      ...statsOf(r),
    })),
    databases,
    clients,
    slow: slow.rows,
    total: statsOf(all ?? {}),
  };
}
