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
import { isStream, type Stream, STREAM_SPECS, type StreamRecords, STREAMS } from "./streams.ts";

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
export {
  L7_PROTOCOL_NAMES,
  L7Protocol,
  REQUEST_FIELDS,
  type RequestFieldKind,
  type RequestFieldSpec,
  type RequestRecord,
  requestRecordColumns,
  RequestType,
  ResponseStatus,
} from "./request_record.ts";
export { checkRequest, MAX_REQUEST_TEXT_CHARS } from "./request_check.ts";
export {
  checkEvent,
  EVENT_KINDS,
  type EventRecord,
  MAX_EVENT_DETAIL_CHARS,
} from "./event_record.ts";
export {
  isIpText,
  isStream,
  type Stream,
  STREAM_SPECS,
  type StreamRecords,
  STREAMS,
  type StreamSpec,
} from "./streams.ts";
// Signed documents shared with the manager: the appliance verifies its entitlement (issue #4).
export { CanonicalError, canonicalJson, type CanonicalValue, signedBytes } from "./canonical.ts";
export {
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  KeyError,
  pemDecode,
  pemEncode,
  type PrivateKey,
  type PublicKey,
  signBytes,
  verifyBytes,
} from "./keys.ts";
export {
  type Entitlement,
  ENTITLEMENT_FORMAT,
  type EntitlementCheck,
  entitles,
  signEntitlement,
  verifyEntitlement,
} from "./entitlement.ts";
export { isModuleKey, MODULE_KEYS, type ModuleKey } from "./modules.ts";
export {
  parsePcapPolicy,
  PCAP_PROTOCOLS,
  type PcapMatch,
  type PcapPolicy,
  policyExpression,
  type PolicyResult,
  policySnapLength,
  WHOLE_PACKET,
} from "./pcap_policy.ts";
export { checkPcapIndex, type PcapIndexRecord } from "./pcap_index_record.ts";
export { checkNpbCounters, NPB_COUNT_FIELDS, type NpbCounterRecord } from "./npb_record.ts";
export { checkSecond, SECOND_COUNT_FIELDS, type SecondRecord } from "./second_record.ts";
export {
  checkPcapTask,
  DEFAULT_EXTRACT_PACKETS,
  isIp,
  MAX_EXTRACT_PACKETS,
  MAX_TASK_WAIT_SECONDS,
  type PcapFlowSummary,
  PCAPNG_CONTENT_TYPE,
  type PcapTask,
  type PcapTaskQuery,
  TASK_ID,
  TASKS_PATH,
} from "./pcap_tasks.ts";

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

/** One report batch of stream `S` (DESIGN §3, the fleet contract). */
export interface BatchOf<S extends Stream> {
  v: number;
  appliance: string;
  stream: S;
  seq: number;
  /** When the appliance encoded the batch, ms since the epoch. */
  sentAt: number;
  records: StreamRecords[S][];
  /** Where the records came from (the appliance's own bookkeeping); the manager ignores it. */
  source?: unknown;
}
export type FlowBatch = BatchOf<"flows">;
export type EventBatch = BatchOf<"events">;
export type RequestBatch = BatchOf<"requests">;
export type PcapIndexBatch = BatchOf<"pcap_index">;
/** A batch of any stream; narrow on `stream`. */
export type ReportBatch = { [S in Stream]: BatchOf<S> }[Stream];

export type DecodeResult = { ok: true; batch: ReportBatch } | { ok: false; error: string };

// Records/structures make the batch ~40% of JSON's size (PLATFORM.md).
const encoder = new Encoder({ useRecords: true, mapsAsObjects: true });
const decoder = new Decoder({ useRecords: true, mapsAsObjects: true });

export function encodeBatch(batch: ReportBatch): Uint8Array {
  return encoder.encode(batch);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

/**
 * Checks the envelope and every record with its stream's check (streams.ts); the first problem
 * found is named with its path. Records of an older version are brought up to date, so the
 * batch returned is always current.
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
  if (!isStream(x.stream)) {
    return {
      ok: false,
      error: `stream: unknown stream ${JSON.stringify(x.stream)} (known: ${STREAMS.join(", ")})`,
    };
  }
  const spec = STREAM_SPECS[x.stream];
  if (x.v < spec.since) {
    return {
      ok: false,
      error: `v: stream ${x.stream} needs schema version ${spec.since} or later, got ${x.v}`,
    };
  }
  if (typeof x.seq !== "number" || !Number.isSafeInteger(x.seq) || x.seq < 0) {
    return { ok: false, error: "seq: expected a non-negative integer" };
  }
  if (typeof x.sentAt !== "number") return { ok: false, error: "sentAt: expected a number" };
  if (!Array.isArray(x.records)) return { ok: false, error: "records: expected an array" };
  for (let i = 0; i < x.records.length; i++) {
    const problem = spec.check(x.records[i], `records[${i}]`, x.v);
    if (problem) return { ok: false, error: problem };
  }
  return { ok: true, batch: x as unknown as ReportBatch };
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
