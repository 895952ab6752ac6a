import type { VNode } from "preact";

/**
 * The horizontal grid of a chart with its y-axis labels: one line across the plot and one label
 * left of it per tick. `y` maps a value to its (already rounded) viewBox coordinate. Shared by
 * the bytes, rate and line charts so that they read alike.
 */
export function YGrid(props: {
  ticks: readonly number[];
  y: (value: number) => number;
  /** The plot's left and right edges, viewBox units. */
  left: number;
  right: number;
  format: (value: number) => string;
}): VNode {
  return (
    <g class="chart-grid">
      {props.ticks.map((tick) => {
        const y = props.y(tick);
        return (
          <g key={tick}>
            <line x1={props.left} x2={props.right} y1={y} y2={y} />
            <text class="chart-label chart-label-y" x={props.left - 6} y={y} dy="0.32em">
              {props.format(tick)}
            </text>
          </g>
        );
      })}
    </g>
  );
}
