/**
 * The check of one `requests` stream record ({@link RequestRecord}): every field of
 * {@link REQUEST_FIELDS} by its kind, plus the rules between fields. A field added to
 * REQUEST_FIELDS is checked here without a change.
 */
import { REQUEST_FIELDS } from "./request_record.ts";

/** Longest string field: a URL, a statement or a DNS answer list, not a payload. */
export const MAX_REQUEST_TEXT_CHARS = 16_384;

const MAX_BY_KIND = {
  u8: 0xff,
  u16: 0xffff,
  u32: 0xffffffff,
  "u32?": 0xffffffff,
  flag: 1,
  count: Number.MAX_SAFE_INTEGER,
} as const;
const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

/**
 * The field checks of {@link fieldProblem} made into one function with each field's name written
 * in: true when every field passes. Looking fields up by a name from a list makes every lookup
 * a slow generic one (38 of them per record, most of the check's time); here each is a plain
 * property read. Only a record it refuses goes through the loop, which names the problem.
 */
const fieldsPass = compileFieldChecks();

function compileFieldChecks(): (x: Record<string, unknown>) => boolean {
  const lines: string[] = [];
  for (const spec of REQUEST_FIELDS) {
    const v = `x[${JSON.stringify(spec.key)}]`;
    lines.push(`v = ${v};`, "if (v === undefined) return false;");
    if (spec.kind === "str") {
      lines.push(
        `if (typeof v !== "string" || v.length > ${MAX_REQUEST_TEXT_CHARS}) return false;`,
      );
      continue;
    }
    const nullable = spec.kind === "u32?" || spec.kind === "i32?";
    const range = spec.kind === "i32?"
      ? `v < ${I32_MIN} || v > ${I32_MAX}`
      : `v < 0 || v > ${MAX_BY_KIND[spec.kind]}`;
    lines.push(
      `${nullable ? "if (v !== null) " : ""}if (typeof v !== "number" || ` +
        `!Number.isSafeInteger(v) || ${range}) return false;`,
    );
  }
  return new Function("x", `let v;\n${lines.join("\n")}\nreturn true;`) as (
    x: Record<string, unknown>,
  ) => boolean;
}

/**
 * The first field of `x` that fails its check, named with `at`; undefined when all pass (the
 * slow path of {@link checkRequest}, exported for its test).
 */
export function fieldProblem(x: Record<string, unknown>, at: string): string | undefined {
  for (const spec of REQUEST_FIELDS) {
    const key = spec.key;
    const value = x[key];
    if (value === undefined) return `${at}.${key}: missing`;
    if (spec.kind === "str") {
      if (typeof value !== "string") return `${at}.${key}: expected a string`;
      if (value.length > MAX_REQUEST_TEXT_CHARS) {
        return `${at}.${key}: longer than ${MAX_REQUEST_TEXT_CHARS} characters`;
      }
      continue;
    }
    if (value === null && (spec.kind === "u32?" || spec.kind === "i32?")) continue;
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      return `${at}.${key}: expected an integer, got ${JSON.stringify(value)}`;
    }
    if (spec.kind === "i32?") {
      if (value < I32_MIN || value > I32_MAX) return `${at}.${key}: out of range (32-bit)`;
      continue;
    }
    if (value < 0) return `${at}.${key}: expected a non-negative integer, got ${value}`;
    const max = MAX_BY_KIND[spec.kind];
    if (value > max) return `${at}.${key}: out of range (at most ${max})`;
  }
  return undefined;
}

/**
 * Checks one request record; returns its first problem named with its path, or undefined.
 * `isIp` is the wire's IP-text check (streams.ts), passed in to keep the import one-way.
 */
export function checkRequest(
  x: unknown,
  at: string,
  isIp: (s: string) => boolean,
): string | undefined {
  if (!isRecord(x)) return `${at}: expected a map`;
  if (!fieldsPass(x)) {
    const problem = fieldProblem(x, at);
    if (problem !== undefined) return problem;
  }
  if (x.ipVersion !== 4 && x.ipVersion !== 6) return `${at}.ipVersion: expected 4 or 6`;
  for (const key of ["ip0", "ip1"] as const) {
    if (!isIp(x[key] as string)) {
      return `${at}.${key}: expected an IP address string, got ${JSON.stringify(x[key])}`;
    }
  }
  if ((x.endTime as number) < (x.startTime as number)) return `${at}.endTime: before startTime`;
  return undefined;
}
