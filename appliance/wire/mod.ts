/**
 * @module
 * The versioned CBOR report contract between appliance and manager. The manager imports only
 * this folder from `appliance/`.
 *
 * ```ts
 * const bytes = encodeBatch({ v: WIRE_VERSION, appliance: "demo", stream: "flows", seq: 1, sentAt: Date.now(), records });
 * const result = decodeBatch(bytes); // { ok: true, batch } or { ok: false, error: "records[2].ip0: expected a string" }
 * ```
 */
import { Decoder, Encoder } from "cbor-x";
import {
  CLOSE_TYPE_NAMES,
  FLOW_FIELDS,
  type FlowRecord,
  OBSERVATION_POINTS,
  v1Default,
} from "./flow_record.ts";

export {
  CLOSE_TYPE_NAMES,
  CloseType,
  type FieldKind,
  type FieldSpec,
  FLOW_FIELDS,
  type FlowRecord,
  flowRecordColumns,
  type FlowRecordV1,
  OBSERVATION_POINTS,
  v1Default,
} from "./flow_record.ts";

/**
 * Current schema version of a report batch. Bump when a field changes meaning.
 * v2: per-minute flow records with DeepFlow's TCP metrics (duration, close type, L3/L4 bytes,
 * handshake, retransmissions, zero windows, RTT/SRT/ART, tunnel and capture point).
 */
export const WIRE_VERSION = 2;
/** Versions a manager accepts: the current and the previous one (DESIGN §3). */
export const ACCEPTED_VERSIONS: readonly number[] = [1, WIRE_VERSION];
export const CBOR_CONTENT_TYPE = "application/cbor";
/** Path the manager receives report batches on. */
export const INGEST_PATH = "/api/v1/ingest";

export type Stream = "flows";
export const STREAMS: readonly Stream[] = ["flows"];

export interface FlowBatch {
  v: number;
  appliance: string;
  stream: Stream;
  seq: number;
  /** When the appliance encoded the batch, ms since the epoch. */
  sentAt: number;
  records: FlowRecord[];
}

export type DecodeResult = { ok: true; batch: FlowBatch } | { ok: false; error: string };

// Records/structures make the batch ~40% of JSON's size (PLATFORM.md).
const encoder = new Encoder({ useRecords: true, mapsAsObjects: true });
const decoder = new Decoder({ useRecords: true, mapsAsObjects: true });

export function encodeBatch(batch: FlowBatch): Uint8Array {
  return encoder.encode(batch);
}

const MAX_BY_KIND = { u8: 0xff, u16: 0xffff, u32: 0xffffffff, flag: 1 } as const;
const CLOSE_TYPES = new Set(Object.keys(CLOSE_TYPE_NAMES).map(Number));
const OBSERVATION_POINT_SET = new Set(OBSERVATION_POINTS);

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

/**
 * Checks one record; a record of an older version gets the defaults of the fields it predates
 * (written into `x`). Returns the first problem, named with its path.
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
      if (typeof value !== "string" || value.length === 0 || value.length > 45) {
        return `${at}.${key}: expected an IP address string`;
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

/**
 * Checks the envelope and every record; the first problem found is named with its path. Records
 * of a v1 batch get the defaults of the v2 fields, so the batch returned is always current.
 */
export function validateBatch(x: unknown): DecodeResult {
  if (!isRecord(x)) return { ok: false, error: "batch: expected a CBOR map" };
  if (x.v === undefined) return { ok: false, error: "v: missing schema version" };
  if (typeof x.v !== "number" || !ACCEPTED_VERSIONS.includes(x.v)) {
    return {
      ok: false,
      error: `v: unsupported schema version ${JSON.stringify(x.v)} (accepted: ${
        ACCEPTED_VERSIONS.join(", ")
      })`,
    };
  }
  if (typeof x.appliance !== "string" || x.appliance.length === 0 || x.appliance.length > 128) {
    return { ok: false, error: "appliance: expected a non-empty string of at most 128 characters" };
  }
  if (typeof x.stream !== "string" || !(STREAMS as readonly string[]).includes(x.stream)) {
    return {
      ok: false,
      error: `stream: unknown stream ${JSON.stringify(x.stream)} (known: ${STREAMS.join(", ")})`,
    };
  }
  if (typeof x.seq !== "number" || !Number.isSafeInteger(x.seq) || x.seq < 0) {
    return { ok: false, error: "seq: expected a non-negative integer" };
  }
  if (typeof x.sentAt !== "number") return { ok: false, error: "sentAt: expected a number" };
  if (!Array.isArray(x.records)) return { ok: false, error: "records: expected an array" };
  for (let i = 0; i < x.records.length; i++) {
    const problem = checkFlow(x.records[i], `records[${i}]`, x.v);
    if (problem) return { ok: false, error: problem };
  }
  return { ok: true, batch: x as unknown as FlowBatch };
}

/** Decodes and validates bytes received from an appliance. Never throws. */
export function decodeBatch(bytes: Uint8Array): DecodeResult {
  if (bytes.length === 0) return { ok: false, error: "body: empty, expected a CBOR batch" };
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (err) {
    return { ok: false, error: `body: not valid CBOR (${(err as Error).message})` };
  }
  return validateBatch(value);
}
