import type { VNode } from "preact";
import { formatMinuteMs } from "../format.ts";
import { YGrid } from "./chart_grid.tsx";

export interface LineSeries {
  key: string;
  points: readonly { t: number; v: number }[];
}

const W = 1000;
const H = 220;
const PAD = { left: 70, right: 20, top: 10, bottom: 24 } as const;
const COLOURS = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#ca8a04",
  "#db2777",
  "#4b5563",
  "#65a30d",
];

/** The colour of the `i`th series (the table's legend swatches use the same). */
export function seriesColour(i: number): string {
  return COLOURS[i % COLOURS.length]!;
}

/** Several series over a UTC time axis as a server-rendered SVG; `format` labels the y axis. */
export function LineChart(
  props: {
    series: readonly LineSeries[];
    fromMs: number;
    toMs: number;
    format: (v: number) => string;
    label: string;
  },
): VNode {
  const all = props.series.flatMap((s) => s.points);
  if (all.length === 0) {
    return (
      <div class="chart-empty" role="img" aria-label={`${props.label}: no data`}>
        No data in this time range
      </div>
    );
  }
  const max = Math.max(...all.map((p) => p.v), 0) || 1;
  const span = Math.max(1, props.toMs - props.fromMs);
  const x = (t: number) => PAD.left + ((t - props.fromMs) / span) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const r = (n: number) => Math.round(n * 10) / 10;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const times = [0, 0.25, 0.5, 0.75, 1].map((f) => props.fromMs + f * span);
  return (
    <svg
      class="chart line-chart"
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label={props.label}
    >
      <YGrid
        ticks={ticks}
        y={(v) => r(y(v))}
        left={PAD.left}
        right={W - PAD.right}
        format={props.format}
      />
      {props.series.map((s, i) => (
        <g class="line-series" key={s.key} data-series={s.key}>
          <title>{s.key}</title>
          <polyline
            fill="none"
            stroke={seriesColour(i)}
            stroke-width="2"
            points={s.points.map((p) => `${r(x(p.t))},${r(y(p.v))}`).join(" ")}
          />
          {s.points.length === 1 && (
            <circle
              cx={r(x(s.points[0]!.t))}
              cy={r(y(s.points[0]!.v))}
              r="3"
              fill={seriesColour(i)}
            />
          )}
        </g>
      ))}
      <g class="chart-axis-x">
        {times.map((t) => (
          <text key={t} class="chart-label chart-label-x" x={r(x(t))} y={H - 6}>
            {formatMinuteMs(t, span > 86_400_000)}
          </text>
        ))}
      </g>
    </svg>
  );
}
