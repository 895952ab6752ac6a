/**
 * The `events` stream: things that happened on the appliance that an operator should see on the
 * manager (the spool dropped batches, a config was applied or refused, …), one record each.
 */

export interface EventRecord {
  /** When it happened, ms since the epoch. */
  time: number;
  /** What happened: snake_case, e.g. {@link EVENT_KINDS}; later issues add kinds freely. */
  kind: string;
  /** The facts, a JSON object (stored as `jsonb`), e.g. `{ droppedBatches: 3, droppedRecords: 3000 }`. */
  detail: Record<string, unknown>;
}

/** The kinds the fleet contract names; any snake_case kind is accepted. */
export const EVENT_KINDS: readonly string[] = [
  "spool_overflow",
  "config_applied",
  "config_rejected",
];

const KIND = /^[a-z][a-z0-9_]{0,62}$/;
/** Longest `detail`, as JSON text: events are notices, not payloads. */
export const MAX_EVENT_DETAIL_CHARS = 16_384;
const MAX_DEPTH = 8;
/** 9999-12-31T23:59:59.999Z: the last instant both Date and timestamptz text agree on. */
const MAX_TIME_MS = 253_402_300_799_999;

function isPlainMap(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) &&
    Object.getPrototypeOf(x) === Object.prototype;
}

/** The first value in `x` that JSON cannot carry as it is, named with its path. */
function jsonProblem(x: unknown, at: string, depth: number): string | undefined {
  if (x === null || typeof x === "string" || typeof x === "boolean") return undefined;
  if (typeof x === "number") return Number.isFinite(x) ? undefined : `${at}: not a finite number`;
  if (depth >= MAX_DEPTH) return `${at}: nested deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const p = jsonProblem(x[i], `${at}[${i}]`, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (isPlainMap(x)) {
    for (const [k, v] of Object.entries(x)) {
      const p = jsonProblem(v, `${at}.${k}`, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  return `${at}: expected JSON values (null, boolean, number, string, array, map)`;
}

/** Checks one event record; returns the first problem, named with its path. */
export function checkEvent(x: unknown, at: string): string | undefined {
  if (!isPlainMap(x)) return `${at}: expected a map`;
  if (
    typeof x.time !== "number" || !Number.isSafeInteger(x.time) || x.time < 0 ||
    x.time > MAX_TIME_MS
  ) {
    return `${at}.time: expected ms since the epoch (an integer from 0 to ${MAX_TIME_MS})`;
  }
  if (typeof x.kind !== "string" || !KIND.test(x.kind)) {
    return `${at}.kind: expected a snake_case name of at most 63 characters`;
  }
  if (!isPlainMap(x.detail)) return `${at}.detail: expected a map`;
  const problem = jsonProblem(x.detail, `${at}.detail`, 0);
  if (problem) return problem;
  if (JSON.stringify(x.detail).length > MAX_EVENT_DETAIL_CHARS) {
    return `${at}.detail: longer than ${MAX_EVENT_DETAIL_CHARS} characters as JSON`;
  }
  return undefined;
}
