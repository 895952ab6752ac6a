// The data layer of gating: which request-log / span rows the licensed modules make visible
// (DESIGN §1, second table). Every query, export and API over those rows adds this condition;
// a user sees the union over the licensed modules, and nothing when none grants rows.
import { type Column, type SQL, sql } from "drizzle-orm";
import { MODULE_KEYS, type ModuleKey, MODULES, type RowRule } from "./modules.ts";

/** The rules of the licensed modules that grant rows. */
export function rowRules(licensed: ReadonlySet<ModuleKey>): RowRule[] {
  return MODULE_KEYS.filter((k) => licensed.has(k))
    .map((k) => MODULES[k].requestLogRows)
    .filter((r): r is RowRule => r !== undefined);
}

/** Whether one row is visible: the same rule as requestLogFilter(), for code that holds rows. */
export function rowVisible(
  licensed: ReadonlySet<ModuleKey>,
  row: { signalSource: number; l7Protocol: number },
): boolean {
  return rowRules(licensed).some((r) =>
    r.signalSources.includes(row.signalSource) &&
    (r.l7Protocols === undefined || r.l7Protocols.includes(row.l7Protocol))
  );
}

function inList(column: Column | SQL, values: readonly number[]): SQL {
  // Values come from the module table, never from a request: still bound, not spliced.
  return sql`${column} in (${sql.join(values.map((v) => sql`${v}`), sql`, `)})`;
}

/**
 * The SQL condition over a table's `signal_source` and `l7_protocol` columns that keeps only the
 * rows the licensed modules make visible; `false` when none does.
 *
 * ```ts
 * const visible = requestLogFilter(state.enabled, { signalSource: l7.signalSource, l7Protocol: l7.l7Protocol });
 * await db.select().from(l7).where(and(userFilters, visible));
 * ```
 */
export function requestLogFilter(
  licensed: ReadonlySet<ModuleKey>,
  columns: { signalSource: Column | SQL; l7Protocol: Column | SQL },
): SQL {
  const rules = rowRules(licensed);
  if (rules.length === 0) return sql`false`;
  const parts = rules.map((r) => {
    const source = inList(columns.signalSource, r.signalSources);
    return r.l7Protocols === undefined
      ? sql`(${source})`
      : sql`(${source} and ${inList(columns.l7Protocol, r.l7Protocols)})`;
  });
  return sql`(${sql.join(parts, sql` or `)})`;
}

/** Statement details and the DB analysis views (db_monitoring), on any visible row. */
export function dbDetailsVisible(licensed: ReadonlySet<ModuleKey>): boolean {
  return MODULE_KEYS.some((k) => licensed.has(k) && MODULES[k].dbDetails === true);
}

/** All span attributes, resource attributes and events (app_monitoring). */
export function spanAttributesVisible(licensed: ReadonlySet<ModuleKey>): boolean {
  return MODULE_KEYS.some((k) => licensed.has(k) && MODULES[k].spanAttributes === true);
}
