import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { CBOR_CONTENT_TYPE, decodeBatch } from "../../appliance/wire/mod.ts";
import { ingestFlows } from "../ingest/mod.ts";
import type { AppDeps } from "../app.ts";
import { HttpError } from "./errors.ts";

/** `POST /api/v1/ingest`: one CBOR report batch per request (appliance/wire/). */
export function ingestRoutes(deps: AppDeps): Hono {
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
      let result;
      try {
        result = await ingestFlows(deps.database, deps.partitions, decoded.batch);
      } catch (err) {
        console.error(JSON.stringify({
          level: "error",
          msg: "ingest failed",
          appliance: decoded.batch.appliance,
          seq: decoded.batch.seq,
          error: String((err as Error)?.message ?? err),
        }));
        throw new HttpError(503, "database unavailable; batch not stored, retry later", {
          "Retry-After": "5",
        });
      }
      return c.json(result);
    },
  );
  return app;
}
