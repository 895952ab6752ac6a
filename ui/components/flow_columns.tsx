import type { ComponentChildren, VNode } from "preact";
import {
  formatBytes,
  formatBytesExact,
  formatCount,
  formatDurationUs,
  formatEndpoint,
  formatTimestampUs,
  hasPorts,
  protocolName,
} from "../format.ts";
import { fieldOf, type FlowRow } from "../types.ts";

/** One column the flow table can show; `key` is what the URL's `cols` carries. */
export interface FlowColumn {
  key: string;
  label: string;
  /** Chooser group. */
  group: "Flow" | "Traffic" | "TCP" | "Latency" | "Client tags" | "Server tags";
  num?: boolean;
  /** The cell's content and, optionally, its title. */
  cell(row: FlowRow): { text: ComponentChildren; title?: string; muted?: boolean };
}

/** `packet_tx` (URL and DeepFlow name) → `packetTx` (the row's key). */
function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function n(row: FlowRow, key: string): number {
  const v = fieldOf(row, camel(key));
  return typeof v === "number" ? v : Number(v ?? 0);
}

function count(key: string, label: string, group: FlowColumn["group"]): FlowColumn {
  return { key, label, group, num: true, cell: (r) => ({ text: formatCount(n(r, key)) }) };
}

function bytes(key: string, label: string): FlowColumn {
  return {
    key,
    label,
    group: "Traffic",
    num: true,
    cell: (r) => ({ text: formatBytes(n(r, key)), title: formatBytesExact(n(r, key)) }),
  };
}

function micros(key: string, label: string): FlowColumn {
  return {
    key,
    label,
    group: "Latency",
    num: true,
    cell: (r) => n(r, key) > 0 ? { text: formatDurationUs(n(r, key)) } : { text: "—", muted: true },
  };
}

function average(key: string, label: string): FlowColumn {
  return {
    key,
    label,
    group: "Latency",
    num: true,
    cell: (r) => {
      const c = n(r, `${key}Count`);
      return c > 0
        ? { text: formatDurationUs(n(r, `${key}Sum`) / c), title: `${c} samples` }
        : { text: "—", muted: true };
    },
  };
}

function tag(side: 0 | 1, key: string, label: string): FlowColumn {
  const field = `${key}${side}`;
  return {
    key: `${key.replace(/([A-Z])/g, "_$1").toLowerCase()}_${side}`,
    label: `${label} (${side === 0 ? "client" : "server"})`,
    group: side === 0 ? "Client tags" : "Server tags",
    cell: (r) => {
      const v = fieldOf(r, field);
      if (key === "labels") {
        const text = Object.entries((v ?? {}) as Record<string, string>).map(([k, x]) =>
          `${k}=${x}`
        ).join(" ");
        return text ? { text } : { text: "—", muted: true };
      }
      return typeof v === "string" && v !== "" ? { text: v } : { text: "—", muted: true };
    },
  };
}

function endpoint(side: 0 | 1): FlowColumn {
  return {
    key: side === 0 ? "client" : "server",
    label: side === 0 ? "Client" : "Server",
    group: "Flow",
    cell: (r) => {
      const ip = side === 0 ? r.ip0 : r.ip1;
      const port = hasPorts(r.protocol) ? (side === 0 ? r.clientPort : r.serverPort) : undefined;
      const text = formatEndpoint(ip, port);
      return { text: breakable(text), title: text };
    },
  };
}

// A long IPv6 endpoint may wrap, but only after a colon, so no column is squeezed into ragged
// fragments; IPv4 endpoints never wrap.
function breakable(text: string): ComponentChildren {
  if (text.length <= 24 || !text.includes(":")) return text;
  const parts = text.split(":");
  return parts.map((part, i) => i < parts.length - 1 ? [part, ":", <wbr key={i} />] : part);
}

const TAGS: [string, string][] = [
  ["service", "Service"],
  ["host", "Host"],
  ["pod", "Pod"],
  ["podNs", "Namespace"],
  ["subnet", "Subnet"],
  ["vpc", "VPC"],
  ["region", "Region"],
  ["labels", "Labels"],
];

/** Every column, in chooser order. */
export const FLOW_COLUMNS: readonly FlowColumn[] = [
  {
    key: "start_time",
    label: "Start (UTC)",
    group: "Flow",
    cell: (r) => ({ text: formatTimestampUs(r.startTime) }),
  },
  {
    key: "duration",
    label: "Duration",
    group: "Flow",
    num: true,
    cell: (r) => ({
      text: formatDurationUs(r.endTime - r.startTime),
      title: `Ends ${formatTimestampUs(r.endTime)} UTC`,
    }),
  },
  endpoint(0),
  endpoint(1),
  {
    key: "protocol",
    label: "Protocol",
    group: "Flow",
    cell: (r) => ({
      text: (
        <span class={`proto proto-${protocolName(r.protocol).toLowerCase()}`}>
          {protocolName(r.protocol)}
        </span>
      ),
      title: `IP protocol ${r.protocol}`,
    }),
  },
  {
    key: "vlan",
    label: "VLAN",
    group: "Flow",
    num: true,
    cell: (r) =>
      r.vlan > 0 ? { text: String(r.vlan) } : { text: "—", title: "No VLAN tag", muted: true },
  },
  count("packet_tx", "Packets →", "Traffic"),
  count("packet_rx", "Packets ←", "Traffic"),
  bytes("byte_tx", "Bytes →"),
  bytes("byte_rx", "Bytes ←"),
  {
    key: "appliance",
    label: "Appliance",
    group: "Flow",
    cell: (r) => ({ text: r.appliance, title: r.appliance }),
  },
  {
    key: "observation_point",
    label: "Obs. point",
    group: "Flow",
    cell: (r) => ({ text: String(fieldOf(r, "observationPoint") ?? "") }),
  },
  count("capture_nic", "Capture point", "Flow"),
  count("close_type", "Close type", "Flow"),
  bytes("l4_byte_tx", "Payload →"),
  bytes("l4_byte_rx", "Payload ←"),
  count("retrans_tx", "Retrans →", "TCP"),
  count("retrans_rx", "Retrans ←", "TCP"),
  count("zero_win_tx", "Zero win →", "TCP"),
  count("zero_win_rx", "Zero win ←", "TCP"),
  count("syn_count", "SYNs", "TCP"),
  micros("rtt", "RTT"),
  average("srt", "SRT avg"),
  average("art", "ART avg"),
  ...TAGS.map(([k, l]) => tag(0, k, l)),
  ...TAGS.map(([k, l]) => tag(1, k, l)),
];

const BY_KEY = new Map(FLOW_COLUMNS.map((c) => [c.key, c]));

/** The columns shown when the URL chooses none. */
export const DEFAULT_COLUMNS: readonly string[] = [
  "start_time",
  "duration",
  "client",
  "server",
  "protocol",
  "vlan",
  "packet_tx",
  "packet_rx",
  "byte_tx",
  "byte_rx",
  "appliance",
];

/** The columns for `keys` (unknown keys dropped), or the default set when none is left. */
export function chosenColumns(keys: readonly string[]): FlowColumn[] {
  const chosen = keys.map((k) => BY_KEY.get(k)).filter((c): c is FlowColumn => !!c);
  return chosen.length > 0 ? chosen : DEFAULT_COLUMNS.map((k) => BY_KEY.get(k)!);
}

/** Renders one cell of `column` for `row`. */
export function FlowCell(props: { column: FlowColumn; row: FlowRow }): VNode {
  const { text, title, muted } = props.column.cell(props.row);
  const classes = [props.column.num ? "num" : "", muted ? "cell-muted" : ""].filter((c) => c);
  if (props.column.key === "client" || props.column.key === "server") classes.push("mono endpoint");
  if (props.column.key === "start_time") classes.push("mono nowrap");
  return <td class={classes.join(" ") || undefined} title={title}>{text}</td>;
}
