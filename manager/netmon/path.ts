// Path analysis: one flow, or one client → server pair, at each observation point it crossed, in
// path order (c → c-nd → … → s), with the change of every metric from the previous point — where
// bytes go missing, where retransmissions appear, how the RTT splits.
import { sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import { type FlowHop, HOP_METRICS, type HopMetric, pathRank } from "./flows.ts";
import { traceNat } from "./nat.ts";
import type { TimeRange } from "./params.ts";

export interface PathStep {
  /** `appliance#nic`: the capture point. */
  point: string;
  appliance: string;
  captureNic: number;
  observationPoint: string;
  /** Addresses at this point (a pair view shows the pair). */
  ip0: string;
  clientPort?: number;
  ip1: string;
  serverPort?: number;
  /** The flow at this point, for a flow view. */
  ref?: string;
  metrics: Record<HopMetric, number>;
  /** This step's metrics minus the previous step's; undefined on the first. */
  delta?: Record<HopMetric, number>;
}

export interface PathResult {
  kind: "flow" | "pair";
  steps: PathStep[];
  /** Flow view: whether NAT tracing found the flow elsewhere. */
  confident?: boolean;
}

function withDeltas(steps: PathStep[]): PathStep[] {
  return steps.map((step, i) => {
    const prev = steps[i - 1];
    if (!prev) return step;
    const delta = Object.fromEntries(
      HOP_METRICS.map((k) => [k, step.metrics[k] - prev.metrics[k]]),
    ) as Record<HopMetric, number>;
    return { ...step, delta };
  });
}

function stepOf(hop: FlowHop): PathStep {
  return {
    point: `${hop.appliance}#${hop.captureNic}`,
    appliance: hop.appliance,
    captureNic: hop.captureNic,
    observationPoint: hop.observationPoint,
    ip0: hop.ip0,
    clientPort: hop.clientPort,
    ip1: hop.ip1,
    serverPort: hop.serverPort,
    ref: hop.ref,
    metrics: hop.metrics,
  };
}

/** A flow's path: the flow and its NAT-traced counterparts (normal strictness). */
export async function pathOfFlow(database: Database, origin: FlowHop): Promise<PathResult> {
  const trace = await traceNat(database, origin, { strictness: "normal" });
  return { kind: "flow", steps: withDeltas(trace.chain.map(stepOf)), confident: trace.confident };
}

export interface Pair {
  client: string;
  server: string;
  port?: number;
}

const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/** A client → server pair's path over a range, from the per-minute metrics. */
export async function pathOfPair(
  database: Database,
  pair: Pair,
  range: TimeRange,
): Promise<PathResult> {
  const rows = await database.rows<Record<string, unknown>>(sql`
    select appliance_id, capture_nic, observation_point,
      sum(byte_tx) as byte_tx, sum(byte_rx) as byte_rx, sum(packet_tx) as packet_tx,
      sum(packet_rx) as packet_rx, sum(retrans_tx) as retrans_tx, sum(retrans_rx) as retrans_rx,
      sum(zero_win_tx + zero_win_rx) as zero_win,
      coalesce(sum(rtt_sum)::float8 / nullif(sum(rtt_count), 0), 0) as rtt,
      coalesce(sum(rtt_client_sum)::float8 / nullif(sum(rtt_client_count), 0), 0) as rtt_client,
      coalesce(sum(rtt_server_sum)::float8 / nullif(sum(rtt_server_count), 0), 0) as rtt_server,
      coalesce(sum(srt_sum)::float8 / nullif(sum(srt_count), 0), 0) as srt,
      coalesce(sum(art_sum)::float8 / nullif(sum(art_count), 0), 0) as art
    from network_metrics_1m
    where time >= ${new Date(range.fromMs).toISOString()}::timestamptz
      and time < ${new Date(range.toMs).toISOString()}::timestamptz
      and ip_0 = ${pair.client}::inet and ip_1 = ${pair.server}::inet
      ${pair.port === undefined ? sql`` : sql`and server_port = ${pair.port}`}
    group by 1, 2, 3`);
  const steps: PathStep[] = rows.map((r) => ({
    point: `${r.appliance_id}#${r.capture_nic}`,
    appliance: String(r.appliance_id),
    captureNic: n(r.capture_nic),
    observationPoint: String(r.observation_point),
    ip0: pair.client,
    ip1: pair.server,
    serverPort: pair.port,
    metrics: {
      byteTx: n(r.byte_tx),
      byteRx: n(r.byte_rx),
      packetTx: n(r.packet_tx),
      packetRx: n(r.packet_rx),
      retransTx: n(r.retrans_tx),
      retransRx: n(r.retrans_rx),
      zeroWin: n(r.zero_win),
      rtt: n(r.rtt),
      rttClient: n(r.rtt_client),
      rttServer: n(r.rtt_server),
      srt: n(r.srt),
      art: n(r.art),
    },
  }));
  steps.sort((a, b) =>
    pathRank(a.observationPoint) - pathRank(b.observationPoint) || a.point.localeCompare(b.point)
  );
  return { kind: "pair", steps: withDeltas(steps) };
}
