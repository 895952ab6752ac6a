/**
 * The `metrics_1s` stream (issue #9, "per-second for the last hour"): network counters of one
 * second per (client IP, server IP, protocol, server port, capture point), folded by
 * `appliance/flow/seconds.ts` from the packets as they are counted into flows. Counts are those of
 * the second that starts at `time`, so the manager sums them over any range.
 */

/** One second of one (client, server, protocol, server port, capture point). */
export interface SecondRecord {
  /** Start of the second, µs since the epoch (a whole second). */
  time: number;
  ipVersion: number;
  /** Client and server address (the flow table's rule: `appliance/flow/direction.ts`). */
  ip0: string;
  ip1: string;
  protocol: number;
  /** 0 for protocols without ports. */
  serverPort: number;
  captureNic: number;
  observationPoint: string;
  /** Packets and frame bytes from the client (tx) and from the server (rx). */
  packetTx: number;
  packetRx: number;
  byteTx: number;
  byteRx: number;
  /** Flows whose first packet (as seen here) came this second. */
  newFlow: number;
  /** Flows whose last record was emitted this second (closed, timed out, evicted or ended). */
  closedFlow: number;
  /** TCP segments with RST set, either direction. */
  rstCount: number;
}

/** The counters of a {@link SecondRecord}, in wire and column order. */
export const SECOND_COUNT_FIELDS = [
  "packetTx",
  "packetRx",
  "byteTx",
  "byteRx",
  "newFlow",
  "closedFlow",
  "rstCount",
] as const;

function isPlainMap(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) &&
    !(x instanceof Uint8Array);
}

const isCount = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Checks one per-second record; the first problem is named with its path. `isIp` and
 * `observationPoints` are the flow record's rules (streams.ts).
 */
export function checkSecond(
  x: unknown,
  at: string,
  rules: { isIp: (s: string) => boolean; observationPoints: ReadonlySet<string> },
): string | undefined {
  if (!isPlainMap(x)) return `${at}: expected a map`;
  const time = x.time;
  if (!isCount(time) || (time as number) === 0 || (time as number) % 1_000_000 !== 0) {
    return `${at}.time: expected µs since the epoch at a whole second, got ${JSON.stringify(time)}`;
  }
  if (x.ipVersion !== 4 && x.ipVersion !== 6) return `${at}.ipVersion: expected 4 or 6`;
  for (const key of ["ip0", "ip1"] as const) {
    const v = x[key];
    if (typeof v !== "string" || !rules.isIp(v)) {
      return `${at}.${key}: expected an IP address string, got ${JSON.stringify(v)}`;
    }
  }
  const ranges = [["protocol", 0xff], ["serverPort", 0xffff], ["captureNic", 0xffffffff]] as const;
  for (const [key, max] of ranges) {
    const v = x[key];
    if (!isCount(v) || (v as number) > max) {
      return `${at}.${key}: expected an integer 0–${max}, got ${JSON.stringify(v)}`;
    }
  }
  if (typeof x.observationPoint !== "string" || !rules.observationPoints.has(x.observationPoint)) {
    return `${at}.observationPoint: expected an observation point, got ${
      JSON.stringify(x.observationPoint)
    }`;
  }
  for (const key of SECOND_COUNT_FIELDS) {
    if (!isCount(x[key])) {
      return `${at}.${key}: expected a non-negative integer, got ${JSON.stringify(x[key])}`;
    }
  }
  return undefined;
}
