/** What tests that run `manager serve` as a process share: its database, and its JSON API. */
import assert from "node:assert/strict";
import { createScratchDatabase, POSTGRES_URL } from "./db.ts";
import type { TestSession } from "./auth.ts";

/**
 * The manager's database: a scratch PostgreSQL database when DATABASE_URL is set, else PGlite
 * in `${tmp}/manager`. `drop` removes the scratch database (PGlite goes with `tmp`).
 */
export async function managerDatabase(
  tmp: string,
): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (POSTGRES_URL === undefined) {
    return {
      env: { DATABASE_URL: "", TAPLINE_DATA_DIR: `${tmp}/manager` },
      drop: () => Promise.resolve(),
    };
  }
  const scratch = await createScratchDatabase();
  return { env: { DATABASE_URL: scratch.url }, drop: () => scratch.drop() };
}

/** A JSON call of the manager's API as `session`; anything but 2xx fails the test. */
export function jsonApi(url: () => string, session: TestSession) {
  // deno-lint-ignore no-explicit-any
  return async (path: string, method = "GET", body?: unknown): Promise<any> => {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: session.headers({ "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await res.json();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  };
}
