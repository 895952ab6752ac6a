/**
 * One handler per report stream: which table its records go to and how a record becomes a row
 * (COPY text). Adding a stream is one entry in {@link STREAM_HANDLERS} beside its wire spec
 * (`appliance/wire/streams.ts`) and its table (schema, partitions.ts, retention.ts).
 */
import {
  type EventRecord,
  FLOW_FIELDS,
  type FlowRecord,
  type NpbCounterRecord,
  type PcapIndexRecord,
  type RequestRecord,
  type SecondRecord,
  type Stream,
  type StreamRecords,
} from "../../appliance/wire/mod.ts";
import type { PartitionedTable } from "../db/mod.ts";
import { FLOW_TAG_COLUMNS, type Tagger } from "../inventory/mod.ts";
import { REQUEST_COLUMNS, requestLine, requestTimeMs } from "../requests/mod.ts";
import { copyText } from "./_tx.ts";
import { SECOND_COLUMNS, SECOND_TAG_COLUMNS, secondLine } from "./_seconds.ts";

export interface StreamHandler<R> {
  /**
   * The table the rows go to: time-partitioned (daily partitions made on demand), or the plain
   * `network_metrics_1s` (pruned to the last hour by `manager/netmon/seconds.ts`).
   */
  table: PartitionedTable | "network_metrics_1s";
  /** COPY column list, in the order {@link StreamHandler.line} writes them. */
  columns: readonly string[];
  /** The row's partition time, ms since the epoch. */
  timeMs(record: R): number;
  /**
   * AutoTagging columns (DESIGN §5), written after {@link StreamHandler.columns} when ingest has
   * a tagger for the batch (an inventory that is not empty); otherwise they keep their defaults.
   */
  tagColumns?: readonly string[];
  /**
   * The row as one COPY text line ending in "\n"; `appliance` is already escaped. With `tagger`,
   * the line ends with the {@link StreamHandler.tagColumns} values.
   */
  line(appliance: string, record: R, tagger?: Tagger): string;
}

/** Formats a second as a timestamptz literal, remembering the last one (records come in runs). */
class SecondText {
  #second = Number.NaN;
  #text = "";
  of(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#text = new Date(second * 1000).toISOString();
    }
    return this.#text;
  }
}

const flowSecond = new SecondText();
const FLOW_KEYS = FLOW_FIELDS.map((f) => f.key);

/**
 * The flow_log row of a record: the wire's fields in {@link FLOW_FIELDS} order (a v1 record got
 * the v2 defaults when the batch was validated). Every value was checked by the wire module:
 * integers, IP addresses and observation points need no escaping.
 */
function flowLine(appliance: string, r: FlowRecord, tagger?: Tagger): string {
  let line = appliance + "\t" + flowSecond.of(r.startTime / 1000);
  for (let i = 0; i < FLOW_KEYS.length; i++) line += "\t" + r[FLOW_KEYS[i]!];
  if (tagger !== undefined) {
    // Inventory names and label JSON are free text: escaped like any COPY text cell.
    for (const v of tagger.tagValues(r)) line += "\t" + (typeof v === "string" ? copyText(v) : v);
  }
  return line + "\n";
}

const flows: StreamHandler<FlowRecord> = {
  table: "flow_log",
  columns: ["appliance_id", "time", ...FLOW_FIELDS.map((f) => f.column)],
  tagColumns: FLOW_TAG_COLUMNS,
  timeMs: (r) => Math.floor(r.startTime / 1000),
  line: flowLine,
};

const events: StreamHandler<EventRecord> = {
  table: "appliance_event",
  columns: ["appliance_id", "time", "kind", "detail"],
  timeMs: (r) => r.time,
  // The detail was checked to be plain JSON by the wire module; events are few, so no caching.
  line: (appliance, r) =>
    `${appliance}\t${new Date(r.time).toISOString()}\t${r.kind}\t${
      copyText(JSON.stringify(r.detail))
    }\n`,
};

const requests: StreamHandler<RequestRecord> = {
  table: "request_log",
  columns: REQUEST_COLUMNS,
  tagColumns: FLOW_TAG_COLUMNS,
  timeMs: requestTimeMs,
  line: requestLine,
};

/** The PCAP index summary (issue #7); every value was checked by the wire module. */
const pcapIndex: StreamHandler<PcapIndexRecord> = {
  table: "pcap_index",
  columns: [
    "appliance_id",
    "time",
    "policy",
    "file_id",
    "protocol",
    "ip_a",
    "port_a",
    "ip_b",
    "port_b",
    "start_time",
    "end_time",
    "packets",
    "bytes",
    "evicted",
  ],
  timeMs: (r) => Math.floor(r.startTime / 1000),
  line: (appliance, r) =>
    `${appliance}\t${
      new Date(Math.floor(r.startTime / 1e6) * 1000).toISOString()
    }\t${r.policy}\t${r.fileId}\t${r.protocol}\t${r.ipA}\t${r.portA}\t${r.ipB}\t${r.portB}\t${r.startTime}\t${r.endTime}\t${r.packets}\t${r.bytes}\t${r.evicted}\n`,
};

const npbCounters: StreamHandler<NpbCounterRecord> = {
  table: "npb_counters",
  columns: [
    "appliance_id",
    "time",
    "kind",
    "object_id",
    "packets",
    "bytes",
    "matched",
    "drop_filter",
    "drop_direction",
    "drop_dedup",
    "drop_rate_limit",
    "drop_fuse",
    "drop_send_error",
    "truncated",
    "last_error",
    "last_send_at",
  ],
  timeMs: (r) => r.time,
  // Counts were checked to be integers by the wire module; ids and errors are free text.
  line: (appliance, r) =>
    `${appliance}\t${new Date(r.time).toISOString()}\t${r.kind}\t${
      copyText(r.id)
    }\t${r.packets}\t${r.bytes}\t${r.matched}\t${r.filter}\t${r.direction}\t${r.dedup}\t${r.rateLimit}\t${r.fuse}\t${r.sendError}\t${r.truncated}\t${
      copyText(r.lastError)
    }\t${r.lastSendAt}\n`,
};

const metrics1s: StreamHandler<SecondRecord> = {
  table: "network_metrics_1s",
  columns: SECOND_COLUMNS,
  tagColumns: SECOND_TAG_COLUMNS,
  timeMs: (r) => Math.floor(r.time / 1000),
  line: secondLine,
};

export const STREAM_HANDLERS: { readonly [S in Stream]: StreamHandler<StreamRecords[S]> } = {
  flows,
  events,
  requests,
  pcap_index: pcapIndex,
  npb_counters: npbCounters,
  metrics_1s: metrics1s,
};
