// NAT tracing (REFERENCE §2.1): the same TCP connection seen with other addresses at other capture
// points (SNAT, DNAT, load balancers). Candidates come from the handshake ISNs (syn_seq,
// syn_ack_seq: NAT and L4 LBs keep sequence numbers), then the last keep-alive seq/ack (long flows
// whose handshake was not seen), then timing; each is scored, and the strictness decides which
// score is a match. Nothing above the bar is "no confident match", never a guess.
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import { type FlowHop, loadHops, pathRank } from "./flows.ts";

export const STRICTNESS = ["strict", "normal", "loose"] as const;
export type Strictness = typeof STRICTNESS[number];

/** The lowest score that counts as a match, per strictness. */
export const MATCH_SCORE: Readonly<Record<Strictness, number>> = {
  strict: 85,
  normal: 60,
  loose: 12,
};

export interface NatCandidate {
  hop: FlowHop;
  score: number;
  /** Why it scored: "syn_seq", "syn_ack_seq", "keepalive_seq", "keepalive_ack", "timing", "bytes". */
  evidence: string[];
  match: boolean;
}

export interface NatTrace {
  origin: FlowHop;
  strictness: Strictness;
  /** Best first. */
  candidates: NatCandidate[];
  /** Origin and the best match at each other capture point, in path order. */
  chain: FlowHop[];
  confident: boolean;
}

export interface NatOptions {
  strictness?: Strictness;
  /** How far around the origin's lifetime to look, ms (default 60 s). */
  windowMs?: number;
  /** Most candidates returned (default 20). */
  limit?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Starts within this of the origin's are timing candidates. */
const TIMING_US = 2_000_000;

/** Similarity of two non-negative counts, 0..1. */
function closeness(a: number, b: number): number {
  if (a === 0 && b === 0) return 1;
  return Math.min(a, b) / Math.max(a, b);
}

/**
 * A candidate's score out of 100: each handshake ISN 40, else each keep-alive number 30;
 * timing up to 10 (start within 1 s, linear); bytes up to 10 (similar totals each way).
 */
export function scoreCandidate(origin: FlowHop, c: FlowHop): { score: number; evidence: string[] } {
  const evidence: string[] = [];
  let score = 0;
  if (origin.synSeq !== 0 && c.synSeq === origin.synSeq) score += 40, evidence.push("syn_seq");
  if (origin.synAckSeq !== 0 && c.synAckSeq === origin.synAckSeq) {
    score += 40;
    evidence.push("syn_ack_seq");
  }
  if (score === 0) {
    if (origin.keepaliveSeq !== 0 && c.keepaliveSeq === origin.keepaliveSeq) {
      score += 30;
      evidence.push("keepalive_seq");
    }
    if (origin.keepaliveAck !== 0 && c.keepaliveAck === origin.keepaliveAck) {
      score += 30;
      evidence.push("keepalive_ack");
    }
  }
  const startGap = Math.abs(c.startUs - origin.startUs);
  if (startGap < 1_000_000) {
    score += 10 * (1 - startGap / 1_000_000);
    evidence.push("timing");
  }
  const bytes = (closeness(origin.metrics.byteTx, c.metrics.byteTx) +
    closeness(origin.metrics.byteRx, c.metrics.byteRx)) / 2;
  if (bytes > 0.5) {
    score += 10 * (bytes - 0.5) * 2;
    evidence.push("bytes");
  }
  return { score: Math.round(Math.min(score, 100) * 10) / 10, evidence };
}

/** Traces `origin` to the other capture points. */
export async function traceNat(
  database: Database,
  origin: FlowHop,
  options: NatOptions = {},
): Promise<NatTrace> {
  const strictness = options.strictness ?? "normal";
  const windowMs = options.windowMs ?? 60_000;
  const lo = Math.floor(origin.startUs / 1000) - windowMs;
  const hi = Math.ceil(origin.endUs / 1000) + windowMs;
  const isn = origin.synSeq !== 0 || origin.synAckSeq !== 0;
  const keepalive = origin.keepaliveSeq !== 0 || origin.keepaliveAck !== 0;
  // Step 1: which flows elsewhere could be this one. Timing candidates only where the sequence
  // numbers cannot decide (loose, or an origin without them).
  const byTiming = strictness === "loose" || (!isn && !keepalive);
  const clues: SQL[] = [];
  if (origin.synSeq !== 0) clues.push(sql`syn_seq = ${origin.synSeq}`);
  if (origin.synAckSeq !== 0) clues.push(sql`syn_ack_seq = ${origin.synAckSeq}`);
  if (origin.keepaliveSeq !== 0) clues.push(sql`last_keepalive_seq = ${origin.keepaliveSeq}`);
  if (origin.keepaliveAck !== 0) clues.push(sql`last_keepalive_ack = ${origin.keepaliveAck}`);
  if (byTiming) {
    clues.push(sql`(is_new_flow = 1 and start_time between ${origin.startUs - TIMING_US}
      and ${origin.startUs + TIMING_US})`);
  }
  const keys = clues.length === 0 ? [] : await database.rows<Record<string, unknown>>(sql`
    select distinct appliance_id, capture_nic, flow_id, ip_0, client_port, ip_1, server_port
    from flow_log
    where protocol = 6 and time >= ${iso(lo)}::timestamptz and time < ${iso(hi)}::timestamptz
      and not (appliance_id = ${origin.appliance} and capture_nic = ${origin.captureNic})
      and (${sql.join(clues, sql` or `)})
    limit 500`);
  // Step 2: those flows whole (their rows over the origin's lifetime and the window).
  const hops = keys.length === 0 ? [] : await loadHops(
    database,
    sql`protocol = 6 and time >= ${iso(lo)}::timestamptz and time < ${iso(hi)}::timestamptz
      and (appliance_id, capture_nic, flow_id, ip_0, client_port, ip_1, server_port) in (${
      sql.join(
        keys.map((k) =>
          sql`(${k.appliance_id}, ${k.capture_nic}::bigint, ${k.flow_id}::bigint, ${k.ip_0}::inet, ${k.client_port}::integer, ${k.ip_1}::inet, ${k.server_port}::integer)`
        ),
        sql`, `,
      )
    })`,
  );
  const bar = MATCH_SCORE[strictness];
  const candidates: NatCandidate[] = hops.map((hop) => {
    const { score, evidence } = scoreCandidate(origin, hop);
    // Strict also needs both ISNs or both keep-alive numbers to agree.
    const pair = (evidence.includes("syn_seq") && evidence.includes("syn_ack_seq")) ||
      (evidence.includes("keepalive_seq") && evidence.includes("keepalive_ack"));
    return { hop, score, evidence, match: score >= bar && (strictness !== "strict" || pair) };
  }).sort((a, b) => b.score - a.score || a.hop.startUs - b.hop.startUs)
    .slice(0, options.limit ?? 20);

  const best = new Map<string, FlowHop>();
  for (const c of candidates) {
    const point = `${c.hop.appliance}#${c.hop.captureNic}`;
    if (c.match && !best.has(point)) best.set(point, c.hop);
  }
  const chain = [origin, ...best.values()].sort((a, b) =>
    pathRank(a.observationPoint) - pathRank(b.observationPoint) || a.startUs - b.startUs
  );
  return { origin, strictness, candidates, chain, confident: best.size > 0 };
}
