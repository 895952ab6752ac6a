import type { ReportBatch } from "../../appliance/wire/mod.ts";
import type { Database, PartitionManager } from "../db/mod.ts";
import type { Tagger } from "../inventory/mod.ts";
import { copyText, inTransaction, type LoadMethod } from "./_tx.ts";
import { STREAM_HANDLERS, type StreamHandler } from "./streams.ts";

export interface IngestResult {
  acked: number;
  stored: number;
  duplicate: boolean;
}

/** A seq lower than the highest stored one that was never stored (fleet contract: 409). */
export class SeqConflictError extends Error {
  override name = "SeqConflictError";
  constructor(readonly seq: number, readonly highest: number) {
    super(`seq ${seq} is older than the last stored seq ${highest}`);
  }
}

/** The database refused a value of the batch itself: retrying cannot help (422, not 503). */
export class RejectedValueError extends Error {
  override name = "RejectedValueError";
}

export interface StoreOptions {
  /** COPY or multi-row INSERT; by default the faster one on the engine (bench: ingest). */
  method?: LoadMethod;
  /**
   * AutoTagging: fills the stream's tag columns (`region_0`…`labels_1` of flow_log and
   * request_log) of every row; an empty inventory's tagger is skipped (the columns' defaults are
   * the same), and so is a stream without tag columns (events).
   */
  tagger?: Tagger;
}

/**
 * Measured with `deno task bench ingest` (tests/bench/ingest_bench.ts): COPY is faster on both
 * engines, by the most on PostgreSQL.
 */
export function defaultLoadMethod(database: Database): LoadMethod {
  return database.kind === "postgres" ? "copy" : "copy";
}

function isEmpty(tagger: Tagger): boolean {
  const { subnets, hosts, services, pods } = tagger.size;
  return subnets + hosts + services + pods === 0;
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity): the data, not the database. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23"));
}

/**
 * Stores a validated batch of any stream and claims its seq in one transaction: either every
 * record and the seq are stored, or nothing is. Per the fleet contract, a seq already stored is
 * acknowledged without storing (`duplicate`), and a seq below the highest stored one that was
 * never stored throws {@link SeqConflictError}. The `(appliance, stream)` row of
 * `ingest_stream` is locked first, so batches of one stream are stored one after another.
 */
export async function storeBatch(
  database: Database,
  partitions: PartitionManager,
  batch: ReportBatch,
  options: StoreOptions = {},
): Promise<IngestResult> {
  const handler = STREAM_HANDLERS[batch.stream] as StreamHandler<unknown>;
  const records = batch.records as unknown[];
  const appliance = copyText(batch.appliance);
  const tagger = handler.tagColumns && options.tagger && !isEmpty(options.tagger)
    ? options.tagger
    : undefined;
  const columns = tagger ? [...handler.columns, ...handler.tagColumns!] : handler.columns;
  const lines = new Array<string>(records.length);
  const times = new Set<number>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    lines[i] = handler.line(appliance, r, tagger);
    times.add(Math.floor(handler.timeMs(r) / 86_400_000) * 86_400_000);
  }
  // Partitions first, outside the transaction, so the partition cache never names a table
  // that a rolled-back transaction created.
  if (handler.table !== "network_metrics_1s") await partitions.ensure(handler.table, times);
  const method = options.method ?? defaultLoadMethod(database);
  const key = [batch.appliance, batch.stream];
  try {
    return await inTransaction(database, async (tx) => {
      await tx.query(
        `insert into ingest_stream (appliance_id, stream, high_seq) values ($1, $2, -1)
         on conflict do nothing`,
        key,
      );
      const [state] = await tx.query<{ high: string | number }>(
        `select high_seq as high from ingest_stream
         where appliance_id = $1 and stream = $2 for update`,
        key,
      );
      const highest = Number(state?.high ?? -1);
      const claimed = await tx.query(
        `insert into ingest_batch (appliance_id, stream, seq, records) values ($1, $2, $3, $4)
         on conflict do nothing returning seq`,
        [...key, batch.seq, records.length],
      );
      if (claimed.length === 0) return { acked: batch.seq, stored: 0, duplicate: true };
      // Equal to the highest but not in the set: stored once, its seq row since pruned.
      if (batch.seq <= highest) throw new SeqConflictError(batch.seq, highest);
      await tx.load({ table: handler.table, columns, lines }, method);
      if (batch.seq > highest) {
        await tx.query(
          `update ingest_stream set high_seq = $3, updated_at = now()
           where appliance_id = $1 and stream = $2`,
          [...key, batch.seq],
        );
      }
      return { acked: batch.seq, stored: records.length, duplicate: false };
    });
  } catch (err) {
    if (/no partition of relation/.test(String((err as Error)?.message))) {
      // Retention dropped a partition this process still had in its cache: forget the cache,
      // so the appliance's retry (503) creates it again.
      if (handler.table !== "network_metrics_1s") partitions.forget(handler.table);
    } else if (isDataError(err)) {
      throw new RejectedValueError(
        `the database refused a value: ${(err as Error).message}`,
        { cause: err },
      );
    }
    throw err;
  }
}
