/**
 * The `pcap_index` stream: the summary of an appliance's PCAP store for the manager. One record
 * per flow per finished pcapng file (which policy kept it, the 5-tuple with endpoint A the one
 * whose address sorts first, its time range, packets and frame bytes); and one record with
 * `evicted: 1` when the quotas delete a file, so that the manager forgets its flows. The packets
 * stay on the appliance: the manager learns which flows have some, and where to ask.
 */

export interface PcapIndexRecord {
  /** The policy's id (its folder on the appliance). */
  policy: string;
  /** The file's id in the appliance's index. */
  fileId: number;
  protocol: number;
  ipA: string;
  portA: number;
  ipB: string;
  portB: number;
  /** µs since the epoch. */
  startTime: number;
  endTime: number;
  packets: number;
  bytes: number;
  /** 1: the file was evicted (the other fields are 0 / `0.0.0.0`, the times when). */
  evicted: 0 | 1;
}

const POLICY_ID = /^[A-Za-z0-9_-]{1,64}$/;

function isCount(x: unknown, max = Number.MAX_SAFE_INTEGER): boolean {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0 && x <= max;
}

/** Checks one record; the first problem, named with its path. */
export function checkPcapIndex(
  x: unknown,
  at: string,
  isIp: (s: string) => boolean,
): string | undefined {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return `${at}: expected a map`;
  const r = x as Record<string, unknown>;
  if (typeof r.policy !== "string" || !POLICY_ID.test(r.policy)) {
    return `${at}.policy: expected a policy id (1-64 letters, digits, _ or -)`;
  }
  const limits: [string, number][] = [
    ["fileId", Number.MAX_SAFE_INTEGER],
    ["protocol", 255],
    ["portA", 65535],
    ["portB", 65535],
    ["startTime", Number.MAX_SAFE_INTEGER],
    ["endTime", Number.MAX_SAFE_INTEGER],
    ["packets", Number.MAX_SAFE_INTEGER],
    ["bytes", Number.MAX_SAFE_INTEGER],
  ];
  for (const [key, max] of limits) {
    if (!isCount(r[key], max)) return `${at}.${key}: expected an integer from 0 to ${max}`;
  }
  for (const key of ["ipA", "ipB"]) {
    if (typeof r[key] !== "string" || !isIp(r[key] as string)) {
      return `${at}.${key}: expected an IP address string, got ${JSON.stringify(r[key])}`;
    }
  }
  if ((r.endTime as number) < (r.startTime as number)) return `${at}.endTime: before startTime`;
  if (r.evicted !== 0 && r.evicted !== 1) return `${at}.evicted: expected 0 or 1`;
  return undefined;
}
