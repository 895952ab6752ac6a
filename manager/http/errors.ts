import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The one HTTP error type: a status and a message that says what is wrong. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The app's single onError: HttpError → its status; anything else → 500, logged. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof HttpError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json({ error: err.message }, err.status);
  }
  console.error(
    JSON.stringify({
      level: "error",
      msg: "unhandled error",
      path: c.req.path,
      error: String(err?.stack ?? err),
    }),
  );
  return c.json({ error: "internal error; see the manager's log" }, 500);
}
