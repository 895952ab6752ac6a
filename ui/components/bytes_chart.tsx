import type { VNode } from "preact";
import { formatBytes, formatBytesExact, formatMinuteMs } from "../format.ts";
import type { ChartPoint } from "../types.ts";
import { YGrid } from "./chart_grid.tsx";

// Geometry in viewBox units. The SVG scales to its container's width (about 1 unit per CSS pixel
// on a 1280-px screen), keeping its aspect ratio so that text is never stretched.
const WIDTH = 1000;
const HEIGHT = 200;
const PAD = { left: 60, right: 28, top: 10, bottom: 24 } as const;
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;
const MINUTE_MS = 60_000;
const MAX_BAR_W = 40;
const MAX_X_LABELS = 8;
// Label spacings, in minutes; each divides a day, so labels fall on round UTC times.
const LABEL_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440] as const;

/** The y-axis scale: `top` is the axis maximum, ticks are every `step` from 0. */
export interface ByteScale {
  top: number;
  step: number;
}

/** A 1-2-2.5-5 scale with about four intervals that covers `max` (any finite size). */
export function byteScale(max: number): ByteScale {
  if (!(max > 1)) return { top: 1, step: 1 };
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1
    ? 1
    : fraction <= 2
    ? 2
    : fraction <= 2.5
    ? 2.5
    : fraction <= 5
    ? 5
    : 10;
  const step = nice * power;
  const top = Math.ceil(max / step) * step;
  // Near Number.MAX_VALUE the rounded-up axis overflows; fall back to an exact one.
  return Number.isFinite(top) ? { top, step } : { top: max, step: max / 4 };
}

/** The grid values of a scale: 0, step, 2·step … top (at most ten intervals). */
export function scaleTicks(scale: ByteScale): number[] {
  const intervals = Math.min(Math.round(scale.top / scale.step), 10);
  return Array.from({ length: intervals + 1 }, (_, i) => i * scale.step);
}

/** The spacing of x-axis labels, in minutes, for a span of `minutes` bars. */
export function labelStepMinutes(minutes: number): number {
  for (const step of LABEL_STEPS) if (minutes / step <= MAX_X_LABELS) return step;
  return Math.ceil(minutes / MAX_X_LABELS / 1440) * 1440;
}

function r(n: number): number {
  return Math.round(n * 100) / 100;
}

function utcDay(ms: number): number {
  return Math.floor(ms / 86_400_000);
}

/** "minute", "5 minutes", "hour", "6 hours", "day": the width of one bar, for titles. */
export function bucketLabel(bucketMinutes: number): string {
  if (bucketMinutes <= 1) return "minute";
  if (bucketMinutes % 1440 === 0) {
    return bucketMinutes === 1440 ? "day" : `${bucketMinutes / 1440} days`;
  }
  if (bucketMinutes % 60 === 0) {
    return bucketMinutes === 60 ? "hour" : `${bucketMinutes / 60} hours`;
  }
  return `${bucketMinutes} minutes`;
}

/**
 * Bytes per minute (or per wider bucket, when the range holds more minutes than fit) as a
 * server-rendered SVG bar chart: one bar per point, placed on a UTC time axis (buckets without a
 * point stay empty), each with a tooltip.
 */
export function BytesChart(
  props: { points: readonly ChartPoint[]; bucketMinutes?: number },
): VNode {
  const bucketMinutes = Math.max(1, Math.round(props.bucketMinutes ?? 1));
  const BUCKET_MS = bucketMinutes * MINUTE_MS;
  const per = bucketLabel(bucketMinutes);
  const points = props.points
    .filter((p) => Number.isFinite(p.minute))
    .map((p) => ({
      minute: p.minute,
      bytes: Number.isFinite(p.bytes) && p.bytes > 0 ? p.bytes : 0,
    }))
    .sort((a, b) => a.minute - b.minute);
  const firstPoint = points[0];
  const lastPoint = points[points.length - 1];
  if (firstPoint === undefined || lastPoint === undefined) {
    return (
      <div class="chart-empty" role="img" aria-label={`Bytes per ${per}: no traffic in this range`}>
        No traffic in this time range
      </div>
    );
  }
  const t0 = firstPoint.minute;
  const t1 = lastPoint.minute;
  const slots = Math.round((t1 - t0) / BUCKET_MS) + 1;
  const slotW = PLOT_W / slots;
  const barW = slotW > 2 ? Math.min(slotW * 0.8, MAX_BAR_W) : slotW;
  const max = points.reduce((m, p) => Math.max(m, p.bytes), 0);
  const peak = points.find((p) => p.bytes === max) ?? firstPoint;
  const scale = byteScale(max);
  const withDate = utcDay(t0) !== utcDay(t1);
  const slotX = (minute: number) => PAD.left + ((minute - t0) / BUCKET_MS) * slotW;
  const y = (bytes: number) => PAD.top + PLOT_H - (bytes / scale.top) * PLOT_H;

  const ticks = scaleTicks(scale);
  const labelStep = Math.max(labelStepMinutes(slots * bucketMinutes), bucketMinutes);
  const labels: number[] = [];
  const firstLabel = Math.ceil(t0 / (labelStep * MINUTE_MS)) * labelStep * MINUTE_MS;
  for (let m = firstLabel; m <= t1; m += labelStep * MINUTE_MS) labels.push(m);

  const range = `${formatMinuteMs(t0, withDate)} to ${formatMinuteMs(t1 + BUCKET_MS, withDate)}`;
  const summary = `Bytes per ${per}, ${range} UTC, ${points.length} ` +
    `${bucketMinutes === 1 ? "minute" : "bucket"}${points.length === 1 ? "" : "s"} with traffic; ` +
    `peak ${formatBytes(max)} at ${formatMinuteMs(peak.minute, withDate)}`;

  return (
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
        format={formatBytes}
      />
      <g class="chart-bars">
        {points.map((p) => {
          const height = p.bytes > 0 ? Math.max((p.bytes / scale.top) * PLOT_H, 1) : 0;
          return (
            <g class="chart-bar" key={p.minute} data-minute={p.minute}>
              <title>
                {`${formatMinuteMs(p.minute, withDate)} UTC: ${formatBytes(p.bytes)} ` +
                  `(${formatBytesExact(p.bytes)})`}
              </title>
              <rect
                class="chart-bar-hit"
                x={r(slotX(p.minute))}
                y={PAD.top}
                width={r(slotW)}
                height={PLOT_H}
              />
              <rect
                class="chart-bar-fill"
                x={r(slotX(p.minute) + (slotW - barW) / 2)}
                y={r(PAD.top + PLOT_H - height)}
                width={r(barW)}
                height={r(height)}
              />
            </g>
          );
        })}
      </g>
      <g class="chart-axis-x">
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top + PLOT_H} y2={PAD.top + PLOT_H} />
        {labels.map((m) => {
          const x = r(slotX(m) + slotW / 2);
          return (
            <g key={m}>
              <line x1={x} x2={x} y1={PAD.top + PLOT_H} y2={PAD.top + PLOT_H + 4} />
              <text class="chart-label chart-label-x" x={x} y={HEIGHT - 6}>
                {formatMinuteMs(m, withDate)}
              </text>
            </g>
          );
        })}
      </g>
    </svg>
  );
}
