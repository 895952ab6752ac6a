// The flow-log search language of the filter bar: clauses joined by `and`, each
// `field op value` with DeepFlow's field names (`service_1 = checkout`, `byte_tx > 10000`,
// `ip_0 = 10.1.0.0/16`, `labels_1.env = prod`, `host_0 != ""`). Parsed into typed clauses here;
// flows.ts turns them into SQL with bound parameters, so nothing typed reaches SQL as text.
import { FLOW_FIELDS } from "../../appliance/wire/mod.ts";
import { parseIpFilter, parseUtcTime } from "./filters.ts";

export type SearchType = "int" | "ip" | "text" | "labels" | "time";

export interface SearchField {
  /** DeepFlow / SQL name, as typed in the search. */
  name: string;
  /** SQL column. */
  column: string;
  type: SearchType;
}

const TAG_NAMES = ["region", "vpc", "subnet", "host", "service", "pod_ns", "pod"];

/** Every field the search and the export know, by name. */
export const SEARCH_FIELDS: ReadonlyMap<string, SearchField> = new Map(
  [
    { name: "appliance", column: "appliance_id", type: "text" as const },
    { name: "time", column: "time", type: "time" as const },
    ...FLOW_FIELDS.map((f) => ({
      name: f.column,
      column: f.column,
      type: f.kind === "ip" ? "ip" as const : f.kind === "op" ? "text" as const : "int" as const,
    })),
    ...[0, 1].flatMap((n) => [
      ...TAG_NAMES.map((t) => ({ name: `${t}_${n}`, column: `${t}_${n}`, type: "text" as const })),
      { name: `subnet_id_${n}`, column: `subnet_id_${n}`, type: "int" as const },
      { name: `labels_${n}`, column: `labels_${n}`, type: "labels" as const },
    ]),
  ].map((f) => [f.name, f]),
);

/** True for the AutoTagging fields (`region_0` … `labels_1`), which request_log has too. */
export function isTagField(field: SearchField): boolean {
  return /^(region|vpc|subnet|subnet_id|host|service|pod_ns|pod|labels)_[01]$/.test(field.name);
}

export type SearchOp = "=" | "!=" | ">" | ">=" | "<" | "<=" | "~";

export interface SearchClause {
  field: SearchField;
  op: SearchOp;
  /** Validated value: a number, an address/prefix, text, or ms for `time`. */
  value: string | number;
  /** For `labels_N.key`: the label key. */
  labelKey?: string;
}

const CLAUSE = /^([a-z_][a-z0-9_]*)(?:\.([A-Za-z0-9_.\/-]{1,63}))?\s*(!=|>=|<=|=|>|<|~)\s*(.*)$/;

function unquote(raw: string): string | undefined {
  const v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
    return v.slice(1, -1);
  }
  return /["']/.test(v) ? undefined : v;
}

/** Splits on ` and ` outside quotes. */
function splitClauses(text: string): string[] {
  const parts: string[] = [];
  let quote = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = "";
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (/\s/.test(ch) && /^\s+and\s+/i.test(text.slice(i))) {
      parts.push(text.slice(start, i));
      const m = /^\s+and\s+/i.exec(text.slice(i))!;
      i += m[0].length - 1;
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

/** The clauses of a search, or the first problem found (naming the clause). */
export function parseSearch(text: string): { clauses: SearchClause[] } | { error: string } {
  const clauses: SearchClause[] = [];
  if (text.length > 2000) return { error: "the search is longer than 2000 characters" };
  for (const part of splitClauses(text)) {
    const m = CLAUSE.exec(part);
    if (!m) return { error: `"${part}" is not field op value (e.g. service_1 = checkout)` };
    const [, name, labelKey, op, rawValue] = m as unknown as [
      string,
      string,
      string | undefined,
      SearchOp,
      string,
    ];
    const field = SEARCH_FIELDS.get(name);
    if (!field) return { error: `unknown field "${name}"` };
    if (labelKey !== undefined && field.type !== "labels") {
      return { error: `${name} has no sub-fields (only labels_0 / labels_1 do)` };
    }
    if (field.type === "labels" && labelKey === undefined) {
      return { error: `name a label: ${name}.key = value` };
    }
    const value = unquote(rawValue);
    if (value === undefined) return { error: `unbalanced quotes in "${part}"` };
    const clause = { field, op, labelKey };
    switch (field.type) {
      case "int": {
        if (op === "~") return { error: `${name} is a number: use = != > >= < <=` };
        if (!/^\d{1,15}$/.test(value)) {
          return { error: `${name} takes a whole number, not "${value}"` };
        }
        clauses.push({ ...clause, value: Number(value) });
        break;
      }
      case "ip": {
        if (op !== "=" && op !== "!=") {
          return { error: `${name} takes = or != an address or prefix` };
        }
        const ip = parseIpFilter(value);
        if ("error" in ip) return { error: `${name}: ${ip.error}` };
        clauses.push({ ...clause, value: ip.value });
        break;
      }
      case "time": {
        const t = parseUtcTime(value);
        if (t === undefined || op === "~") {
          return { error: `${name} takes a comparison with a UTC time like 2026-11-25T17:00` };
        }
        clauses.push({ ...clause, value: t });
        break;
      }
      case "text":
      case "labels": {
        if (op !== "=" && op !== "!=" && op !== "~") {
          return { error: `${name} is text: use = != or ~ (contains)` };
        }
        if (value.length > 256) return { error: `${name}: value longer than 256 characters` };
        clauses.push({ ...clause, value });
        break;
      }
    }
  }
  return { clauses };
}
