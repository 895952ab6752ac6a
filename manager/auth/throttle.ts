// Sign-in throttling: after a few failures an account (or a client address) must wait, and
// the wait doubles with each further failure. Counters live in the database so that every
// manager behind a load balancer sees the same ones; a quiet period forgets them.
import { inArray, sql } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import { loginThrottle } from "../db/schema/auth.ts";

export interface ThrottleSettings {
  /** Failures allowed per account before the first wait. */
  accountFailures: number;
  /** Failures allowed per client address (several people may share one NAT address). */
  ipFailures: number;
  /** The first wait; each further failure doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures older than this (since the last one) are forgotten. */
  forgetMs: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  accountFailures: 5,
  ipFailures: 10,
  baseDelayMs: 15_000,
  maxDelayMs: 15 * 60_000,
  forgetMs: 60 * 60_000,
};

export type ThrottleVerdict =
  | { blocked: false }
  | { blocked: true; retryAfterMs: number; reason: "account" | "address" };

/** The counter keys of one sign-in attempt. */
export function throttleKeys(userName: string, ip: string | undefined): string[] {
  const keys = [`user:${userName.trim().toLowerCase().slice(0, 256)}`];
  if (ip) keys.push(`ip:${ip}`);
  return keys;
}

export class LoginThrottle {
  constructor(
    readonly database: Database,
    readonly settings: ThrottleSettings = DEFAULT_THROTTLE,
  ) {}

  /** The wait after `failures` failures, 0 when none is due. */
  delayAfter(failures: number, allowed: number): number {
    if (failures < allowed) return 0;
    const doublings = Math.min(failures - allowed, 30);
    return Math.min(this.settings.baseDelayMs * 2 ** doublings, this.settings.maxDelayMs);
  }

  /** Whether an attempt with these keys must wait, and how long. */
  async check(keys: string[], nowMs = Date.now()): Promise<ThrottleVerdict> {
    const rows = await this.database.db.select().from(loginThrottle)
      .where(inArray(loginThrottle.key, keys));
    let verdict: ThrottleVerdict = { blocked: false };
    for (const row of rows) {
      const last = row.lastFailureAt.getTime();
      if (nowMs - last >= this.settings.forgetMs) continue;
      const isIp = row.key.startsWith("ip:");
      const wait = this.delayAfter(
        row.failures,
        isIp ? this.settings.ipFailures : this.settings.accountFailures,
      );
      const retryAfterMs = last + wait - nowMs;
      if (retryAfterMs > 0 && (!verdict.blocked || retryAfterMs > verdict.retryAfterMs)) {
        verdict = { blocked: true, retryAfterMs, reason: isIp ? "address" : "account" };
      }
    }
    return verdict;
  }

  /** Counts one failure against every key. */
  async fail(keys: string[], nowMs = Date.now()): Promise<void> {
    const now = new Date(nowMs);
    const forgotten = new Date(nowMs - this.settings.forgetMs);
    for (const key of keys) {
      await this.database.db.insert(loginThrottle).values({ key, failures: 1, lastFailureAt: now })
        .onConflictDoUpdate({
          target: loginThrottle.key,
          set: {
            failures:
              sql`case when ${loginThrottle.lastFailureAt} <= ${forgotten.toISOString()}::timestamptz
              then 1 else ${loginThrottle.failures} + 1 end`,
            lastFailureAt: now,
          },
        });
    }
  }

  /**
   * A successful sign-in clears its account's counter. The address counter stays: signing in
   * to one's own account must not reset the count of guesses against others.
   */
  async succeed(keys: string[]): Promise<void> {
    const accounts = keys.filter((k) => k.startsWith("user:"));
    if (accounts.length > 0) {
      await this.database.db.delete(loginThrottle).where(inArray(loginThrottle.key, accounts));
    }
  }
}
