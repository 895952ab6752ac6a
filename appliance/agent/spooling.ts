/**
 * Putting records into the spool as wire batches: flow and request records in batches with the
 * replay checkpoint inside, appliance events (spool overflow, config applied/rejected) one batch each.
 */
import { Spool, type SpoolEntry } from "../spool/mod.ts";
import {
  type BatchOf,
  encodeBatch,
  type EventRecord,
  type FlowRecord,
  MAX_REQUEST_TEXT_CHARS,
  type PcapIndexRecord,
  type ReportBatch,
  REQUEST_FIELDS,
  type RequestRecord,
  type SecondRecord,
  STREAM_SPECS,
  type StreamRecords,
  WIRE_VERSION,
} from "../wire/mod.ts";
import { AgentError } from "./errors.ts";

/** The spool of the state folder, with overflow reported on the `events` stream. */
export async function openAgentSpool(
  stateDir: string,
  options: { applianceId: string; maxBytes?: number },
): Promise<Spool> {
  let spool: Spool | undefined = undefined;
  const report = (e: { stream: string; batches: number; records: number }) => {
    // An overflow of the events stream itself is only counted (reporting it would add to it).
    if (e.stream === "events" || spool === undefined) return;
    spoolEvent(spool, options.applianceId, {
      kind: "spool_overflow",
      detail: { stream: e.stream, droppedBatches: e.batches, droppedRecords: e.records },
    }).catch(() => {});
  };
  spool = await Spool.open(`${stateDir}/spool`, { maxBytes: options.maxBytes, onOverflow: report });
  return spool;
}

/** Spools one appliance event as its own batch. */
export function spoolEvent(
  spool: Spool,
  applianceId: string,
  event: { kind: string; detail: Record<string, unknown> },
): Promise<SpoolEntry> {
  const record: EventRecord = { time: Date.now(), kind: event.kind, detail: event.detail };
  return spool.append("events", { records: 1 }, (seq) =>
    new Uint8Array(encodeBatch({
      v: WIRE_VERSION,
      appliance: applianceId,
      stream: "events",
      seq,
      sentAt: Date.now(),
      records: [record],
    })));
}

export interface SpoolFlowsResult {
  /** Records skipped because an earlier run spooled them already. */
  skipped: number;
  spooled: number;
  batches: number;
  firstSeq: number | null;
  lastSeq: number | null;
}

export interface SpoolRequestsResult extends SpoolFlowsResult {
  /** Records with a text field cut to the wire's bound ({@link MAX_REQUEST_TEXT_CHARS}). */
  truncated: number;
  /** Records the wire check still refused (not spooled: they would sink their whole batch). */
  invalid: number;
  /** The first such record's problem, e.g. `records[3].endTime: before startTime`. */
  invalidSample: string | null;
}

interface SpoolOptions {
  applianceId: string;
  batchSize: number;
  sourceId?: string;
}

/**
 * Spools `records` of `stream` in batches of `batchSize`. With `sourceId`, the first records the
 * spool already holds for that source are skipped, and every batch carries the checkpoint after
 * it, so the file rename commits batch and checkpoint together (kill -9 at any instant: each
 * record spooled exactly once over the runs). `keep` may leave records of a batch out; the
 * checkpoint counts them as done.
 */
async function spoolStream<S extends "flows" | "requests" | "pcap_index" | "metrics_1s">(
  spool: Spool,
  stream: S,
  records: readonly StreamRecords[S][],
  options: SpoolOptions & { keep?: (batch: StreamRecords[S][]) => StreamRecords[S][] },
): Promise<SpoolFlowsResult> {
  const skipped = options.sourceId === undefined
    ? 0
    : Math.min(records.length, spool.recordsSpooled(options.sourceId));
  const result: SpoolFlowsResult = {
    skipped,
    spooled: 0,
    batches: 0,
    firstSeq: null,
    lastSeq: null,
  };
  for (let start = skipped; start < records.length; start += options.batchSize) {
    const slice = records.slice(start, start + options.batchSize);
    const end = start + slice.length;
    const batch = options.keep === undefined ? slice : options.keep(slice);
    // All left out: the next batch's checkpoint covers these (or a rerun leaves them out again).
    if (batch.length === 0) continue;
    const source = options.sourceId === undefined
      ? undefined
      : { id: options.sourceId, recordsSpooled: end };
    const entry = await spool.append(
      stream,
      { records: batch.length, source },
      (seq) =>
        new Uint8Array(encodeBatch({
          v: WIRE_VERSION,
          appliance: options.applianceId,
          stream,
          seq,
          sentAt: Date.now(),
          records: batch,
          ...(source === undefined ? {} : { source }),
        } as BatchOf<S> as ReportBatch)),
    );
    result.firstSeq ??= entry.seq;
    result.lastSeq = entry.seq;
    result.batches++;
    result.spooled += batch.length;
  }
  return result;
}

/** Spools flow records as stream `flows` (see {@link spoolStream} for `sourceId`). */
export function spoolFlows(
  spool: Spool,
  records: readonly FlowRecord[],
  options: SpoolOptions,
): Promise<SpoolFlowsResult> {
  return spoolStream(spool, "flows", records, options);
}

/**
 * Spools per-second network metrics as stream `metrics_1s` (a replay's `sourceId` must differ
 * from its flows', as for requests).
 */
export function spoolSeconds(
  spool: Spool,
  records: readonly SecondRecord[],
  options: SpoolOptions,
): Promise<SpoolFlowsResult> {
  return spoolStream(spool, "metrics_1s", records, options);
}

/** Spools the PCAP index summary as stream `pcap_index`. */
export function spoolPcapIndex(
  spool: Spool,
  records: readonly PcapIndexRecord[],
  options: SpoolOptions,
): Promise<SpoolFlowsResult> {
  return spoolStream(spool, "pcap_index", records, options);
}

/** The text fields of a request record (strings are the only unbounded values). */
const TEXT_FIELDS: readonly (keyof RequestRecord)[] = REQUEST_FIELDS
  .filter((f) => f.kind === "str").map((f) => f.key);

/** Cuts a text to the wire's bound without splitting a surrogate pair. */
function cut(text: string): string {
  let end = MAX_REQUEST_TEXT_CHARS;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

/** What {@link prepareRequests} made of a batch. */
export interface PreparedRequests {
  /** The records to spool: those that passed, some with texts cut. */
  kept: RequestRecord[];
  /** Records with a text field cut to the wire's bound ({@link MAX_REQUEST_TEXT_CHARS}). */
  truncated: number;
  /** Records the wire check still refused. */
  invalid: number;
  /** The first such record's problem. */
  invalidSample: string | null;
}

/**
 * Makes each record pass the manager's check before it is spooled (a refused record would have
 * its whole batch refused): a text longer than the wire allows is cut, a record the check still
 * refuses is left out and counted. Most records pass as they are, so each is checked first and
 * only a refused one is looked at again.
 */
export function prepareRequests(batch: readonly RequestRecord[]): PreparedRequests {
  const check = STREAM_SPECS.requests.check;
  const kept: RequestRecord[] = [];
  let truncated = 0;
  let invalid = 0;
  let invalidSample: string | null = null;
  for (let r of batch) {
    if (check(r, "", WIRE_VERSION) !== undefined) {
      const long = (key: keyof RequestRecord) => {
        const value = r[key];
        return typeof value === "string" && value.length > MAX_REQUEST_TEXT_CHARS;
      };
      if (TEXT_FIELDS.some(long)) {
        const copy: Record<string, unknown> = { ...r };
        for (const key of TEXT_FIELDS) if (long(key)) copy[key] = cut(r[key] as string);
        r = copy as unknown as RequestRecord;
        truncated++;
      }
      const problem = check(r, `records[${kept.length}]`, WIRE_VERSION);
      if (problem !== undefined) {
        invalid++;
        invalidSample ??= problem;
        continue;
      }
    }
    kept.push(r);
  }
  return { kept, truncated, invalid, invalidSample };
}

/**
 * Spools request records as stream `requests`, like {@link spoolFlows}; a replay's `sourceId`
 * must differ from its flows' (the checkpoint counts records per source). Each record is made
 * to pass the manager's check first ({@link prepareRequests}).
 */
export async function spoolRequests(
  spool: Spool,
  records: readonly RequestRecord[],
  options: SpoolOptions,
): Promise<SpoolRequestsResult> {
  let truncated = 0;
  let invalid = 0;
  let invalidSample: string | null = null;
  const keep = (batch: RequestRecord[]) => {
    const prepared = prepareRequests(batch);
    truncated += prepared.truncated;
    invalid += prepared.invalid;
    invalidSample ??= prepared.invalidSample;
    return prepared.kept;
  };
  const result = await spoolStream(spool, "requests", records, { ...options, keep });
  return { ...result, truncated, invalid, invalidSample };
}

/** A replay source's id: its real path, size and mtime (a rewritten file is a new source). */
export async function sourceIdOf(path: string): Promise<string> {
  const real = await Deno.realPath(path);
  const info = await Deno.stat(real);
  return `${real}|${info.size}|${info.mtime?.getTime() ?? 0}`;
}

/**
 * Holds `agent.lock` in the state folder for the life of the process: two processes on one spool
 * would hand out the same seqs. The kernel lets go of it when the process dies, kill -9 too.
 */
export async function lockStateDir(stateDir: string, waitMs = 2_000): Promise<Deno.FsFile> {
  await Deno.mkdir(stateDir, { recursive: true });
  const path = `${stateDir}/agent.lock`;
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const locked = await Promise.race([
    file.lock(true).then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), waitMs)),
  ]);
  clearTimeout(timer);
  if (!locked) {
    const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
    throw new AgentError(
      `${stateDir} is in use by another appliance process${
        holder ? ` (pid ${holder})` : ""
      }; stop it first or use another --state-dir`,
    );
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  return file;
}
