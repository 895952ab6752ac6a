// The props contract between the manager and the flow-log page. The manager fills these from the
// query string and the database; ui/ only renders them.

/** One flow-log record (one flow over one natural minute), as the table shows it. */
export interface FlowRow {
  flowId: number;
  appliance: string;
  /** µs since epoch */
  startTime: number;
  /** µs since epoch */
  endTime: number;
  ipVersion: number;
  /** client address */
  ip0: string;
  /** server address */
  ip1: string;
  clientPort: number;
  serverPort: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …) */
  protocol: number;
  vlan: number;
  packetTx: number;
  packetRx: number;
  byteTx: number;
  byteRx: number;
  /** The row's key, with `appliance`: its id and its `time` (ms); set by the manager. */
  id?: number;
  time?: number;
  /** Set by the manager when an appliance stored packets of the flow (PCAP policies). */
  hasPcap?: boolean;
  pcapPolicies?: string[];
  // Every other field of the manager's row (rtt, closeType, service1, labels0, …) may be present
  // too: components read them with fieldOf().
}

/**
 * The filter form's values, raw as the user typed them, so an invalid value is shown back for
 * correction. `from`/`to` are `<input type="datetime-local">` values read as UTC
 * (`"2026-11-25T17:00"`) or `""`.
 */
export interface FlowFilters {
  /** The search expression, e.g. `service_1 = checkout and byte_tx > 1000`. */
  q: string;
  ip: string;
  port: string;
  protocol: string;
  from: string;
  to: string;
  /** 1-based */
  page: number;
  /** Chosen columns (keys of FLOW_COLUMNS), in order; empty = the default columns. */
  cols: string[];
}

/** The filter fields that can carry a validation message. */
export type FlowFilterField = "q" | "ip" | "port" | "protocol" | "from" | "to";

/** Bytes (both directions) in one minute. */
export interface ChartPoint {
  /** ms since epoch, start of the minute */
  minute: number;
  bytes: number;
}

export interface FlowPageProps {
  filters: FlowFilters;
  /** The rows of the current page. */
  rows: FlowRow[];
  /** Rows matching the filters, over all pages. */
  total: number;
  pageSize: number;
  chart: ChartPoint[];
  /** Width of one chart point in seconds (default 60): wider when the range is long. */
  bucketSeconds?: number;
  /** Validation messages, rendered next to their field. */
  errors: Partial<Record<FlowFilterField, string>>;
  /** Where the page is served, e.g. `"/flows"`; the form and every link point here. */
  basePath: string;
  /** A row to show in the detail panel when the page opens (`?flow=` in the URL). */
  detail?: FlowRow;
  /** Rows an export holds at most. */
  exportCap?: number;
}

/** A field of a row by its wire name (`rtt`, `service1`, …), whether or not FlowRow declares it. */
export function fieldOf(row: FlowRow, key: string): unknown {
  return (row as unknown as Record<string, unknown>)[key];
}
