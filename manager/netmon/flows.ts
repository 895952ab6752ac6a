// One flow as seen at one capture point ("a hop"): its flow_log rows folded into one summary.
// Shared by NAT tracing and path analysis.
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";

/** DESIGN §7 / REFERENCE §1.1: observation points in path order, client to server. */
export const PATH_ORDER = [
  "c-app",
  "c-p",
  "c",
  "c-nd",
  "c-hv",
  "c-gw-hv",
  "c-gw",
  "local",
  "rest",
  "s-gw",
  "s-gw-hv",
  "s-hv",
  "s-nd",
  "s",
  "s-p",
  "s-app",
  "app",
] as const;

export function pathRank(observationPoint: string): number {
  const i = (PATH_ORDER as readonly string[]).indexOf(observationPoint);
  return i < 0 ? PATH_ORDER.length : i;
}

/** The metrics compared between hops (path analysis deltas). */
export const HOP_METRICS = [
  "byteTx",
  "byteRx",
  "packetTx",
  "packetRx",
  "retransTx",
  "retransRx",
  "zeroWin",
  "rtt",
  "rttClient",
  "rttServer",
  "srt",
  "art",
] as const;
export type HopMetric = typeof HOP_METRICS[number];

export interface FlowHop {
  /** `appliance:timeMs:id` of the flow's first row (N2's flow-log links use it). */
  ref: string;
  appliance: string;
  captureNic: number;
  observationPoint: string;
  flowId: number;
  ip0: string;
  clientPort: number;
  ip1: string;
  serverPort: number;
  protocol: number;
  /** µs since the epoch. */
  startUs: number;
  endUs: number;
  synSeq: number;
  synAckSeq: number;
  keepaliveSeq: number;
  keepaliveAck: number;
  closeType: number;
  metrics: Record<HopMetric, number>;
}

/** The aggregate select of a hop over flow_log rows grouped by {@link HOP_GROUP}. */
const HOP_SELECT = sql.raw(`
  appliance_id, capture_nic, observation_point, flow_id, host(ip_0) as ip0, client_port,
  host(ip_1) as ip1, server_port, protocol,
  min(start_time) as start_us, max(end_time) as end_us,
  max(syn_seq) as syn_seq, max(syn_ack_seq) as syn_ack_seq,
  coalesce((array_agg(last_keepalive_seq order by time desc)
    filter (where last_keepalive_seq <> 0))[1], 0) as ka_seq,
  coalesce((array_agg(last_keepalive_ack order by time desc)
    filter (where last_keepalive_ack <> 0))[1], 0) as ka_ack,
  max(close_type) as close_type,
  (array_agg(time order by time, id))[1] as first_time, (array_agg(id order by time, id))[1] as first_id,
  sum(byte_tx) as byte_tx, sum(byte_rx) as byte_rx, sum(packet_tx) as packet_tx,
  sum(packet_rx) as packet_rx, sum(retrans_tx) as retrans_tx, sum(retrans_rx) as retrans_rx,
  sum(zero_win_tx + zero_win_rx) as zero_win, max(rtt) as rtt, max(rtt_client) as rtt_client,
  max(rtt_server) as rtt_server,
  coalesce(sum(srt_sum)::float8 / nullif(sum(srt_count), 0), 0) as srt,
  coalesce(sum(art_sum)::float8 / nullif(sum(art_count), 0), 0) as art`);
const HOP_GROUP = sql.raw(
  "appliance_id, capture_nic, observation_point, flow_id, ip_0, client_port, ip_1, server_port, protocol",
);

const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

function toHop(r: Record<string, unknown>): FlowHop {
  return {
    ref: `${r.appliance_id}:${new Date(r.first_time as string).getTime()}:${r.first_id}`,
    appliance: String(r.appliance_id),
    captureNic: n(r.capture_nic),
    observationPoint: String(r.observation_point),
    flowId: n(r.flow_id),
    ip0: String(r.ip0),
    clientPort: n(r.client_port),
    ip1: String(r.ip1),
    serverPort: n(r.server_port),
    protocol: n(r.protocol),
    startUs: n(r.start_us),
    endUs: n(r.end_us),
    synSeq: n(r.syn_seq),
    synAckSeq: n(r.syn_ack_seq),
    keepaliveSeq: n(r.ka_seq),
    keepaliveAck: n(r.ka_ack),
    closeType: n(r.close_type),
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
  };
}

/** Hops over the flow_log rows matching `where`. */
export async function loadHops(database: Database, where: SQL): Promise<FlowHop[]> {
  const rows = await database.rows<Record<string, unknown>>(
    sql`select ${HOP_SELECT} from flow_log where ${where} group by ${HOP_GROUP}`,
  );
  return rows.map(toHop);
}

/** A flow-log row's key as N2's links write it: `appliance:timeMs:id`. */
export interface FlowRef {
  appliance: string;
  timeMs: number;
  id: number;
}

export function parseFlowRef(text: string): FlowRef | undefined {
  const m = /^(.+):(\d{1,15}):(\d{1,18})$/.exec(text);
  if (!m) return undefined;
  return { appliance: m[1]!, timeMs: Number(m[2]), id: Number(m[3]) };
}

const HOUR_MS = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The whole flow a flow-log row belongs to, at its capture point; undefined if no such row. */
export async function hopOfRow(database: Database, ref: FlowRef): Promise<FlowHop | undefined> {
  const [row] = await database.rows<Record<string, unknown>>(sql`
    select appliance_id, capture_nic, flow_id, ip_0, client_port, ip_1, server_port, protocol
    from flow_log where appliance_id = ${ref.appliance} and id = ${ref.id}
      and time = ${iso(ref.timeMs)}::timestamptz`);
  if (!row) return undefined;
  // A flow's rows are one per minute; flow ids restart with the appliance, so stay near the row.
  const [hop] = await loadHops(
    database,
    sql`appliance_id = ${ref.appliance} and capture_nic = ${row.capture_nic}
      and flow_id = ${row.flow_id} and ip_0 = ${row.ip_0}::inet and client_port = ${row.client_port}
      and ip_1 = ${row.ip_1}::inet and server_port = ${row.server_port}
      and protocol = ${row.protocol}
      and time >= ${iso(ref.timeMs - 24 * HOUR_MS)}::timestamptz
      and time < ${iso(ref.timeMs + 24 * HOUR_MS)}::timestamptz`,
  );
  return hop;
}

export interface Tuple {
  ip0: string;
  clientPort: number;
  ip1: string;
  serverPort: number;
  protocol: number;
}

/** The most recent flow with this 4/5-tuple (either direction) in [fromMs, toMs). */
export async function hopOfTuple(
  database: Database,
  tuple: Tuple,
  range: { fromMs: number; toMs: number },
): Promise<FlowHop | undefined> {
  const hops = await loadHops(
    database,
    sql`protocol = ${tuple.protocol} and time >= ${iso(range.fromMs)}::timestamptz
      and time < ${iso(range.toMs)}::timestamptz and (
        (ip_0 = ${tuple.ip0}::inet and client_port = ${tuple.clientPort}
          and ip_1 = ${tuple.ip1}::inet and server_port = ${tuple.serverPort})
        or (ip_0 = ${tuple.ip1}::inet and client_port = ${tuple.serverPort}
          and ip_1 = ${tuple.ip0}::inet and server_port = ${tuple.clientPort}))`,
  );
  return hops.sort((a, b) => b.startUs - a.startUs)[0];
}
