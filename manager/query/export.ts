// Export of a flow-log search as CSV or NDJSON, streamed: rows are read in keyset pages (newest
// first, like the page) and written as they come, so memory stays flat whatever the cap.
import { and, desc, type SQL, sql } from "drizzle-orm";
import { FLOW_FIELDS } from "../../appliance/wire/mod.ts";
import { type Database, flowLog } from "../db/mod.ts";
import type { FlowQuery } from "./filters.ts";
import { conditions, type FlowRowOut, outRow, ROW_COLUMNS, TAG_KEYS } from "./flows.ts";

export type ExportFormat = "csv" | "ndjson";

/** Rows per keyset page. */
const PAGE = 2000;

function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([a-z])(\d)$/, "$1_$2").toLowerCase();
}

/** Output columns, DeepFlow's snake_case names: key, record fields, then tags. */
export const EXPORT_COLUMNS: readonly { key: string; name: string }[] = [
  { key: "appliance", name: "appliance" },
  { key: "id", name: "id" },
  { key: "time", name: "time" },
  ...FLOW_FIELDS.map((f) => ({ key: f.key as string, name: f.column })),
  ...TAG_KEYS.map((k) => ({ key: k as string, name: snake(k) })),
];

function csvCell(v: unknown): string {
  let text = v === null || v === undefined
    ? ""
    : typeof v === "object"
    ? Object.entries(v as Record<string, string>).map(([k, x]) => `${k}=${x}`).join(";")
    : String(v);
  // A cell a spreadsheet would run as a formula is prefixed (OWASP CSV injection advice).
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function line(format: ExportFormat, row: FlowRowOut): string {
  const r = row as unknown as Record<string, unknown>;
  if (format === "csv") return EXPORT_COLUMNS.map((c) => csvCell(r[c.key])).join(",") + "\r\n";
  const o: Record<string, unknown> = {};
  for (const c of EXPORT_COLUMNS) {
    o[c.name] = c.key === "time" ? new Date(row.time).toISOString() : r[c.key];
  }
  return JSON.stringify(o) + "\n";
}

export interface FlowExport {
  /** Rows matching the search. */
  total: number;
  /** Rows the export holds: min(total, cap). */
  rows: number;
  capped: boolean;
  body: ReadableStream<Uint8Array>;
}

/** The rows of `q` (newest first, at most `cap`) as a stream of CSV or NDJSON. */
export async function exportFlows(
  database: Database,
  q: FlowQuery,
  options: { format: ExportFormat; cap: number },
): Promise<FlowExport> {
  const where = conditions(q);
  const [count] = await database.rows<{ n: string | number }>(
    sql`select count(*) as n from ${flowLog} ${where ? sql`where ${where}` : sql``}`,
  );
  const total = Number(count?.n ?? 0);
  const rows = Math.min(total, options.cap);
  const encoder = new TextEncoder();
  let sent = 0;
  let after: { startTime: number; id: number } | undefined;
  let headerDone = options.format !== "csv";
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerDone) {
        headerDone = true;
        controller.enqueue(encoder.encode(EXPORT_COLUMNS.map((c) => c.name).join(",") + "\r\n"));
        return;
      }
      if (sent >= rows) {
        controller.close();
        return;
      }
      const keyset: SQL | undefined = after
        ? sql`(${flowLog.startTime}, ${flowLog.id}) < (${after.startTime}, ${after.id})`
        : undefined;
      const page = await database.db.select(ROW_COLUMNS).from(flowLog)
        .where(and(where, keyset))
        .orderBy(desc(flowLog.startTime), desc(flowLog.id))
        .limit(Math.min(PAGE, rows - sent));
      if (page.length === 0) {
        controller.close();
        return;
      }
      let chunk = "";
      for (const raw of page as unknown as FlowRowOut[]) chunk += line(options.format, outRow(raw));
      const last = page[page.length - 1] as unknown as FlowRowOut;
      after = { startTime: last.startTime, id: last.id };
      sent += page.length;
      controller.enqueue(encoder.encode(chunk));
    },
  });
  return { total, rows, capped: total > options.cap, body };
}
