// The audit log: who changed what, when, from where, with the state before and after. Writers
// call `record()`, inside the transaction of the change when there is one, so that a change and
// its entry land together. Nothing here updates or deletes (the table's trigger would refuse).
import { and, count, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import type { Database, Drizzle } from "../db/mod.ts";
import { auditLog } from "../db/schema/auth.ts";

/** Who did it. `ip` is the client address of the request, absent for the CLI and the system. */
export interface Actor {
  kind: "user" | "token" | "cli" | "system" | "appliance";
  /** The user's id for `user` and `token` actors. */
  id?: number;
  name: string;
  ip?: string;
}

/** What was done: `user.create`, `token.revoke`, `license.install`, `policy.update`, … */
export interface AuditEntry {
  action: string;
  target: { type: string; id?: string | number };
  /** The state before the change (omit for creations); never secrets or their hashes. */
  before?: unknown;
  /** The state after the change (omit for deletions). */
  after?: unknown;
}

/** One stored entry, as pages and the API show it. */
export interface AuditRow {
  id: number;
  time: Date;
  actorKind: string;
  actorId: number | null;
  actorName: string;
  action: string;
  targetType: string;
  targetId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
}

export interface AuditFilter {
  /** Actor name, matched without regard to case. */
  actor?: string;
  /** An exact action (`user.create`) or a family (`user.*`). */
  action?: string;
  fromMs?: number;
  toMs?: number;
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** A writer of audit entries; the license module and future modules receive one. */
export type AuditRecorder = (actor: Actor, entry: AuditEntry, tx?: Drizzle) => Promise<void>;

/** Actions and families look like `user.create` / `user.*`: anything else is refused early. */
export const ACTION_PATTERN = /^[a-z][a-z0-9_]*(?:\.(?:[a-z0-9_]+|\*))*$/;

export class AuditLog {
  constructor(readonly database: Database) {}

  /** Appends one entry; pass the transaction of the change as `tx`. */
  record: AuditRecorder = async (actor, entry, tx) => {
    await (tx ?? this.database.db).insert(auditLog).values({
      actorKind: actor.kind,
      actorId: actor.id ?? null,
      actorName: actor.name,
      action: entry.action,
      targetType: entry.target.type,
      targetId: entry.target.id === undefined ? null : String(entry.target.id),
      before: entry.before ?? null,
      after: entry.after ?? null,
      ip: actor.ip ?? null,
    });
  };

  /** A page of entries, newest first, and how many match in all. */
  async list(filter: AuditFilter): Promise<{ rows: AuditRow[]; total: number }> {
    const where = whereOf(filter);
    const [rows, totals] = await Promise.all([
      this.database.db.select().from(auditLog).where(where).orderBy(desc(auditLog.id))
        .limit(filter.pageSize).offset((filter.page - 1) * filter.pageSize),
      this.database.db.select({ n: count() }).from(auditLog).where(where),
    ]);
    return { rows: rows as AuditRow[], total: Number(totals[0]?.n ?? 0) };
  }

  /** Every action recorded so far, for the filter's choices. */
  async actions(): Promise<string[]> {
    const rows = await this.database.db.selectDistinct({ action: auditLog.action }).from(auditLog)
      .orderBy(auditLog.action);
    return rows.map((r) => r.action);
  }
}

function whereOf(filter: AuditFilter): SQL | undefined {
  const parts: SQL[] = [];
  if (filter.actor) parts.push(sql`lower(${auditLog.actorName}) = lower(${filter.actor})`);
  if (filter.action?.endsWith(".*")) {
    // ACTION_PATTERN admits no `%`; `_` is escaped so that the prefix is literal.
    const prefix = filter.action.slice(0, -1).replaceAll("_", "\\_");
    parts.push(sql`${auditLog.action} like ${prefix + "%"}`);
  } else if (filter.action) parts.push(eq(auditLog.action, filter.action));
  if (filter.fromMs !== undefined) parts.push(gte(auditLog.time, new Date(filter.fromMs)));
  if (filter.toMs !== undefined) parts.push(lt(auditLog.time, new Date(filter.toMs)));
  return parts.length > 0 ? and(...parts) : undefined;
}
