// Reading request bodies without letting malformed input become a 500.
import type { Context } from "hono";
import { HttpError } from "./errors.ts";

/** A form body's text fields (files and repeated fields are ignored); 400 when unreadable. */
export async function formOf(c: Context): Promise<Record<string, string>> {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch {
    throw new HttpError(400, "the request body is not a readable form");
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") fields[k] = v;
  return fields;
}

/** A JSON object body; 400 naming the problem otherwise. */
export async function jsonOf(c: Context): Promise<Record<string, unknown>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    throw new HttpError(415, "content-type must be application/json");
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new HttpError(400, "the request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "the request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** A positive integer path parameter, or 404 (ids that cannot exist do not exist). */
export function idParam(c: Context, name = "id"): number {
  const raw = c.req.param(name) ?? "";
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1 || id > 2 ** 31 - 1) {
    throw new HttpError(404, `no such ${name}: ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return id;
}
