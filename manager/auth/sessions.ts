// Browser sessions: a random 256-bit id in an HttpOnly cookie, only its SHA-256 in the database,
// an absolute expiry and an idle timeout, and a synchronizer CSRF token bound to each session.
import { and, eq, lt, ne, or } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import { type Role, sessions, users } from "../db/schema/auth.ts";
import { randomSecret, sha256Hex } from "./secrets.ts";

export interface SessionSettings {
  /** Absolute lifetime of a session, ms. */
  ttlMs: number;
  /** A session unused for this long ends, ms. */
  idleMs: number;
}

/** The signed-in user as the session sees it on every request (role read fresh each time). */
export interface SessionUser {
  id: number;
  name: string;
  role: Role;
  hasPassword: boolean;
}

export interface ActiveSession {
  idHash: string;
  csrfToken: string;
  expiresAt: Date;
  user: SessionUser;
}

/** lastSeenAt is written at most this often: not one write per request. */
const TOUCH_EVERY_MS = 60_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  constructor(readonly database: Database, readonly settings: SessionSettings) {}

  /** Starts a new session with a fresh id (never one the client chose). */
  async create(
    userId: number,
    meta: { ip?: string; userAgent?: string } = {},
    nowMs = Date.now(),
  ): Promise<{ id: string; csrfToken: string; expiresAt: Date }> {
    await this.purgeExpired(nowMs);
    const id = randomSecret(32);
    const csrfToken = randomSecret(32);
    const expiresAt = new Date(nowMs + this.settings.ttlMs);
    await this.database.db.insert(sessions).values({
      idHash: await sha256Hex(id),
      userId,
      csrfToken,
      createdAt: new Date(nowMs),
      lastSeenAt: new Date(nowMs),
      expiresAt,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 256) ?? null,
    });
    return { id, csrfToken, expiresAt };
  }

  /** The live session for a cookie value; expired and idle sessions are removed and undefined. */
  async lookup(id: string, nowMs = Date.now()): Promise<ActiveSession | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    const idHash = await sha256Hex(id);
    const [row] = await this.database.db.select({
      csrfToken: sessions.csrfToken,
      expiresAt: sessions.expiresAt,
      lastSeenAt: sessions.lastSeenAt,
      userId: users.id,
      name: users.name,
      role: users.role,
      passwordHash: users.passwordHash,
    }).from(sessions).innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.idHash, idHash));
    if (!row) return undefined;
    const idleSince = row.lastSeenAt.getTime();
    if (row.expiresAt.getTime() <= nowMs || idleSince + this.settings.idleMs <= nowMs) {
      await this.database.db.delete(sessions).where(eq(sessions.idHash, idHash));
      return undefined;
    }
    if (nowMs - idleSince >= TOUCH_EVERY_MS) {
      await this.database.db.update(sessions).set({ lastSeenAt: new Date(nowMs) })
        .where(eq(sessions.idHash, idHash));
    }
    return {
      idHash,
      csrfToken: row.csrfToken,
      expiresAt: row.expiresAt,
      user: { id: row.userId, name: row.name, role: row.role, hasPassword: !!row.passwordHash },
    };
  }

  /** Ends one session (logout). */
  async destroy(id: string): Promise<void> {
    if (!SESSION_ID.test(id)) return;
    await this.database.db.delete(sessions).where(eq(sessions.idHash, await sha256Hex(id)));
  }

  /** Ends every session of a user, except the one whose hash is `keepIdHash`. */
  async destroyForUser(userId: number, keepIdHash?: string): Promise<void> {
    const mine = eq(sessions.userId, userId);
    await this.database.db.delete(sessions).where(
      keepIdHash ? and(mine, ne(sessions.idHash, keepIdHash)) : mine,
    );
  }

  async purgeExpired(nowMs = Date.now()): Promise<void> {
    await this.database.db.delete(sessions).where(or(
      lt(sessions.expiresAt, new Date(nowMs)),
      lt(sessions.lastSeenAt, new Date(nowMs - this.settings.idleMs)),
    ));
  }
}
