import type { VNode } from "preact";
import { byteScale, scaleTicks } from "./bytes_chart.tsx";
import { YGrid } from "./chart_grid.tsx";

// Geometry in viewBox units, like bytes_chart.tsx: the SVG scales to its container's width.
const WIDTH = 1000;
const HEIGHT = 180;
const PAD = { left: 64, right: 28, top: 10, bottom: 24 } as const;
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;
/** A gap longer than this between two points breaks the line (an offline spell, a restart). */
const GAP_FACTOR = 4;

/** One line of a rate chart. */
export interface RateSeries {
  label: string;
  /** CSS class of the line: `rate-line-1` … `rate-line-3`. */
  className: string;
  points: readonly { at: number; value: number }[];
}

function r(n: number): number {
  return Math.round(n * 100) / 100;
}

function hhmmss(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function compact(n: number): string {
  if (n >= 1e9) return `${r(n / 1e9)}G`;
  if (n >= 1e6) return `${r(n / 1e6)}M`;
  if (n >= 1e3) return `${r(n / 1e3)}k`;
  return String(r(n));
}

/**
 * Rates over time (per-second values between consecutive heartbeats) as a server-rendered SVG
 * line chart on a UTC time axis; each point carries a tooltip. `unit` names the y axis.
 */
export function RateChart(props: { series: readonly RateSeries[]; unit: string }): VNode {
  const all = props.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.value));
  if (all.length === 0) {
    return (
      <div class="chart-empty" role="img" aria-label={`${props.unit}: no heartbeats yet`}>
        No heartbeats in this time range
      </div>
    );
  }
  const t0 = Math.min(...all.map((p) => p.at));
  const t1 = Math.max(t0 + 1000, ...all.map((p) => p.at));
  const max = Math.max(...all.map((p) => p.value));
  const scale = byteScale(max);
  const x = (at: number) => PAD.left + ((at - t0) / (t1 - t0)) * PLOT_W;
  const y = (v: number) => PAD.top + PLOT_H - (v / scale.top) * PLOT_H;
  const ticks = scaleTicks(scale);
  const labels = Array.from({ length: 5 }, (_, i) => t0 + ((t1 - t0) * i) / 4);
  const summary = `${props.unit} from ${hhmmss(t0)} to ${hhmmss(t1)} UTC: ` +
    props.series.map((s) =>
      `${s.label} peak ${compact(Math.max(0, ...s.points.map((p) => p.value)))}`
    )
      .join(", ");

  const paths = props.series.map((s) => {
    const pts = [...s.points].sort((a, b) => a.at - b.at);
    const steps = pts.slice(1).map((p, i) => p.at - pts[i]!.at).sort((a, b) => a - b);
    const typical = steps[Math.floor(steps.length / 2)] ?? Infinity;
    let d = "";
    pts.forEach((p, i) => {
      const gap = i > 0 && p.at - pts[i - 1]!.at > typical * GAP_FACTOR;
      d += `${i === 0 || gap ? "M" : "L"}${r(x(p.at))},${r(y(p.value))} `;
    });
    return { s, d: d.trim(), pts };
  });

  return (
    <figure class="rate-chart">
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        role="img"
        aria-label={summary}
      >
        <YGrid
          ticks={ticks}
          y={(v) => r(y(v))}
          left={PAD.left}
          right={WIDTH - PAD.right}
          format={compact}
        />
        {paths.map(({ s, d, pts }) => (
          <g key={s.label} class={`rate-line ${s.className}`} data-series={s.label}>
            <path d={d} fill="none" />
            {pts.map((p) => (
              <circle key={p.at} cx={r(x(p.at))} cy={r(y(p.value))} r="2.5">
                <title>{`${hhmmss(p.at)} UTC: ${s.label} ${compact(p.value)} ${props.unit}`}</title>
              </circle>
            ))}
          </g>
        ))}
        <g class="chart-axis-x">
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top + PLOT_H} y2={PAD.top + PLOT_H} />
          {labels.map((m) => (
            <text key={m} class="chart-label chart-label-x" x={r(x(m))} y={HEIGHT - 6}>
              {hhmmss(m)}
            </text>
          ))}
        </g>
      </svg>
      <figcaption class="rate-legend">
        {props.series.map((s) => (
          <span key={s.label} class={`rate-key ${s.className}`}>{s.label}</span>
        ))}
        <span class="cell-muted">({props.unit}, UTC)</span>
      </figcaption>
    </figure>
  );
}
