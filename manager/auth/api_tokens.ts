// REST API tokens: `tplu_` + 256 random bits, shown once, stored as a SHA-256, scoped
// (read / write / admin, never above the owner's role) and revocable. Appliance credentials
// are a different kind (`tpla_`, their own table, issue #4) and are never accepted here.
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/mod.ts";
import { apiTokens, type Role, TOKEN_SCOPES, type TokenScope, users } from "../db/schema/auth.ts";
import type { Actor, AuditLog } from "./audit.ts";
import { AuthError, nameProblem } from "./errors.ts";
import { maxScopeFor, scopeRank } from "./policy.ts";
import { randomSecret, sha256Hex } from "./secrets.ts";

/** Prefix of user API tokens. */
export const USER_TOKEN_PREFIX = "tplu_";
/** Prefix reserved for appliance credentials (issue #4): refused wherever users authenticate. */
export const APPLIANCE_TOKEN_PREFIX = "tpla_";

const TOKEN_FORMAT = /^tplu_[A-Za-z0-9_-]{43}$/;
const TOUCH_EVERY_MS = 60_000;

export interface TokenView {
  id: number;
  userId: number;
  name: string;
  scope: TokenScope;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** A token that authenticated a request. */
export interface TokenIdentity {
  tokenId: number;
  scope: TokenScope;
  user: { id: number; name: string; role: Role };
}

export type TokenCheck = { ok: true; identity: TokenIdentity } | { ok: false; reason: string };

export function isScope(value: unknown): value is TokenScope {
  return typeof value === "string" && (TOKEN_SCOPES as readonly string[]).includes(value);
}

function snapshot(t: TokenView) {
  return { id: t.id, userId: t.userId, name: t.name, scope: t.scope, prefix: t.prefix };
}

export class ApiTokenStore {
  constructor(readonly database: Database, readonly audit: AuditLog) {}

  /**
   * Creates a token for `owner`. `limit` is the strongest scope the caller may hand out (its
   * own token's scope when it calls with a token). Returns the secret: it is never stored.
   */
  async create(
    actor: Actor,
    owner: { id: number; role: Role },
    input: { name: string; scope: string; expiresAt?: Date; limit?: TokenScope },
  ): Promise<{ token: string; view: TokenView }> {
    const name = input.name.trim();
    const problem = nameProblem(name, 100);
    if (problem) throw new AuthError("invalid", `Token name ${problem}.`, "name");
    if (!isScope(input.scope)) {
      throw new AuthError("invalid", `Scope must be one of ${TOKEN_SCOPES.join(", ")}.`, "scope");
    }
    let max = maxScopeFor(owner.role);
    if (input.limit && scopeRank(input.limit) < scopeRank(max)) max = input.limit;
    if (scopeRank(input.scope) > scopeRank(max)) {
      throw new AuthError(
        "forbidden",
        `Scope ${input.scope} is above what you may grant (at most ${max}).`,
        "scope",
      );
    }
    const token = USER_TOKEN_PREFIX + randomSecret(32);
    return await this.database.db.transaction(async (tx) => {
      const [row] = await tx.insert(apiTokens).values({
        userId: owner.id,
        name,
        scope: input.scope as TokenScope,
        prefix: token.slice(0, USER_TOKEN_PREFIX.length + 6),
        tokenHash: await sha256Hex(token),
        expiresAt: input.expiresAt ?? null,
      }).returning();
      const view = toView(row!);
      await this.audit.record(actor, {
        action: "token.create",
        target: { type: "token", id: view.id },
        after: snapshot(view),
      }, tx);
      return { token, view };
    });
  }

  /** Tokens of one user (or of everyone), newest first, revoked ones included. */
  async list(userId?: number): Promise<TokenView[]> {
    const rows = await this.database.db.select().from(apiTokens)
      .where(userId === undefined ? undefined : eq(apiTokens.userId, userId))
      .orderBy(desc(apiTokens.id));
    return rows.map(toView);
  }

  async get(id: number): Promise<TokenView | undefined> {
    if (!Number.isSafeInteger(id) || id < 1 || id > 2 ** 31 - 1) return undefined;
    const [row] = await this.database.db.select().from(apiTokens).where(eq(apiTokens.id, id));
    return row && toView(row);
  }

  /**
   * Revokes a token. Its owner may revoke it; so may an admin (`asAdmin`). Revoking a revoked
   * token changes nothing and writes no entry.
   */
  async revoke(actor: Actor, id: number, caller: { id: number; asAdmin: boolean }): Promise<void> {
    const token = await this.get(id);
    if (!token || (token.userId !== caller.id && !caller.asAdmin)) {
      throw new AuthError("not_found", `No API token with id ${id}.`);
    }
    if (token.revokedAt) return;
    await this.database.db.transaction(async (tx) => {
      const now = new Date();
      await tx.update(apiTokens).set({ revokedAt: now })
        .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)));
      await this.audit.record(actor, {
        action: "token.revoke",
        target: { type: "token", id },
        before: { ...snapshot(token), revoked: false },
        after: { ...snapshot(token), revoked: true },
      }, tx);
    });
  }

  /** Checks a bearer token: known, not revoked, not expired, its owner still there. */
  async authenticate(token: string, nowMs = Date.now()): Promise<TokenCheck> {
    if (token.startsWith(APPLIANCE_TOKEN_PREFIX)) {
      return { ok: false, reason: "appliance credentials are accepted only by appliance routes" };
    }
    if (!TOKEN_FORMAT.test(token)) return { ok: false, reason: "not a Tapline API token" };
    const [row] = await this.database.db.select({
      id: apiTokens.id,
      scope: apiTokens.scope,
      lastUsedAt: apiTokens.lastUsedAt,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
      userId: users.id,
      userName: users.name,
      role: users.role,
    }).from(apiTokens).innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.tokenHash, await sha256Hex(token)));
    if (!row) return { ok: false, reason: "unknown API token" };
    if (row.revokedAt) return { ok: false, reason: "this API token was revoked" };
    if (row.expiresAt && row.expiresAt.getTime() <= nowMs) {
      return { ok: false, reason: "this API token has expired" };
    }
    if (!row.lastUsedAt || nowMs - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
      await this.database.db.update(apiTokens).set({ lastUsedAt: new Date(nowMs) })
        .where(eq(apiTokens.id, row.id));
    }
    return {
      ok: true,
      identity: {
        tokenId: row.id,
        scope: row.scope,
        user: { id: row.userId, name: row.userName, role: row.role },
      },
    };
  }
}

function toView(row: typeof apiTokens.$inferSelect): TokenView {
  const { tokenHash: _, ...view } = row;
  return view;
}
