// The inventory in the database: CRUD per kind, import and export, every change audited in its
// own transaction, and the compiled tagger kept in step with what is stored.
import { asc, eq, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Database, Drizzle } from "../db/mod.ts";
import { invHost, invPod, invRegion, invService, invSubnet, invVpc } from "../db/schema/mod.ts";
import type { Actor, AuditRecorder } from "../auth/mod.ts";
import { FIELDS, type Item, itemKey, type Kind, KINDS, PLURAL, validateItem } from "./kinds.ts";
import { compileTagger, type InventorySnapshot, type Tagger } from "./tagger.ts";

/** One problem: on which line (imports) or field, and what is wrong. */
export interface Problem {
  line?: number;
  kind?: Kind;
  field?: string;
  message: string;
}

export class InventoryError extends Error {
  override name = "InventoryError";
  constructor(
    readonly kind: "invalid" | "not_found" | "conflict",
    readonly problems: Problem[],
  ) {
    super(problems.map(problemText).join("; "));
  }
}

export function problemText(p: Problem): string {
  const where = [p.line === undefined ? "" : `line ${p.line}`, p.field ?? ""].filter((s) => s)
    .join(", ");
  return where ? `${where}: ${p.message}` : p.message;
}

// deno-lint-ignore no-explicit-any
type AnyTable = PgTable & Record<string, any>;
const TABLES: Readonly<Record<Kind, AnyTable>> = {
  region: invRegion,
  vpc: invVpc,
  subnet: invSubnet,
  host: invHost,
  service: invService,
  pod: invPod,
};

/** Which kinds name a kind in which field (for rename cascades and delete checks). */
const REFERRERS: Readonly<Record<Kind, readonly [Kind, string][]>> = {
  region: [["vpc", "region"], ["subnet", "region"], ["host", "region"]],
  vpc: [["subnet", "vpc"], ["host", "vpc"]],
  subnet: [],
  host: [["pod", "host"]],
  service: [],
  pod: [],
};

/** Every stored item, by kind. */
export type InventoryDump = Record<Kind, Item[]>;

/** An item to import, with the line it came from. */
export interface ImportItem {
  kind: Kind;
  line: number;
  input: Record<string, unknown>;
}

export interface ImportResult {
  created: number;
  updated: number;
  /** Items deleted because `replace` was asked. */
  deleted: number;
}

function columnsOf(kind: Kind, item: Item): Record<string, unknown> {
  const out: Record<string, unknown> = { updatedAt: new Date() };
  for (const f of FIELDS[kind]) out[f.key] = item[f.key];
  return out;
}

function rowToItem(kind: Kind, row: Record<string, unknown>): Item {
  const item: Item = { id: row.id as number, name: row.name as string };
  for (const f of FIELDS[kind]) item[f.key] = row[f.key];
  return item;
}

async function dumpWith(db: Drizzle): Promise<InventoryDump> {
  const out = {} as InventoryDump;
  for (const kind of KINDS) {
    const table = TABLES[kind];
    const rows = await db.select().from(table).orderBy(asc(table.name), asc(table.id));
    out[kind] = (rows as Record<string, unknown>[]).map((r) => rowToItem(kind, r));
  }
  return out;
}

/** References that point at nothing, in a whole (prospective) inventory. */
function danglingRefs(all: InventoryDump, lines?: Map<Item, number>): Problem[] {
  const names: Record<Kind, Set<string>> = {} as Record<Kind, Set<string>>;
  for (const kind of KINDS) names[kind] = new Set(all[kind].map((i) => i.name));
  const problems: Problem[] = [];
  for (const kind of KINDS) {
    for (const f of FIELDS[kind]) {
      if (f.type !== "ref" || !f.ref) continue;
      for (const item of all[kind]) {
        const value = item[f.key] as string;
        if (value && !names[f.ref].has(value)) {
          problems.push({
            line: lines?.get(item),
            kind,
            field: f.key,
            message: `${kind} ${
              itemKey(kind, item)
            } names ${f.ref} "${value}", which does not exist`,
          });
        }
      }
    }
  }
  return problems;
}

export interface InventoryServiceOptions {
  audit: AuditRecorder;
  /** Called after every committed change (e.g. to start a re-tag). */
  onChange?: () => void;
  /** How often a cached tagger looks for changes made by other managers (10 s by default). */
  recheckMs?: number;
}

/** How often a cached tagger checks whether another manager changed the inventory. */
const RECHECK_MS = 10_000;

export class InventoryService {
  #tagger: Promise<Tagger> | undefined;
  #signature = "";
  #checkedAt = 0;
  #generation = 0;

  constructor(readonly database: Database, readonly options: InventoryServiceOptions) {}

  /** How many times the inventory changed since start; the tagger is rebuilt after each. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * The compiled tagger for the current inventory: rebuilt after a change made here at once,
   * and after a change made by another manager (same database) within {@link RECHECK_MS}.
   */
  async tagger(): Promise<Tagger> {
    const recheckMs = this.options.recheckMs ?? RECHECK_MS;
    if (this.#tagger && Date.now() - this.#checkedAt >= recheckMs) {
      this.#checkedAt = Date.now();
      if ((await this.#currentSignature()) !== this.#signature) this.#tagger = undefined;
    }
    if (!this.#tagger) {
      this.#checkedAt = Date.now();
      const building = this.#currentSignature().then(async (signature) => {
        const tagger = compileTagger(await this.snapshot());
        this.#signature = signature;
        return tagger;
      });
      this.#tagger = building;
      // A failed build is not cached: the next call tries again.
      building.catch(() => {
        if (this.#tagger === building) this.#tagger = undefined;
      });
    }
    return await this.#tagger;
  }

  /** Row counts and latest change of every inventory table: differs after any write. */
  async #currentSignature(): Promise<string> {
    const parts = KINDS.map((k) =>
      sql`select count(*)::text || '@' || coalesce(max(${
        TABLES[k].updatedAt
      })::text, '') as s from ${TABLES[k]}`
    );
    const rows = await this.database.rows<{ s: string }>(sql.join(parts, sql` union all `));
    return rows.map((r) => r.s).sort().join("|");
  }

  #changed(): void {
    this.#generation++;
    this.#tagger = undefined;
    this.options.onChange?.();
  }

  async snapshot(): Promise<InventorySnapshot> {
    const d = await this.dump();
    const labels = (i: Item) => (i.labels ?? {}) as Record<string, string>;
    return {
      vpcs: d.vpc.map((v) => ({ name: v.name, region: v.region as string })),
      subnets: d.subnet.map((s) => ({
        id: s.id!,
        name: s.name,
        cidr: s.cidr as string,
        vpc: s.vpc as string,
        region: s.region as string,
        labels: labels(s),
      })),
      hosts: d.host.map((h) => ({
        name: h.name,
        ips: h.ips as string[],
        region: h.region as string,
        vpc: h.vpc as string,
        labels: labels(h),
      })),
      services: d.service.map((s) => ({
        name: s.name,
        protocol: s.protocol as number,
        endpoints: s.endpoints as string[],
        labels: labels(s),
      })),
      pods: d.pod.map((p) => ({
        name: p.name,
        namespace: p.namespace as string,
        ips: p.ips as string[],
        host: p.host as string,
        labels: labels(p),
      })),
    };
  }

  dump(): Promise<InventoryDump> {
    return dumpWith(this.database.db);
  }

  async list(kind: Kind): Promise<Item[]> {
    return (await this.dump())[kind];
  }

  async get(kind: Kind, id: number): Promise<Item | undefined> {
    const table = TABLES[kind];
    const [row] = await this.database.db.select().from(table).where(eq(table.id, id));
    return row ? rowToItem(kind, row as Record<string, unknown>) : undefined;
  }

  async create(actor: Actor, kind: Kind, input: Record<string, unknown>): Promise<Item> {
    const v = validateItem(kind, input);
    if (v.errors) throw invalid(kind, v.errors);
    return await this.database.db.transaction(async (tx) => {
      const all = await dumpWith(tx);
      const key = itemKey(kind, v.item);
      if (all[kind].some((i) => itemKey(kind, i) === key)) {
        throw new InventoryError("conflict", [{
          kind,
          field: "name",
          message: `${kind} ${key} exists`,
        }]);
      }
      this.#uniqueValues(kind, v.item, all);
      all[kind].push(v.item);
      const dangling = danglingRefs(all);
      if (dangling.length > 0) throw new InventoryError("invalid", dangling);
      const [row] = await tx.insert(TABLES[kind]).values(columnsOf(kind, v.item)).returning();
      const item = rowToItem(kind, row as Record<string, unknown>);
      await this.options.audit(actor, {
        action: "inventory.create",
        target: { type: kind, id: item.id },
        after: item,
      }, tx);
      return item;
    }).then((r) => {
      this.#changed();
      return r;
    });
  }

  async update(
    actor: Actor,
    kind: Kind,
    id: number,
    input: Record<string, unknown>,
  ): Promise<Item> {
    const v = validateItem(kind, input);
    if (v.errors) throw invalid(kind, v.errors);
    return await this.database.db.transaction(async (tx) => {
      const all = await dumpWith(tx);
      const before = all[kind].find((i) => i.id === id);
      if (!before) {
        throw new InventoryError("not_found", [{ kind, message: `no ${kind} with id ${id}` }]);
      }
      const key = itemKey(kind, v.item);
      if (all[kind].some((i) => i.id !== id && itemKey(kind, i) === key)) {
        throw new InventoryError("conflict", [{
          kind,
          field: "name",
          message: `${kind} ${key} exists`,
        }]);
      }
      const others = { ...all, [kind]: all[kind].filter((i) => i.id !== id) };
      this.#uniqueValues(kind, v.item, others);
      // A rename carries the references along: the VPCs of a renamed region follow it.
      const renamed = before.name !== v.item.name;
      const after = { ...v.item, id };
      const next = { ...others, [kind]: [...others[kind], after] } as InventoryDump;
      if (renamed) {
        for (const [k, field] of REFERRERS[kind]) {
          for (const i of next[k]) if (i[field] === before.name) i[field] = v.item.name;
        }
      }
      const dangling = danglingRefs(next);
      if (dangling.length > 0) throw new InventoryError("invalid", dangling);
      const table = TABLES[kind];
      await tx.update(table).set(columnsOf(kind, v.item)).where(eq(table.id, id));
      if (renamed) {
        for (const [k, field] of REFERRERS[kind]) {
          const t = TABLES[k];
          await tx.update(t).set({ [field]: v.item.name }).where(eq(t[field], before.name));
        }
      }
      await this.options.audit(actor, {
        action: "inventory.update",
        target: { type: kind, id },
        before,
        after,
      }, tx);
      return after;
    }).then((r) => {
      this.#changed();
      return r;
    });
  }

  async delete(actor: Actor, kind: Kind, id: number): Promise<void> {
    await this.database.db.transaction(async (tx) => {
      const all = await dumpWith(tx);
      const before = all[kind].find((i) => i.id === id);
      if (!before) {
        throw new InventoryError("not_found", [{ kind, message: `no ${kind} with id ${id}` }]);
      }
      const users = REFERRERS[kind].flatMap(([k, field]) =>
        all[k].filter((i) => i[field] === before.name).map((i) => `${k} ${itemKey(k, i)}`)
      );
      if (users.length > 0) {
        throw new InventoryError("conflict", [{
          kind,
          message: `${kind} ${before.name} is still named by ${users.slice(0, 5).join(", ")}${
            users.length > 5 ? ` and ${users.length - 5} more` : ""
          }`,
        }]);
      }
      const table = TABLES[kind];
      await tx.delete(table).where(eq(table.id, id));
      await this.options.audit(actor, {
        action: "inventory.delete",
        target: { type: kind, id },
        before,
      }, tx);
    }).then((r) => {
      this.#changed();
      return r;
    });
  }

  /**
   * Imports items in one transaction: every item is validated and every reference resolved
   * first, and any problem (each named with its line) stores nothing. Items are matched by key
   * (name; namespace/name for pods): new ones are created, known ones updated; with `replace`,
   * stored items the import does not name are deleted.
   */
  async import(
    actor: Actor,
    items: ImportItem[],
    options: { replace?: boolean; source?: string } = {},
  ): Promise<ImportResult> {
    const problems: Problem[] = [];
    const lines = new Map<Item, number>();
    const incoming = Object.fromEntries(KINDS.map((k) => [k, [] as Item[]])) as InventoryDump;
    const seen = new Map<string, number>();
    for (const { kind, line, input } of items) {
      const v = validateItem(kind, input);
      if (v.errors) {
        for (const [field, message] of Object.entries(v.errors)) {
          problems.push({ line, kind, field, message });
        }
        continue;
      }
      const key = `${kind} ${itemKey(kind, v.item)}`;
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({ line, kind, field: "name", message: `${key} is also on line ${first}` });
        continue;
      }
      seen.set(key, line);
      lines.set(v.item, line);
      incoming[kind].push(v.item);
    }
    if (problems.length > 0) throw new InventoryError("invalid", problems);

    const result: ImportResult = { created: 0, updated: 0, deleted: 0 };
    await this.database.db.transaction(async (tx) => {
      const stored = await dumpWith(tx);
      const next = {} as InventoryDump;
      for (const kind of KINDS) {
        const byKey = new Map(incoming[kind].map((i) => [itemKey(kind, i), i]));
        const kept = options.replace
          ? []
          : stored[kind].filter((i) => !byKey.has(itemKey(kind, i)));
        next[kind] = [...kept, ...incoming[kind]];
      }
      for (const kind of KINDS) {
        for (const item of incoming[kind]) {
          try {
            this.#uniqueValues(kind, item, {
              ...next,
              [kind]: next[kind].filter((i) => i !== item),
            });
          } catch (err) {
            if (!(err instanceof InventoryError)) throw err;
            problems.push(...err.problems.map((p) => ({ ...p, line: lines.get(item) })));
          }
        }
      }
      problems.push(...danglingRefs(next, lines));
      if (problems.length > 0) throw new InventoryError("invalid", problems);

      for (const kind of KINDS) {
        const table = TABLES[kind];
        const byKey = new Map(stored[kind].map((i) => [itemKey(kind, i), i]));
        const named = new Set(incoming[kind].map((i) => itemKey(kind, i)));
        if (options.replace) {
          for (const old of stored[kind]) {
            if (named.has(itemKey(kind, old))) continue;
            await tx.delete(table).where(eq(table.id, old.id!));
            result.deleted++;
          }
        }
        for (const item of incoming[kind]) {
          const old = byKey.get(itemKey(kind, item));
          if (old) {
            await tx.update(table).set(columnsOf(kind, item)).where(eq(table.id, old.id!));
            result.updated++;
          } else {
            await tx.insert(table).values(columnsOf(kind, item));
            result.created++;
          }
        }
      }
      await this.options.audit(actor, {
        action: "inventory.import",
        target: { type: "inventory" },
        after: {
          ...result,
          items: items.length,
          replace: !!options.replace,
          source: options.source,
        },
      }, tx);
    }).then((r) => {
      this.#changed();
      return r;
    });
    return result;
  }

  /** Values that must be unique across a kind besides its key: a subnet's CIDR, an address. */
  #uniqueValues(kind: Kind, item: Item, others: InventoryDump): void {
    const clash = (field: string, values: string[], pool: Item[], what: string) => {
      for (const other of pool) {
        const theirs = other[field];
        const list = Array.isArray(theirs) ? theirs as string[] : [theirs as string];
        const hit = values.find((v) => list.includes(v));
        if (hit) {
          throw new InventoryError("conflict", [{
            kind,
            field,
            message: `${what} ${hit} already belongs to ${kind} ${itemKey(kind, other)}`,
          }]);
        }
      }
    };
    if (kind === "subnet") clash("cidr", [item.cidr as string], others.subnet, "CIDR");
    if (kind === "host") clash("ips", item.ips as string[], others.host, "address");
    if (kind === "pod") clash("ips", item.ips as string[], others.pod, "address");
    if (kind === "service") {
      const same = others.service.filter((s) => s.protocol === item.protocol);
      clash("endpoints", item.endpoints as string[], same, "endpoint");
    }
  }
}

function invalid(kind: Kind, errors: Record<string, string>): InventoryError {
  return new InventoryError(
    "invalid",
    Object.entries(errors).map(([field, message]) => ({ kind, field, message })),
  );
}

export { PLURAL };
