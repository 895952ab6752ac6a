/**
 * Simulated appliances for the soak task and the reliability tests: each enrolled appliance
 * sends flow batches over real HTTP, one in flight, in seq order, as the fleet contract asks of
 * the real sender (a 429 or 503 is retried after its Retry-After; every Nth acknowledged batch is
 * sent once more, as when an acknowledgement is lost, and must come back `duplicate`). Then
 * {@link checkStored} compares what PostgreSQL holds with what was acknowledged.
 *
 * ```ts
 * const result = await simulateFleet(manager.url, { appliances, seconds: 10 });
 * const check = await checkStored(databaseUrl, result); // { lost: 0, extra: 0, duplicated: 0 }
 * ```
 */
import postgres from "postgres";
import {
  CBOR_CONTENT_TYPE,
  CloseType,
  encodeBatch,
  type FlowRecord,
  INGEST_PATH,
  WIRE_VERSION,
} from "../../appliance/wire/mod.ts";
import type { TestSession } from "../support/auth.ts";
import { enrollTestAppliance } from "../support/fleet.ts";

export interface SimAppliance {
  applianceId: string;
  /** `Authorization: Bearer tpla_…`. */
  headers: Record<string, string>;
}

export interface SimOptions {
  appliances: SimAppliance[];
  /** How long new batches are started; the one in flight then still goes to its end. */
  seconds: number;
  /** Records per batch (default 200). */
  batchRecords?: number;
  /** Every Nth acknowledged batch is sent again and must be answered `duplicate` (default 7). */
  resendEvery?: number;
  /** Longest time the batch in flight at the end may still take, ms (default 60 s). */
  graceMs?: number;
}

export interface ApplianceTally {
  applianceId: string;
  /** Batches acknowledged as stored (not duplicates). */
  batches: number;
  records: number;
  /** Resends answered `duplicate: true`, as they must be. */
  duplicates: number;
  /** 429 answers, all with Retry-After (else they count in `errors` too). */
  tooMany: number;
  /** 503 answers with Retry-After: allowed by the contract, but a healthy soak has none. */
  unavailable: number;
  /** Everything else: any other status, a 429/503 without Retry-After, a wrong answer. */
  errors: string[];
  /** Seqs acknowledged as stored, in order. */
  ackedSeqs: number[];
}

export interface SimResult {
  appliances: ApplianceTally[];
  elapsedMs: number;
  batchRecords: number;
}

/** Wall-clock start of the records: today, so they land in the partition created ahead. */
function recordsOf(appliance: number, seq: number, count: number, baseUs: number): FlowRecord[] {
  const records = new Array<FlowRecord>(count);
  for (let i = 0; i < count; i++) {
    const flowId = seq * count + i;
    const startTime = baseUs + (seq % 50_000) * 1_000 + i;
    records[i] = {
      flowId,
      startTime,
      endTime: startTime + 1_500,
      duration: 1_500,
      isNewFlow: 1,
      closeType: CloseType.Normal,
      ipVersion: 4,
      ip0: `10.${100 + (appliance % 100)}.${(flowId >> 8) & 255}.${flowId & 255}`,
      ip1: "10.200.0.1",
      clientPort: 1_024 + (flowId % 60_000),
      serverPort: 443,
      protocol: 6,
      vlan: 0,
      tunnelType: 0,
      tunnelId: 0,
      captureNic: 0,
      observationPoint: "rest",
      packetTx: 3,
      packetRx: 2,
      byteTx: 180 + (i % 64),
      byteRx: 120,
      l3ByteTx: 138,
      l3ByteRx: 92,
      l4ByteTx: 0,
      l4ByteRx: 0,
      tcpFlagsBit0: 0x16,
      tcpFlagsBit1: 0x12,
      synCount: 1,
      synackCount: 1,
      retransSyn: 0,
      retransSynack: 0,
      synSeq: flowId % 4_000_000_000,
      synAckSeq: 7,
      lastKeepaliveSeq: 0,
      lastKeepaliveAck: 0,
      retransTx: 0,
      retransRx: 0,
      zeroWinTx: 0,
      zeroWinRx: 0,
      rtt: 300,
      rttClient: 100,
      rttServer: 200,
      srtSum: 0,
      srtCount: 0,
      srtMax: 0,
      artSum: 0,
      artCount: 0,
      artMax: 0,
    };
  }
  return records;
}

/**
 * Enrolls `count` appliances on a running manager over HTTP (the first one installs a test
 * license for 100 appliances when none allows it).
 */
export async function enrollFleet(
  managerUrl: string,
  count: number,
  session: TestSession,
): Promise<SimAppliance[]> {
  const target = { url: managerUrl, session };
  const first = await enrollTestAppliance(target, { name: "sim-1" });
  const rest = await Promise.all(
    Array.from(
      { length: count - 1 },
      (_, i) => enrollTestAppliance(target, { name: `sim-${i + 2}` }),
    ),
  );
  return [first, ...rest];
}

type Answer =
  | { kind: "stored" }
  | { kind: "duplicate" }
  | { kind: "retry"; waitMs: number }
  | { kind: "error"; text: string };

async function post(
  url: string,
  appliance: SimAppliance,
  body: Uint8Array,
  tally: ApplianceTally,
): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { ...appliance.headers, "content-type": CBOR_CONTENT_TYPE },
      body: body as BodyInit,
    });
  } catch (err) {
    return { kind: "error", text: `network: ${(err as Error).message}` };
  }
  const text = await res.text();
  if (res.status === 429 || res.status === 503) {
    const retryAfter = Number(res.headers.get("retry-after"));
    if (res.status === 429) tally.tooMany++;
    else tally.unavailable++;
    if (!(retryAfter >= 0) || res.headers.get("retry-after") === null) {
      return { kind: "error", text: `${res.status} without Retry-After: ${text}` };
    }
    // Jitter spreads the retries of appliances refused together.
    return { kind: "retry", waitMs: retryAfter * 1000 + Math.random() * 250 };
  }
  if (res.status !== 200) return { kind: "error", text: `${res.status} ${text}` };
  const answer = JSON.parse(text) as { duplicate?: boolean };
  return { kind: answer.duplicate ? "duplicate" : "stored" };
}

async function runAppliance(
  url: string,
  index: number,
  appliance: SimAppliance,
  options: Required<Omit<SimOptions, "appliances">>,
  deadline: number,
): Promise<ApplianceTally> {
  const tally: ApplianceTally = {
    applianceId: appliance.applianceId,
    batches: 0,
    records: 0,
    duplicates: 0,
    tooMany: 0,
    unavailable: 0,
    errors: [],
    ackedSeqs: [],
  };
  const baseUs = Math.floor(Date.now() / 3_600_000) * 3_600_000_000;
  const hardStop = deadline + options.graceMs;
  for (let seq = 1; Date.now() < deadline; seq++) {
    const body = encodeBatch({
      v: WIRE_VERSION,
      appliance: appliance.applianceId,
      stream: "flows",
      seq,
      sentAt: Date.now(),
      records: recordsOf(index, seq, options.batchRecords, baseUs),
    });
    let answer = await post(url, appliance, body, tally);
    while (answer.kind === "retry" && Date.now() < hardStop) {
      await new Promise((r) => setTimeout(r, (answer as { waitMs: number }).waitMs));
      answer = await post(url, appliance, body, tally);
    }
    if (answer.kind === "error") {
      tally.errors.push(`seq ${seq}: ${answer.text}`);
      continue;
    }
    if (answer.kind !== "stored") {
      tally.errors.push(`seq ${seq}: ${answer.kind === "retry" ? "still refused" : "duplicate"}`);
      continue;
    }
    tally.batches++;
    tally.records += options.batchRecords;
    tally.ackedSeqs.push(seq);
    if (seq % options.resendEvery !== 0) continue;
    // The acknowledgement "was lost": the same batch again must not be stored twice.
    let again = await post(url, appliance, body, tally);
    while (again.kind === "retry" && Date.now() < hardStop) {
      await new Promise((r) => setTimeout(r, (again as { waitMs: number }).waitMs));
      again = await post(url, appliance, body, tally);
    }
    if (again.kind === "duplicate") tally.duplicates++;
    else tally.errors.push(`seq ${seq} resent: expected duplicate, got ${JSON.stringify(again)}`);
  }
  return tally;
}

/** Runs every appliance at once for `seconds`; resolves when the last batch in flight is done. */
export async function simulateFleet(managerUrl: string, options: SimOptions): Promise<SimResult> {
  const resolved = {
    seconds: options.seconds,
    batchRecords: options.batchRecords ?? 200,
    resendEvery: options.resendEvery ?? 7,
    graceMs: options.graceMs ?? 60_000,
  };
  const url = new URL(INGEST_PATH, managerUrl).toString();
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const appliances = await Promise.all(
    options.appliances.map((a, i) => runAppliance(url, i, a, resolved, deadline)),
  );
  return { appliances, elapsedMs: Date.now() - started, batchRecords: resolved.batchRecords };
}

export interface StoredCheck {
  /** Rows in flow_log for the simulated appliances. */
  rows: number;
  /** Acknowledged records missing from flow_log. */
  lost: number;
  /** Rows beyond the acknowledged records. */
  extra: number;
  /** Rows whose (appliance, flow id, start time) occurs more than once. */
  duplicated: number;
  /** Appliances whose stored seqs (ingest_batch) differ from the acknowledged ones. */
  seqMismatches: string[];
}

/** What PostgreSQL holds for the simulated appliances against what the manager acknowledged. */
export async function checkStored(databaseUrl: string, result: SimResult): Promise<StoredCheck> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const ids = result.appliances.map((a) => a.applianceId);
    const perAppliance = await sql<{ appliance: string; rows: string; keys: string }[]>`
      select appliance_id as appliance, count(*) as rows,
             count(distinct (flow_id, start_time)) as keys
      from flow_log where appliance_id = any(${ids}::text[]) group by appliance_id`;
    const seqRows = await sql<{ appliance: string; seq: string }[]>`
      select appliance_id as appliance, seq from ingest_batch
      where appliance_id = any(${ids}::text[]) and stream = 'flows' order by seq`;
    const check: StoredCheck = { rows: 0, lost: 0, extra: 0, duplicated: 0, seqMismatches: [] };
    for (const tally of result.appliances) {
      const row = perAppliance.find((r) => r.appliance === tally.applianceId);
      const rows = Number(row?.rows ?? 0);
      const keys = Number(row?.keys ?? 0);
      check.rows += rows;
      check.duplicated += rows - keys;
      check.lost += Math.max(0, tally.records - keys);
      check.extra += Math.max(0, keys - tally.records);
      const stored = seqRows.filter((r) => r.appliance === tally.applianceId).map((r) =>
        Number(r.seq)
      );
      if (stored.join(",") !== tally.ackedSeqs.join(",")) {
        check.seqMismatches.push(
          `${tally.applianceId}: stored ${stored.length} seqs, acknowledged ${tally.ackedSeqs.length}`,
        );
      }
    }
    return check;
  } finally {
    await sql.end();
  }
}
