/**
 * `has_pcap` of flow-log rows, derived at query time: a row has packets when the appliance that
 * sent it reported (stream `pcap_index`) a stored flow with the same protocol and endpoints (in
 * either order) whose time range overlaps the row's, in a file it has not evicted since.
 *
 * Why at query time and not a flag in the flow record: a flow's packets are indexed when their
 * pcapng file is finished, after the minute's flow record may have left, and files are evicted
 * later still; a join reflects both, where a flag set at record time could only be stale.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";

/** The fields a flow-log row needs for the lookup. */
export interface FlowKeyFields {
  appliance: string;
  protocol: number;
  ip0: string;
  clientPort: number;
  ip1: string;
  serverPort: number;
  startTime: number;
  endTime: number;
}

export interface PcapMarks {
  hasPcap: boolean;
  /** Ids of the policies that kept packets of the flow. */
  pcapPolicies: string[];
}

/** The rows with `hasPcap` and `pcapPolicies` set; one query for all of them. */
export async function markPcap<T extends FlowKeyFields>(
  database: Database,
  rows: T[],
): Promise<(T & PcapMarks)[]> {
  if (rows.length === 0) return [];
  const values: SQL[] = rows.map((r, n) =>
    sql`(${n}::int, ${r.appliance}::text, ${r.protocol}::int, ${r.ip0}::inet, ${r.clientPort}::int, ${r.ip1}::inet, ${r.serverPort}::int, ${r.startTime}::bigint, ${r.endTime}::bigint)`
  );
  const found = await database.rows<{ n: number; policies: string[] | string }>(sql`
    select v.n, array_agg(distinct i.policy order by i.policy) as policies
    from (values ${sql.join(values, sql`, `)})
      as v(n, appliance, protocol, ip0, port0, ip1, port1, s, e)
    join pcap_index i on i.appliance_id = v.appliance and i.evicted = 0
      and i.protocol = v.protocol and i.start_time <= v.e and i.end_time >= v.s
      and ((i.ip_a = v.ip0 and i.port_a = v.port0 and i.ip_b = v.ip1 and i.port_b = v.port1)
        or (i.ip_a = v.ip1 and i.port_a = v.port1 and i.ip_b = v.ip0 and i.port_b = v.port0))
    where not exists (
      select 1 from pcap_index x where x.evicted = 1 and x.appliance_id = i.appliance_id
        and x.policy = i.policy and x.file_id = i.file_id)
    group by v.n`);
  const byRow = new Map<number, string[]>();
  for (const f of found) {
    // postgres.js gives text[] as an array; PGlite too; a driver that gives "{a,b}" is parsed.
    const list = Array.isArray(f.policies)
      ? f.policies
      : String(f.policies).replace(/^\{|\}$/g, "").split(",").filter((s) => s !== "");
    byRow.set(Number(f.n), list);
  }
  return rows.map((r, n) => {
    const policies = byRow.get(n) ?? [];
    return { ...r, hasPcap: policies.length > 0, pcapPolicies: policies };
  });
}
