/**
 * Kafka (protocol guide, kafka.apache.org/protocol): size-prefixed requests with api_key,
 * api_version, correlation_id and client_id, paired with responses by correlation id. The
 * first topic name of Produce, Fetch and Metadata requests (non-flexible versions: Produce
 * v0–8, Fetch v0–11, Metadata v0–8) becomes the resource, and the first error code of their
 * responses the status.
 */
import { L7Protocol, ResponseStatus } from "../wire/mod.ts";
import { ascii, isTextByte, u16, u32 } from "./_bytes.ts";
import {
  Direction,
  type L7Parser,
  MALFORMED,
  NEED_MORE,
  type ParserSession,
  type Payload,
  type Ports,
  type RequestSink,
} from "./parser.ts";

const PRODUCE = 0;
const FETCH = 1;
const METADATA = 3;
/** api_key names up to 74 (the keys of common brokers). */
const API_NAMES = [
  "Produce",
  "Fetch",
  "ListOffsets",
  "Metadata",
  "LeaderAndIsr",
  "StopReplica",
  "UpdateMetadata",
  "ControlledShutdown",
  "OffsetCommit",
  "OffsetFetch",
  "FindCoordinator",
  "JoinGroup",
  "Heartbeat",
  "LeaveGroup",
  "SyncGroup",
  "DescribeGroups",
  "ListGroups",
  "SaslHandshake",
  "ApiVersions",
  "CreateTopics",
  "DeleteTopics",
  "DeleteRecords",
  "InitProducerId",
  "OffsetForLeaderEpoch",
  "AddPartitionsToTxn",
  "AddOffsetsToTxn",
  "EndTxn",
  "WriteTxnMarkers",
  "TxnOffsetCommit",
  "DescribeAcls",
  "CreateAcls",
  "DeleteAcls",
  "DescribeConfigs",
  "AlterConfigs",
  "AlterReplicaLogDirs",
  "DescribeLogDirs",
  "SaslAuthenticate",
  "CreatePartitions",
  "CreateDelegationToken",
  "RenewDelegationToken",
  "ExpireDelegationToken",
  "DescribeDelegationToken",
  "DeleteGroups",
];
const MAX_API_KEY = 74;
/** Longest message framed (larger ones are skipped by their size). */
const MAX_MESSAGE = 64 * 1024 * 1024;

/** Common error codes (protocol guide, "Error Codes"). */
const ERRORS: Readonly<Record<number, string>> = {
  [-1]: "UNKNOWN_SERVER_ERROR",
  1: "OFFSET_OUT_OF_RANGE",
  2: "CORRUPT_MESSAGE",
  3: "UNKNOWN_TOPIC_OR_PARTITION",
  5: "LEADER_NOT_AVAILABLE",
  6: "NOT_LEADER_OR_FOLLOWER",
  7: "REQUEST_TIMED_OUT",
  10: "MESSAGE_TOO_LARGE",
  15: "COORDINATOR_NOT_AVAILABLE",
  16: "NOT_COORDINATOR",
  17: "INVALID_TOPIC_EXCEPTION",
  25: "UNKNOWN_MEMBER_ID",
  27: "REBALANCE_IN_PROGRESS",
  29: "TOPIC_AUTHORIZATION_FAILED",
  30: "GROUP_AUTHORIZATION_FAILED",
  35: "UNSUPPORTED_VERSION",
  36: "TOPIC_ALREADY_EXISTS",
  58: "SASL_AUTHENTICATION_FAILED",
};

/** Request header v1 fields in place; -1 when they are not Kafka's. */
function headerEnd(b: Uint8Array, start: number, end: number): number {
  if (end - start < 14) return -1;
  const size = u32(b, start);
  const apiKey = u16(b, start + 4);
  const version = u16(b, start + 6);
  if (size < 10 || size > MAX_MESSAGE || apiKey > MAX_API_KEY || version > 20) return -1;
  const clientId = u16(b, start + 12);
  if (clientId === 0xffff) return start + 14;
  if (clientId > size - 10) return -1;
  const to = Math.min(end, start + 14 + clientId);
  for (let i = start + 14; i < to; i++) if (!isTextByte(b[i]!)) return -1;
  return start + 14 + clientId;
}

function checkKafka(payload: Payload, direction: Direction): boolean {
  if (direction !== Direction.ToServer) return false;
  const { bytes: b, start, end } = payload;
  const h = headerEnd(b, start, end);
  // The whole message is here, or at least its header (a large Produce spans segments).
  return h > 0 && (u32(b, start) + 4 === end - start || h <= end);
}

/** A string (int16 length) at `at`: its text, or undefined when it runs past `end`. */
function kafkaString(b: Uint8Array, at: number, end: number): string | undefined {
  if (at + 2 > end) return undefined;
  const n = u16(b, at);
  if (n === 0xffff || at + 2 + n > end) return undefined;
  return ascii(b, at + 2, at + 2 + n);
}

/** The first topic name of a request body at `at`, for the non-flexible versions; "" if none. */
function firstTopic(b: Uint8Array, apiKey: number, version: number, at: number, end: number) {
  if (apiKey === PRODUCE && version <= 8) {
    if (version >= 3) {
      const tx = at + 2 > end ? 0xffff : u16(b, at);
      at += 2 + (tx === 0xffff ? 0 : tx); // transactional_id
    }
    at += 2 + 4 + 4; // acks, timeout_ms, topic count
  } else if (apiKey === FETCH && version <= 11) {
    at += 4 + 4 + 4; // replica_id, max_wait_ms, min_bytes
    if (version >= 3) at += 4; // max_bytes
    if (version >= 4) at += 1; // isolation_level
    if (version >= 7) at += 8; // session_id, session_epoch
    at += 4; // topic count
  } else if (apiKey === METADATA && version <= 8) {
    if (at + 4 > end || u32(b, at) === 0 || u32(b, at) === 0xffffffff) return "";
    at += 4;
  } else {
    return "";
  }
  return kafkaString(b, at, end) ?? "";
}

/** The first error code in a response body at `at` (non-flexible versions); 0 if none. */
function firstError(b: Uint8Array, apiKey: number, version: number, at: number, end: number) {
  const i16 = (i: number) => (i + 2 <= end ? (u16(b, i) << 16) >> 16 : 0);
  const skipString = (i: number) => (i + 2 <= end ? i + 2 + u16(b, i) : end);
  if (apiKey === PRODUCE && version <= 8) {
    // topics[name, partitions[index, error_code, …]]
    at = skipString(at + 4);
    return i16(at + 4 + 4);
  }
  if (apiKey === FETCH && version <= 11) {
    if (version >= 1) at += 4; // throttle_time_ms
    if (version >= 7) {
      const top = i16(at);
      if (top !== 0) return top;
      at += 2 + 4;
    }
    at = skipString(at + 4);
    return i16(at + 4 + 4);
  }
  if (apiKey === METADATA && version <= 8) {
    if (version >= 3) at += 4;
    if (at + 4 > end) return 0;
    const brokers = u32(b, at);
    at += 4;
    for (let k = 0; k < brokers && at < end; k++) {
      at = skipString(at + 4) + 4; // node_id, host, port
      if (version >= 1) at = i16(at) === -1 ? at + 2 : skipString(at); // rack
    }
    if (version >= 2) at = i16(at) === -1 ? at + 2 : skipString(at); // cluster_id
    if (version >= 1) at += 4; // controller_id
    return at + 4 + 2 <= end && u32(b, at) > 0 ? i16(at + 4) : 0;
  }
  return 0;
}

class KafkaSession implements ParserSession {
  /** api_key and api_version of each pending correlation id (the response does not repeat them). */
  readonly #apis = new Map<number, number>();

  parse(payload: Payload, direction: Direction, sink: RequestSink): number {
    const { bytes: b, start, end } = payload;
    if (end - start < 8) return NEED_MORE;
    const size = u32(b, start);
    if (size < 4 || size > MAX_MESSAGE) return MALFORMED;
    const total = size + 4;
    if (direction === Direction.ToServer) {
      const h = headerEnd(b, start, end);
      if (h < 0) return end - start < 14 ? NEED_MORE : MALFORMED;
      const apiKey = u16(b, start + 4);
      const version = u16(b, start + 6);
      const correlation = u32(b, start + 8);
      const r = sink.requestWithId(correlation);
      r.requestType = API_NAMES[apiKey] ?? `api_key ${apiKey}`;
      r.version = String(version);
      r.requestLength = total;
      const clientId = u16(b, start + 12);
      if (clientId !== 0xffff) r.requestDomain = ascii(b, start + 14, Math.min(end, h));
      // Flexible header versions add tagged fields after client_id; the topic is read only
      // for versions before them.
      const bodyEnd = Math.min(end, start + total);
      const topic = firstTopic(b, apiKey, version, h, bodyEnd);
      r.requestResource = topic;
      r.endpoint = topic === "" ? r.requestType : `${r.requestType} ${topic}`;
      if (this.#apis.size >= 1024) this.#apis.delete(this.#apis.keys().next().value!);
      this.#apis.set(correlation, (apiKey << 8) | version);
      return total;
    }
    const correlation = u32(b, start + 4);
    const api = this.#apis.get(correlation);
    this.#apis.delete(correlation);
    const r = sink.responseFor(correlation);
    if (r !== undefined) {
      r.responseLength = total;
      if (api !== undefined) {
        const code = firstError(b, api >> 8, api & 255, start + 8, Math.min(end, start + total));
        r.responseCode = code;
        if (code !== 0) {
          r.responseStatus = ResponseStatus.ServerError;
          r.responseException = ERRORS[code] ?? `error ${code}`;
        }
      }
    }
    return total;
  }
}

export const kafka: L7Parser = {
  protocol: L7Protocol.Kafka,
  name: "kafka",
  ports: [9092],
  tcp: true,
  udp: false,
  check: (payload: Payload, direction: Direction, _ports: Ports) => checkKafka(payload, direction),
  session: () => new KafkaSession(),
};
