// Pieces shared by the request-log, app and DB pages: the RED figures' formats, the error/ok
// histogram and a sortable table header.
import type { VNode } from "preact";
import { formatCount, formatDurationUs, formatMinuteMs } from "../format.ts";

/** A RED figure in its unit; rates are per second. */
export function formatRed(unit: string, v: number): string {
  if (unit === "us") return v === 0 ? "–" : formatDurationUs(Math.round(v));
  if (unit === "ratio") return `${(v * 100).toFixed(2)}%`;
  if (unit === "rate") return v >= 100 ? `${Math.round(v)}/s` : `${v.toFixed(v >= 1 ? 2 : 3)}/s`;
  return formatCount(Math.round(v));
}

/** DeepFlow's response_status names. */
export const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: "Success",
  2: "Unknown",
  3: "Server Error",
  4: "Client Error",
};

/** The CSS class of a response status (errors stand out in tables). */
export function statusClass(status: number): string {
  return status === 3 || status === 4 ? "status-error" : status === 0 ? "status-ok" : "";
}

const W = 1000;
const H = 160;
const PAD = { left: 50, right: 10, top: 8, bottom: 22 } as const;

/** Requests over time: one bar per bucket, errors stacked on top in red. */
export function RequestHistogram(
  props: {
    buckets: readonly { t: number; ok: number; error: number }[];
    fromMs: number;
    toMs: number;
    bucketSeconds: number;
  },
): VNode {
  if (props.buckets.length === 0) {
    return (
      <div class="chart-empty" role="img" aria-label="Requests over time: no data">
        No requests in this time range
      </div>
    );
  }
  const span = Math.max(1, props.toMs - props.fromMs);
  const max = Math.max(1, ...props.buckets.map((b) => b.ok + b.error));
  const x = (t: number) => PAD.left + ((t - props.fromMs) / span) * (W - PAD.left - PAD.right);
  const h = (v: number) => (v / max) * (H - PAD.top - PAD.bottom);
  const barW = Math.max(1, (props.bucketSeconds * 1000 / span) * (W - PAD.left - PAD.right) - 1);
  const r = (n: number) => Math.round(n * 10) / 10;
  const base = H - PAD.bottom;
  return (
    <svg
      class="chart request-histogram"
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label={`Requests over time, ${props.bucketSeconds}-second buckets`}
    >
      <text class="chart-label chart-label-y" x={PAD.left - 6} y={PAD.top} dy="0.7em">
        {formatCount(max)}
      </text>
      <line class="chart-axis" x1={PAD.left} x2={W - PAD.right} y1={base} y2={base} />
      {props.buckets.map((b) => (
        <g key={b.t} class="histogram-bar" data-t={b.t} data-ok={b.ok} data-error={b.error}>
          <title>
            {`${formatMinuteMs(b.t, true)}: ${b.ok + b.error} requests, ${b.error} errors`}
          </title>
          <rect
            class="histogram-ok"
            x={r(x(b.t))}
            y={r(base - h(b.ok))}
            width={r(barW)}
            height={r(h(b.ok))}
          />
          <rect
            class="histogram-error"
            x={r(x(b.t))}
            y={r(base - h(b.ok) - h(b.error))}
            width={r(barW)}
            height={r(h(b.error))}
          />
        </g>
      ))}
      {[0, 0.5, 1].map((f) => {
        const t = props.fromMs + f * span;
        return (
          <text key={f} class="chart-label chart-label-x" x={r(x(t))} y={H - 6}>
            {formatMinuteMs(t, span > 86_400_000)}
          </text>
        );
      })}
    </svg>
  );
}

/** A column header that sorts the table by its link; `current` marks the sorted one. */
export function SortHeader(
  props: { label: string; href: string; current: boolean; desc: boolean; num?: boolean },
): VNode {
  return (
    <th
      scope="col"
      class={props.num ? "num" : undefined}
      aria-sort={props.current ? (props.desc ? "descending" : "ascending") : undefined}
    >
      <a href={props.href}>
        {props.label}
        {props.current ? (props.desc ? " ▼" : " ▲") : ""}
      </a>
    </th>
  );
}
