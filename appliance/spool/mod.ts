/**
 * @module
 * Spool: the bounded on-disk queue of report batches not yet acknowledged by the manager, one
 * file per batch per stream, with seqs that are never reused and replay checkpoints that survive
 * kill -9. The sender (report/) drains it in seq order.
 *
 * ```ts
 * const spool = await Spool.open("data/appliance/spool", { maxBytes: 1024 ** 3 });
 * const entry = await spool.append("flows", { records: 2 }, (seq) => encodeBatch({ ...batch, seq }));
 * spool.oldest("flows"); // entry, until the sender calls spool.acked(entry)
 * ```
 */
export {
  DEFAULT_SPOOL_MAX_BYTES,
  type OpenStats,
  type Repairs,
  type SourceCheckpoint,
  Spool,
  type SpoolEntry,
  type SpoolOptions,
  type SpoolStats,
  type StreamCounters,
  type StreamStats,
} from "./spool.ts";
export { inspectSpool, type SpoolView, type StreamView } from "./inspect.ts";
export { readJsonFile, writeDurable, writeJsonDurable } from "./_files.ts";
