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

/** Current schema version of a report batch. Bump when a field changes meaning. */
export const WIRE_VERSION = 1;
/** Versions a manager accepts: the current and the previous one (DESIGN §3). */
export const ACCEPTED_VERSIONS: readonly number[] = [WIRE_VERSION];
export const CBOR_CONTENT_TYPE = "application/cbor";
/** Path the manager receives report batches on. */
export const INGEST_PATH = "/api/v1/ingest";

export type Stream = "flows";
export const STREAMS: readonly Stream[] = ["flows"];

/**
 * One bidirectional flow, as seen at one capture point during one natural minute (or the whole
 * replay in this version). Index 0 is the client side, 1 the server side; `tx` means client →
 * server and `rx` server → client (DeepFlow's naming).
 */
export interface FlowRecord {
  /** Appliance-local flow id, stable for the life of the flow. */
  flowId: number;
  /** First packet, µs since the Unix epoch. */
  startTime: number;
  /** Last packet, µs since the Unix epoch. */
  endTime: number;
  /** 4 or 6. */
  ipVersion: number;
  ip0: string;
  ip1: string;
  clientPort: number;
  serverPort: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, …). */
  protocol: number;
  /** Outer 802.1Q VLAN id, 0 when untagged. */
  vlan: number;
  packetTx: number;
  packetRx: number;
  /** Frame bytes on the wire. */
  byteTx: number;
  byteRx: number;
  /** OR of the TCP flags seen from the client / from the server. */
  tcpFlagsBit0: number;
  tcpFlagsBit1: number;
}

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

const FLOW_NUMBER_FIELDS = [
  "flowId",
  "startTime",
  "endTime",
  "ipVersion",
  "clientPort",
  "serverPort",
  "protocol",
  "vlan",
  "packetTx",
  "packetRx",
  "byteTx",
  "byteRx",
  "tcpFlagsBit0",
  "tcpFlagsBit1",
] as const satisfies readonly (keyof FlowRecord)[];
const FLOW_STRING_FIELDS = ["ip0", "ip1"] as const satisfies readonly (keyof FlowRecord)[];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

function checkFlow(x: unknown, at: string): string | undefined {
  if (!isRecord(x)) return `${at}: expected a map`;
  for (const key of FLOW_NUMBER_FIELDS) {
    const value = x[key];
    if (value === undefined) return `${at}.${key}: missing`;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      return `${at}.${key}: expected a non-negative integer, got ${JSON.stringify(value)}`;
    }
  }
  for (const key of FLOW_STRING_FIELDS) {
    const value = x[key];
    if (value === undefined) return `${at}.${key}: missing`;
    if (typeof value !== "string" || value.length === 0 || value.length > 45) {
      return `${at}.${key}: expected an IP address string`;
    }
  }
  if (x.ipVersion !== 4 && x.ipVersion !== 6) return `${at}.ipVersion: expected 4 or 6`;
  if ((x.clientPort as number) > 65535) return `${at}.clientPort: out of range`;
  if ((x.serverPort as number) > 65535) return `${at}.serverPort: out of range`;
  if ((x.protocol as number) > 255) return `${at}.protocol: out of range`;
  if ((x.endTime as number) < (x.startTime as number)) return `${at}.endTime: before startTime`;
  return undefined;
}

/** Checks the envelope and every record; the first problem found is named with its path. */
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
    const problem = checkFlow(x.records[i], `records[${i}]`);
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
