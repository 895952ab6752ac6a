/**
 * Trace context carried by requests: W3C `traceparent`, Zipkin `b3` / `X-B3-*`, Jaeger
 * `uber-trace-id`, SkyWalking `sw8`, and the same keys inside SQL comments (sqlcommenter's
 * `/*traceparent='…'*\/` or `/* trace_id: …, span_id: … *\/`). Values are checked, never trusted:
 * a malformed header sets nothing.
 */
import type { RequestRecord } from "../wire/mod.ts";
import { isHex, lowerHex } from "./_bytes.ts";

const HEX = /^[0-9a-f]+$/i;

type TraceFields = Pick<RequestRecord, "traceId" | "spanId" | "parentSpanId">;

/** W3C Trace Context §3.2: `version-traceid(32)-parentid(16)-flags(2)`. */
export function applyTraceparent(value: string, into: TraceFields): boolean {
  const parts = value.trim().split("-");
  if (parts.length < 4) return false;
  const [version, traceId, spanId] = parts as [string, string, string];
  if (version.length !== 2 || traceId.length !== 32 || spanId.length !== 16) return false;
  if (!HEX.test(traceId) || !HEX.test(spanId) || /^0+$/.test(traceId)) return false;
  into.traceId = traceId.toLowerCase();
  into.spanId = spanId.toLowerCase();
  return true;
}

/**
 * {@link applyTraceparent} on the header value `[start, end)` of `b`, read in place (the HTTP
 * parsers' path: no string is made unless the value is good).
 */
export function applyTraceparentBytes(
  b: Uint8Array,
  start: number,
  end: number,
  into: TraceFields,
): boolean {
  // version(2) - trace id(32) - parent id(16) - flags(2), and later versions may add fields.
  if (end - start < 55 || b[start + 2] !== 45 || b[start + 35] !== 45 || b[start + 52] !== 45) {
    return false;
  }
  if (end - start > 55 && b[start + 55] !== 45) return false;
  if (!isHex(b, start, start + 2) || !isHex(b, start + 3, start + 35)) return false;
  if (!isHex(b, start + 36, start + 52)) return false;
  let zero = true;
  for (let i = start + 3; i < start + 35 && zero; i++) zero = b[i] === 48;
  if (zero) return false;
  into.traceId = lowerHex(b, start + 3, start + 35);
  into.spanId = lowerHex(b, start + 36, start + 52);
  return true;
}

/** Zipkin single header: `traceid-spanid[-sampled[-parentspanid]]` (or just a sampling flag). */
export function applyB3(value: string, into: TraceFields): boolean {
  const parts = value.trim().split("-");
  if (parts.length < 2) return false;
  const [traceId, spanId] = parts as [string, string];
  if ((traceId.length !== 16 && traceId.length !== 32) || spanId.length !== 16) return false;
  if (!HEX.test(traceId) || !HEX.test(spanId)) return false;
  into.traceId = traceId.toLowerCase();
  into.spanId = spanId.toLowerCase();
  const parent = parts[3];
  if (parent !== undefined && parent.length === 16 && HEX.test(parent)) {
    into.parentSpanId = parent.toLowerCase();
  }
  return true;
}

/** Jaeger: `trace-id:span-id:parent-span-id:flags`, colons possibly URL-encoded. */
export function applyUberTraceId(value: string, into: TraceFields): boolean {
  const parts = value.trim().replace(/%3A/gi, ":").split(":");
  if (parts.length !== 4) return false;
  const [traceId, spanId, parent] = parts as [string, string, string];
  if (!traceId || !spanId || !HEX.test(traceId) || !HEX.test(spanId)) return false;
  into.traceId = traceId.toLowerCase();
  into.spanId = spanId.toLowerCase();
  if (parent !== "0" && HEX.test(parent)) into.parentSpanId = parent.toLowerCase();
  return true;
}

function base64Text(value: string): string | undefined {
  try {
    const s = atob(value);
    return /^[\x20-\x7e]+$/.test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * SkyWalking cross-process propagation v3: `sample-traceId-segmentId-spanId-service-instance-
 * endpoint-address`, ids base64. The span is `segmentId-spanId` (SkyWalking's own naming).
 */
export function applySw8(value: string, into: TraceFields): boolean {
  const parts = value.trim().split("-");
  if (parts.length < 8) return false;
  const traceId = base64Text(parts[1]!);
  const segment = base64Text(parts[2]!);
  if (traceId === undefined || segment === undefined || !/^\d+$/.test(parts[3]!)) return false;
  into.traceId = traceId;
  into.parentSpanId = `${segment}-${parts[3]}`;
  return true;
}

const COMMENT = /\/\*([\s\S]*?)\*\//g;
const PAIR = /([A-Za-z_][\w.-]*)\s*[:=]\s*'?([^',\s]+)'?/g;

/**
 * Trace ids from the comments of a SQL statement: sqlcommenter (`traceparent='00-…'`), or
 * `trace_id`/`span_id`/`parent_span_id` pairs (`:` or `=`). True when a trace id was found.
 */
export function applySqlComment(statement: string, into: TraceFields): boolean {
  if (!statement.includes("/*")) return false;
  let found = false;
  for (const [, body] of statement.matchAll(COMMENT)) {
    for (const [, rawKey, rawValue] of body!.matchAll(PAIR)) {
      const key = rawKey!.toLowerCase().replace(/-/g, "_");
      let value = rawValue!;
      try {
        value = decodeURIComponent(value);
      } catch { /* kept as written */ }
      if (key === "traceparent") found = applyTraceparent(value, into) || found;
      else if (key === "trace_id" || key === "traceid") {
        into.traceId = value;
        found = true;
      } else if (key === "span_id" || key === "spanid") into.spanId = value;
      else if (key === "parent_span_id") into.parentSpanId = value;
    }
  }
  return found;
}
