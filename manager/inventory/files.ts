// Import and export files. CSV: one item per record, a `kind` column (or one kind for the whole
// file) and the fields of FIELDS as columns; lists are space-separated, labels `k=v;k=v`. JSON:
// `{ "regions": [...], "subnets": [...], … }` (what export writes) or an array of items with a
// `kind`. Problems are reported with the line they are on.
import { CsvError, formatCsvRow, parseCsv } from "./csv.ts";
import { FIELDS, fieldText, type Kind, KINDS, PLURAL } from "./kinds.ts";
import { type ImportItem, type InventoryDump, InventoryError, type Problem } from "./store.ts";

const KIND_BY_NAME = new Map<string, Kind>(
  KINDS.flatMap((k) => [[k, k], [PLURAL[k], k]] as [string, Kind][]),
);

/** Every column any kind uses, in a stable order, after `kind`. */
export const CSV_COLUMNS: readonly string[] = [
  "kind",
  ...new Set(KINDS.flatMap((k) => FIELDS[k].map((f) => f.key))),
];

function kindOf(value: unknown): Kind | undefined {
  return typeof value === "string" ? KIND_BY_NAME.get(value.trim().toLowerCase()) : undefined;
}

export function parseCsvImport(text: string, defaultKind?: Kind): ImportItem[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) {
      throw new InventoryError("invalid", [{
        line: err.line,
        message: err.message.replace(/^line \d+: /, ""),
      }]);
    }
    throw err;
  }
  const [header, ...rows] = records;
  if (!header) throw new InventoryError("invalid", [{ line: 1, message: "the file is empty" }]);
  const columns = header.cells.map((c) => c.trim().toLowerCase());
  const problems: Problem[] = [];
  const known = new Set(CSV_COLUMNS);
  for (const c of columns) {
    if (!known.has(c)) problems.push({ line: header.line, message: `unknown column "${c}"` });
  }
  if (!columns.includes("kind") && !defaultKind) {
    problems.push({ line: header.line, message: 'no "kind" column: add one or choose a kind' });
  }
  if (problems.length > 0) throw new InventoryError("invalid", problems);
  const items: ImportItem[] = [];
  for (const row of rows) {
    if (row.cells.length !== columns.length) {
      problems.push({
        line: row.line,
        message: `has ${row.cells.length} cells, the header has ${columns.length}`,
      });
      continue;
    }
    const input: Record<string, unknown> = {};
    columns.forEach((c, i) => input[c] = row.cells[i]!.trim());
    const kind = input.kind === undefined || input.kind === "" ? defaultKind : kindOf(input.kind);
    if (!kind) {
      problems.push({ line: row.line, field: "kind", message: `unknown kind "${input.kind}"` });
      continue;
    }
    delete input.kind;
    // Columns of other kinds are blank on this row; a filled one is reported by validation.
    for (const key of Object.keys(input)) if (input[key] === "") delete input[key];
    items.push({ kind, line: row.line, input });
  }
  if (problems.length > 0) throw new InventoryError("invalid", problems);
  return items;
}

/** Lines of the `{` that open each object directly inside an array, in document order. */
function objectLines(text: string): number[] {
  const lines: number[] = [];
  const stack: string[] = [];
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\n") line++;
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") {
      if (ch === "{" && stack[stack.length - 1] === "[") lines.push(line);
      stack.push(ch);
    } else if (ch === "}" || ch === "]") stack.pop();
  }
  return lines;
}

export function parseJsonImport(text: string): ImportItem[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InventoryError("invalid", [{ message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const lines = objectLines(text);
  let n = 0;
  const problems: Problem[] = [];
  const items: ImportItem[] = [];
  const take = (value: unknown, kindHint: Kind | undefined) => {
    const line = lines[n++] ?? 0;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push({ line, message: "an item must be a JSON object" });
      n--; // not an object: it has no `{` line
      return;
    }
    const input = { ...value as Record<string, unknown> };
    const kind = input.kind === undefined ? kindHint : kindOf(input.kind);
    if (!kind) {
      problems.push({ line, field: "kind", message: `unknown kind ${JSON.stringify(input.kind)}` });
      return;
    }
    delete input.kind;
    delete input.id;
    items.push({ kind, line, input });
  };
  if (Array.isArray(doc)) { for (const v of doc) take(v, undefined); }
  else if (typeof doc === "object" && doc !== null) {
    for (const [key, list] of Object.entries(doc)) {
      const kind = kindOf(key);
      if (!kind || !Array.isArray(list)) {
        problems.push({
          message: `"${key}" is not a list of ${KINDS.map((k) => PLURAL[k]).join(", ")}`,
        });
        continue;
      }
      for (const v of list) take(v, kind);
    }
  } else problems.push({ message: "expected an object of lists or an array of items" });
  if (problems.length > 0) throw new InventoryError("invalid", problems);
  return items;
}

export function exportJson(dump: InventoryDump): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const kind of KINDS) {
    out[PLURAL[kind]] = dump[kind].map((item) => {
      const o: Record<string, unknown> = {};
      for (const f of FIELDS[kind]) o[f.key] = item[f.key];
      return o;
    });
  }
  return out;
}

export function exportCsv(dump: InventoryDump): string {
  let out = formatCsvRow(CSV_COLUMNS);
  for (const kind of KINDS) {
    for (const item of dump[kind]) {
      out += formatCsvRow(CSV_COLUMNS.map((c) => {
        if (c === "kind") return kind;
        const f = FIELDS[kind].find((f) => f.key === c);
        return f ? fieldText(f, item[c]) : "";
      }));
    }
  }
  return out;
}
