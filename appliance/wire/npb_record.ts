/**
 * The `npb_counters` stream (traffic distribution, issue #6): per distribution policy and per
 * distribution point, what the appliance sent and withheld during one reporting interval. Counts
 * are deltas over the interval that ends at `time`, so the manager sums them over any range.
 */

/** One policy's or point's counters for the interval ending at `time`. */
export interface NpbCounterRecord {
  /** End of the interval, ms since the epoch. */
  time: number;
  kind: "policy" | "point";
  /** The policy's or point's id in the manager's tables. */
  id: string;
  /** Packets (and inner-frame bytes for a policy, datagram bytes for a point) sent. */
  packets: number;
  bytes: number;
  /** Policy: packets that passed filter and direction. */
  matched: number;
  /** Policy drops by reason: not matching the filter or the direction, duplicates, limits. */
  filter: number;
  direction: number;
  dedup: number;
  rateLimit: number;
  fuse: number;
  /** Point: datagrams the kernel refused (unreachable network, no route, refused port). */
  sendError: number;
  /** Point: inner frames cut to fit its MTU. */
  truncated: number;
  /** Point: the last send error ("" when none). */
  lastError: string;
  /** Point: when a datagram last left without error, ms since the epoch (0: never). */
  lastSendAt: number;
}

export const NPB_COUNT_FIELDS = [
  "packets",
  "bytes",
  "matched",
  "filter",
  "direction",
  "dedup",
  "rateLimit",
  "fuse",
  "sendError",
  "truncated",
  "lastSendAt",
] as const;

const MAX_ID = 64;
const MAX_ERROR = 512;

function isPlainMap(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) &&
    !(x instanceof Uint8Array);
}

/** Checks one counter record; the first problem is named with its path. */
export function checkNpbCounters(x: unknown, at: string): string | undefined {
  if (!isPlainMap(x)) return `${at}: expected a map`;
  if (typeof x.time !== "number" || !Number.isSafeInteger(x.time) || x.time <= 0) {
    return `${at}.time: expected ms since the epoch`;
  }
  if (x.kind !== "policy" && x.kind !== "point") return `${at}.kind: expected policy or point`;
  if (typeof x.id !== "string" || x.id.length === 0 || x.id.length > MAX_ID) {
    return `${at}.id: expected a string of 1–${MAX_ID} characters`;
  }
  for (const key of NPB_COUNT_FIELDS) {
    const v = x[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      return `${at}.${key}: expected a non-negative integer, got ${JSON.stringify(v)}`;
    }
  }
  if (typeof x.lastError !== "string" || x.lastError.length > MAX_ERROR) {
    return `${at}.lastError: expected a string of at most ${MAX_ERROR} characters`;
  }
  return undefined;
}
