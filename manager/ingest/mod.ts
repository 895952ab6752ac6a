/**
 * @module
 * Ingest: validated report batches from appliances into PostgreSQL, exactly once per
 * `(appliance, stream, seq)`.
 *
 * ```ts
 * const result = decodeBatch(bytes);
 * if (result.ok) await ingestFlows(database, partitions, result.batch); // { acked, stored, duplicate }
 * ```
 */
export { ingestFlows, type IngestResult } from "./flows.ts";
