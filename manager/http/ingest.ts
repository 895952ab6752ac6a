import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { CBOR_CONTENT_TYPE, decodeBatch } from "../../appliance/wire/mod.ts";
import { RejectedValueError, SeqConflictError, storeBatch, WriteQueue } from "../ingest/mod.ts";
import type { AppDeps } from "../app.ts";
import { HttpError } from "./errors.ts";

/** Seconds an appliance waits after a 429: the queue drains in well under that. */
const QUEUE_FULL_RETRY_AFTER_S = 1;
/** Seconds after a 503 (database unavailable). */
const DATABASE_RETRY_AFTER_S = 5;

function log(level: "warn" | "error", msg: string, fields: Record<string, unknown>): void {
  console.error(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
}

/**
 * `POST /api/v1/ingest`: one CBOR report batch per request (appliance/wire/, fleet contract):
 * size (413), content type (415), CBOR (400), schema and values (422), the credential's
 * appliance (403), then the write queue (429) and one transaction (200, 409, 503).
 */
export function ingestRoutes(deps: AppDeps): Hono {
  const queue = deps.writeQueue ?? new WriteQueue({ concurrency: 4, waiting: 16 });
  const app = new Hono();
  app.post(
    "/",
    bodyLimit({
      maxSize: deps.maxBatchBytes,
      onError: () => {
        throw new HttpError(
          413,
          `batch larger than ${deps.maxBatchBytes} bytes; send smaller batches`,
        );
      },
    }),
    async (c) => {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== CBOR_CONTENT_TYPE) {
        throw new HttpError(
          415,
          `content-type must be ${CBOR_CONTENT_TYPE}, got ${type ? JSON.stringify(type) : "none"}`,
        );
      }
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const decoded = decodeBatch(bytes);
      if (!decoded.ok) {
        const status = decoded.error.startsWith("body:") ? 400 : 422;
        throw new HttpError(status, `rejected batch: ${decoded.error}`);
      }
      const batch = decoded.batch;
      // Appliance credentials carry their appliance id (fleet contract); a batch names its own.
      const principal = c.get("principal");
      if (principal?.kind === "appliance" && principal.applianceId !== batch.appliance) {
        throw new HttpError(
          403,
          `batch.appliance ${JSON.stringify(batch.appliance)} does not match the credential's ` +
            `appliance ${JSON.stringify(principal.applianceId)}`,
        );
      }
      let outcome;
      try {
        // AutoTagging: one tagger per batch (cached by the inventory until it changes).
        // Streams without tag columns (events) ignore it.
        const tagger = await deps.inventory?.tagger();
        outcome = await queue.run(() =>
          storeBatch(deps.database, deps.partitions, batch, { tagger })
        );
      } catch (err) {
        if (err instanceof SeqConflictError) throw new HttpError(409, err.message);
        if (err instanceof RejectedValueError) {
          throw new HttpError(422, `rejected batch: ${err.message}`);
        }
        log("error", "ingest failed", {
          appliance: batch.appliance,
          stream: batch.stream,
          seq: batch.seq,
          error: String((err as Error)?.message ?? err),
        });
        throw new HttpError(503, "database unavailable; batch not stored, retry later", {
          "Retry-After": String(DATABASE_RETRY_AFTER_S),
        });
      }
      if (outcome.full) {
        throw new HttpError(
          429,
          `ingest write queue full (${queue.options.concurrency} writing, ` +
            `${queue.options.waiting} waiting); retry later`,
          { "Retry-After": String(QUEUE_FULL_RETRY_AFTER_S) },
        );
      }
      return c.json(outcome.value);
    },
  );
  return app;
}
