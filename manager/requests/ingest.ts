/**
 * The `requests` stream's rows: a wire `RequestRecord` as one COPY text line of `request_log`.
 * Used by the stream registry (`manager/ingest/streams.ts`).
 */
import { REQUEST_FIELDS, type RequestRecord } from "../../appliance/wire/mod.ts";
import type { Tagger } from "../inventory/mod.ts";
import { normalizedStatement } from "./normalize.ts";

/** COPY columns of {@link requestLine}, in its order. */
export const REQUEST_COLUMNS: readonly string[] = [
  "appliance_id",
  "time",
  ...REQUEST_FIELDS.map((f) => f.column),
  "normalized_statement",
];

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** COPY text escape (backslash, tab, newline, carriage return). */
function escape(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(
    /[\\\t\n\r]/g,
    (c) => c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

let lastSecond = Number.NaN;
let lastSecondText = "";

/**
 * The request_log row of a checked record; `appliance` is already escaped. Strings are escaped
 * (URLs and statements may hold tabs or newlines), nulls are `\N`. With `tagger`, the line ends
 * with the AutoTagging columns (`FLOW_TAG_COLUMNS`: request_log has flow_log's tag columns), the
 * client side tagged by `ip_0`/`client_port`, the server side by `ip_1`/`server_port`, exactly as
 * the flow-log row of the same flow.
 */
export function requestLine(appliance: string, r: RequestRecord, tagger?: Tagger): string {
  const second = Math.floor(r.startTime / 1_000_000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(second * 1000).toISOString();
  }
  let line = appliance + "\t" + lastSecondText;
  for (let i = 0; i < REQUEST_FIELDS.length; i++) {
    const spec = REQUEST_FIELDS[i]!;
    const v = r[spec.key];
    line += "\t" + (v === null ? "\\N" : typeof v === "string" ? escape(v) : String(v));
  }
  line += "\t" + escape(normalizedStatement(r));
  if (tagger !== undefined) {
    for (const v of tagger.tagValues(r)) line += "\t" + (typeof v === "string" ? escape(v) : v);
  }
  return line + "\n";
}

/** The row's partition time, ms since the epoch. */
export function requestTimeMs(r: RequestRecord): number {
  return Math.floor(r.startTime / 1000);
}
