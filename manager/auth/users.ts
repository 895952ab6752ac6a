// Users and their roles. Every change goes through here and writes its audit entry in the same
// transaction; the last admin cannot be demoted or deleted, and nobody deletes themselves.
import { asc, count, eq, sql } from "drizzle-orm";
import type { Database, Drizzle } from "../db/mod.ts";
import { type Role, ROLES, users } from "../db/schema/auth.ts";
import type { Actor, AuditLog } from "./audit.ts";
import { AuthError, nameProblem } from "./errors.ts";
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from "./password.ts";

export interface UserView {
  id: number;
  name: string;
  role: Role;
  hasPassword: boolean;
  createdAt: Date;
  /** API tokens not revoked. */
  activeTokens: number;
}

/** What the audit log keeps of a user: never the password hash. */
export function userSnapshot(u: { id: number; name: string; role: Role; hasPassword: boolean }) {
  return { id: u.id, name: u.name, role: u.role, hasPassword: u.hasPassword };
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

function uniqueViolation(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as never) {
    if (e.code === "23505") return true;
  }
  return false;
}

export interface NewUser {
  name: string;
  role: string;
  /** Omit to create the account without a password (it signs in with a one-time link). */
  password?: string;
}

export class UserService {
  constructor(
    readonly database: Database,
    readonly audit: AuditLog,
    readonly options: { passwordIterations?: number } = {},
  ) {}

  async list(): Promise<UserView[]> {
    const rows = await this.database.db.select({
      id: users.id,
      name: users.name,
      role: users.role,
      passwordHash: users.passwordHash,
      createdAt: users.createdAt,
      // Spelled out: inside the subquery drizzle's unqualified "id" would mean api_tokens.id.
      activeTokens: sql<number>`(select count(*) from "api_tokens" t
        where t."user_id" = "users"."id" and t."revoked_at" is null)`,
    }).from(users).orderBy(asc(users.id));
    return rows.map(({ passwordHash, activeTokens, ...u }) => ({
      ...u,
      hasPassword: !!passwordHash,
      activeTokens: Number(activeTokens),
    }));
  }

  async get(id: number, tx?: Drizzle): Promise<UserView | undefined> {
    if (!Number.isSafeInteger(id) || id < 1 || id > 2 ** 31 - 1) return undefined;
    const [row] = await (tx ?? this.database.db).select().from(users).where(eq(users.id, id));
    return row && { ...this.#view(row), activeTokens: 0 };
  }

  async findByName(
    name: string,
  ): Promise<(UserView & { passwordHash: string | null }) | undefined> {
    const [row] = await this.database.db.select().from(users)
      .where(sql`lower(${users.name}) = lower(${name.trim()})`);
    return row && { ...this.#view(row), activeTokens: 0, passwordHash: row.passwordHash };
  }

  async count(): Promise<number> {
    const [row] = await this.database.db.select({ n: count() }).from(users);
    return Number(row?.n ?? 0);
  }

  async create(actor: Actor, input: NewUser): Promise<UserView> {
    const name = input.name.trim();
    const problem = nameProblem(name);
    if (problem) throw new AuthError("invalid", `User name ${problem}.`, "name");
    if (!isRole(input.role)) {
      throw new AuthError("invalid", `Role must be one of ${ROLES.join(", ")}.`, "role");
    }
    const role = input.role;
    let passwordHash: string | null = null;
    if (input.password !== undefined && input.password !== "") {
      const weak = passwordProblem(input.password);
      if (weak) throw new AuthError("invalid", `Password ${weak}.`, "password");
      passwordHash = await hashPassword(input.password, this.#hashOptions());
    }
    try {
      return await this.database.db.transaction(async (tx) => {
        const [row] = await tx.insert(users).values({ name, role, passwordHash }).returning();
        const view = { ...this.#view(row!), activeTokens: 0 };
        await this.audit.record(actor, {
          action: "user.create",
          target: { type: "user", id: view.id },
          after: userSnapshot(view),
        }, tx);
        return view;
      });
    } catch (err) {
      if (uniqueViolation(err)) {
        throw new AuthError("conflict", `A user named "${name}" already exists.`, "name");
      }
      throw err;
    }
  }

  async setRole(actor: Actor, id: number, role: string): Promise<UserView> {
    if (!isRole(role)) {
      throw new AuthError("invalid", `Role must be one of ${ROLES.join(", ")}.`, "role");
    }
    return await this.database.db.transaction(async (tx) => {
      const before = await this.#lockAdmins(tx, id);
      if (before.role === role) return before;
      if (before.role === "admin" && before.adminCount === 1) {
        throw new AuthError("conflict", "The last admin cannot lose the admin role.", "role");
      }
      const [row] = await tx.update(users).set({ role, updatedAt: new Date() })
        .where(eq(users.id, id)).returning();
      const after = { ...this.#view(row!), activeTokens: 0 };
      await this.audit.record(actor, {
        action: "user.role",
        target: { type: "user", id },
        before: userSnapshot(before),
        after: userSnapshot(after),
      }, tx);
      return after;
    });
  }

  async setPassword(actor: Actor, id: number, password: string): Promise<void> {
    const weak = passwordProblem(password);
    if (weak) throw new AuthError("invalid", `Password ${weak}.`, "password");
    const passwordHash = await hashPassword(password, this.#hashOptions());
    await this.database.db.transaction(async (tx) => {
      const before = await this.get(id, tx);
      if (!before) throw new AuthError("not_found", `No user with id ${id}.`);
      await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, id));
      await this.audit.record(actor, {
        action: "user.password",
        target: { type: "user", id },
        before: userSnapshot(before),
        after: userSnapshot({ ...before, hasPassword: true }),
      }, tx);
    });
  }

  async delete(actor: Actor, id: number): Promise<void> {
    if ((actor.kind === "user" || actor.kind === "token") && actor.id === id) {
      throw new AuthError("forbidden", "You cannot delete your own account.");
    }
    await this.database.db.transaction(async (tx) => {
      const before = await this.#lockAdmins(tx, id);
      if (before.role === "admin" && before.adminCount === 1) {
        throw new AuthError("conflict", "The last admin cannot be deleted.");
      }
      // Sessions, tokens and sign-in links go with the account (ON DELETE CASCADE).
      await tx.delete(users).where(eq(users.id, id));
      await this.audit.record(actor, {
        action: "user.delete",
        target: { type: "user", id },
        before: userSnapshot(before),
      }, tx);
    });
  }

  /**
   * The user whose name and password match, or undefined (always after a full-cost hash).
   * A hash made with fewer iterations than configured is replaced on the way.
   */
  async verifyLogin(name: string, password: string): Promise<UserView | undefined> {
    const user = await this.findByName(name.slice(0, 256));
    const ok = await verifyPassword(password.slice(0, 4096), user?.passwordHash);
    if (!ok || !user) return undefined;
    if (needsRehash(user.passwordHash!, this.#hashOptions().iterations)) {
      const passwordHash = await hashPassword(password, this.#hashOptions());
      await this.database.db.update(users).set({ passwordHash }).where(eq(users.id, user.id));
    }
    const { passwordHash: _, ...view } = user;
    return view;
  }

  #hashOptions() {
    return { iterations: this.options.passwordIterations };
  }

  #view(row: typeof users.$inferSelect): Omit<UserView, "activeTokens"> {
    return {
      id: row.id,
      name: row.name,
      role: row.role,
      hasPassword: !!row.passwordHash,
      createdAt: row.createdAt,
    };
  }

  /** Locks the admin rows (so two demotions cannot both pass the last-admin check). */
  async #lockAdmins(tx: Drizzle, id: number): Promise<UserView & { adminCount: number }> {
    const admins = await tx.select({ id: users.id }).from(users).where(eq(users.role, "admin"))
      .for("update");
    const user = await this.get(id, tx);
    if (!user) throw new AuthError("not_found", `No user with id ${id}.`);
    return { ...user, adminCount: admins.length };
  }
}
