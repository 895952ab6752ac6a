/**
 * The report streams and how each one's records are checked. Adding a stream (requests,
 * metrics, pcap_index, npb_counters, …) is: a record file, one line in {@link StreamRecords},
 * one entry in {@link STREAM_SPECS}; the manager adds its handler in `manager/ingest/streams.ts`.
 */
import {
  CLOSE_TYPE_NAMES,
  FLOW_FIELDS,
  type FlowRecord,
  OBSERVATION_POINTS,
  v1Default,
} from "./flow_record.ts";
import { checkEvent, type EventRecord } from "./event_record.ts";
import type { RequestRecord } from "./request_record.ts";
import { checkRequest } from "./request_check.ts";
import { checkPcapIndex, type PcapIndexRecord } from "./pcap_index_record.ts";
import { checkNpbCounters, type NpbCounterRecord } from "./npb_record.ts";
import { checkSecond, type SecondRecord } from "./second_record.ts";

/** The record type of each stream. */
export interface StreamRecords {
  flows: FlowRecord;
  events: EventRecord;
  requests: RequestRecord;
  pcap_index: PcapIndexRecord;
  npb_counters: NpbCounterRecord;
  metrics_1s: SecondRecord;
}
export type Stream = keyof StreamRecords;

export interface StreamSpec {
  /** Wire version that introduced the stream: older batches of it are refused. */
  since: number;
  /**
   * Checks one record and returns its first problem, named with its path (`at`). A record of an
   * older wire version may be brought up to date in place.
   */
  check(record: unknown, at: string, version: number): string | undefined;
}

export const STREAM_SPECS: { readonly [S in Stream]: StreamSpec } = {
  flows: { since: 1, check: checkFlow },
  events: { since: 2, check: (record, at) => checkEvent(record, at) },
  requests: { since: 2, check: (record, at) => checkRequest(record, at, isIpText) },
  pcap_index: { since: 2, check: (record, at) => checkPcapIndex(record, at, isIpText) },
  npb_counters: { since: 2, check: (record, at) => checkNpbCounters(record, at) },
  metrics_1s: {
    since: 2,
    check: (record, at) =>
      checkSecond(record, at, { isIp: isIpText, observationPoints: OBSERVATION_POINT_SET }),
  },
};

export const STREAMS: readonly Stream[] = Object.keys(STREAM_SPECS) as Stream[];

export function isStream(x: unknown): x is Stream {
  return typeof x === "string" && Object.hasOwn(STREAM_SPECS, x);
}

const MAX_BY_KIND = { u8: 0xff, u16: 0xffff, u32: 0xffffffff, flag: 1 } as const;
const CLOSE_TYPES = new Set(Object.keys(CLOSE_TYPE_NAMES).map(Number));
const OBSERVATION_POINT_SET = new Set(OBSERVATION_POINTS);
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Whether PostgreSQL's `inet` will take the text: dotted IPv4, or IPv6 (RFC 4291 §2.2, with
 * `::` and an IPv4 tail). Checked here so that a bad address is the sender's 422, never a
 * database error that would be retried forever.
 */
export function isIpText(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  if (!s.includes(":")) return IPV4.test(s);
  let text = s;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".", lastColon)) {
    // An IPv4 tail stands for the last two groups.
    if (!IPV4.test(s.slice(lastColon + 1))) return false;
    text = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return false;
  let count = 0;
  for (const half of halves) {
    if (half === "") continue;
    for (const g of half.split(":")) {
      if (!HEX_GROUP.test(g)) return false;
      count++;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

/**
 * Checks one flow record; a record of an older version gets the defaults of the fields it
 * predates (written into `x`).
 */
function checkFlow(x: unknown, at: string, version: number): string | undefined {
  if (!isRecord(x)) return `${at}: expected a map`;
  for (const spec of FLOW_FIELDS) {
    const key = spec.key;
    let value = x[key];
    if (value === undefined) {
      if (spec.since <= version) return `${at}.${key}: missing`;
      value = x[key] = v1Default(key, x);
    }
    if (spec.kind === "ip") {
      if (typeof value !== "string" || !isIpText(value)) {
        return `${at}.${key}: expected an IP address string, got ${JSON.stringify(value)}`;
      }
    } else if (spec.kind === "op") {
      if (typeof value !== "string" || !OBSERVATION_POINT_SET.has(value)) {
        return `${at}.${key}: expected an observation point (${OBSERVATION_POINTS.join(", ")})`;
      }
    } else {
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
        return `${at}.${key}: expected a non-negative integer, got ${JSON.stringify(value)}`;
      }
      const max = spec.kind === "count" ? Number.MAX_SAFE_INTEGER : MAX_BY_KIND[spec.kind];
      if (value > max) return `${at}.${key}: out of range (at most ${max})`;
    }
  }
  if (x.ipVersion !== 4 && x.ipVersion !== 6) return `${at}.ipVersion: expected 4 or 6`;
  if ((x.endTime as number) < (x.startTime as number)) return `${at}.endTime: before startTime`;
  if (!CLOSE_TYPES.has(x.closeType as number)) {
    return `${at}.closeType: unknown close type ${x.closeType}`;
  }
  return undefined;
}
