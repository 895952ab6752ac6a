// One-time sign-in links (`/login/once?token=…`): single use, short-lived, stored as a SHA-256.
// The first start prints one for the admin; `manager user link` and the users page make more.
import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import { loginLinks } from "../db/schema/auth.ts";
import { randomSecret, sha256Hex } from "./secrets.ts";

export const LINK_TTL_MS = 30 * 60_000;
export const ONCE_PATH = "/login/once";
const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The sign-in URL for a link token on a manager reachable at `origin` (`http://host:port`). */
export function signInUrl(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, "")}${ONCE_PATH}?token=${token}`;
}

export class SignInLinks {
  constructor(readonly database: Database, readonly ttlMs = LINK_TTL_MS) {}

  /** A new link token for `userId`; earlier unused links of that user stop working. */
  async create(userId: number, nowMs = Date.now()): Promise<{ token: string; expiresAt: Date }> {
    const token = randomSecret(32);
    const expiresAt = new Date(nowMs + this.ttlMs);
    await this.database.db.transaction(async (tx) => {
      await tx.delete(loginLinks).where(or(
        eq(loginLinks.userId, userId),
        lt(loginLinks.expiresAt, new Date(nowMs)),
      ));
      await tx.insert(loginLinks).values({
        tokenHash: await sha256Hex(token),
        userId,
        createdAt: new Date(nowMs),
        expiresAt,
      });
    });
    return { token, expiresAt };
  }

  /** Whether a token would sign in now, without using it (the confirmation page). */
  async peek(token: string, nowMs = Date.now()): Promise<number | undefined> {
    if (!LINK_TOKEN.test(token)) return undefined;
    const [row] = await this.database.db.select({ userId: loginLinks.userId }).from(loginLinks)
      .where(this.#usable(await sha256Hex(token), nowMs));
    return row?.userId;
  }

  /** Uses a token: the user id once, undefined ever after (atomic, so two requests cannot both win). */
  async consume(token: string, nowMs = Date.now()): Promise<number | undefined> {
    if (!LINK_TOKEN.test(token)) return undefined;
    const [row] = await this.database.db.update(loginLinks).set({ usedAt: new Date(nowMs) })
      .where(this.#usable(await sha256Hex(token), nowMs))
      .returning({ userId: loginLinks.userId });
    return row?.userId;
  }

  #usable(tokenHash: string, nowMs: number) {
    return and(
      eq(loginLinks.tokenHash, tokenHash),
      isNull(loginLinks.usedAt),
      gt(loginLinks.expiresAt, new Date(nowMs)),
    );
  }
}
