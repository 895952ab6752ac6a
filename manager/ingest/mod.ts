/**
 * @module
 * Ingest: validated report batches from appliances into PostgreSQL, exactly once per
 * `(appliance, stream, seq)`, through a bounded write queue; one handler per stream
 * (streams.ts), rows loaded with COPY in the transaction that claims the seq (store.ts).
 *
 * ```ts
 * const result = decodeBatch(bytes);
 * if (result.ok) await storeBatch(database, partitions, result.batch); // { acked, stored, duplicate }
 * ```
 */
export { copyText, type LoadMethod } from "./_tx.ts";
export { WriteQueue, type WriteQueueOptions, type WriteQueueStats } from "./queue.ts";
export {
  defaultLoadMethod,
  type IngestResult,
  RejectedValueError,
  SeqConflictError,
  storeBatch,
  type StoreOptions,
} from "./store.ts";
export { STREAM_HANDLERS, type StreamHandler } from "./streams.ts";
