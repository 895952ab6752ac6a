import type { VNode } from "preact";

/** One TCP segment of the diagram (see manager/pcap/analysis.ts sequenceOf()). */
export interface SeqArrowView {
  number: number;
  timeUs: number;
  deltaUs: number;
  fromLeft: boolean;
  flags: string;
  seq: number;
  ack: number | null;
  len: number;
  retransmission: boolean;
  reset: boolean;
}

export interface SequenceDiagramProps {
  left: string;
  right: string;
  arrows: SeqArrowView[];
  /** Where a click on an arrow goes (the packet's decode), by frame number. */
  packetHref?: (number: number) => string;
}

const WIDTH = 760;
const LEFT_X = 250;
const RIGHT_X = 680;
const ROW = 34;
const TOP = 56;

// Inline colours: the SVG is also served alone (API), without the stylesheet.
const COLOURS = { normal: "#3264d2", retrans: "#b86e00", rst: "#c22f48" } as const;

function seconds(us: number): string {
  return `+${(us / 1e6).toFixed(6)} s`;
}

/**
 * A TCP session as two lanes (the first packet's sender on the left) with one arrow per segment,
 * labelled with flags, relative seq/ack and length; the left column gives the frame number and
 * the time since the previous segment. Retransmissions and resets get their own colour and a
 * word in the label, so they read without colour too.
 */
export function SequenceDiagram(props: SequenceDiagramProps): VNode {
  const height = TOP + props.arrows.length * ROW + 20;
  return (
    <svg
      class="seq-diagram"
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${WIDTH} ${height}`}
      width={WIDTH}
      height={height}
      role="img"
      aria-label={`TCP sequence diagram, ${props.left} and ${props.right}, ${props.arrows.length} segments`}
    >
      <defs>
        {Object.entries(COLOURS).map(([k, c]) => (
          <marker
            key={k}
            id={`seq-head-${k}`}
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0 0L10 5L0 10z" fill={c} />
          </marker>
        ))}
      </defs>
      <text
        x={LEFT_X}
        y={18}
        text-anchor="middle"
        class="seq-host"
        font-weight="bold"
        font-size="13"
      >
        {props.left}
      </text>
      <text
        x={RIGHT_X}
        y={18}
        text-anchor="middle"
        class="seq-host"
        font-weight="bold"
        font-size="13"
      >
        {props.right}
      </text>
      <text x={8} y={40} class="seq-head" font-size="11" fill="#5b6475">Frame · Δt</text>
      <line
        x1={LEFT_X}
        y1={28}
        x2={LEFT_X}
        y2={height - 8}
        class="seq-lane"
        stroke="#8b93a3"
        stroke-dasharray="4 3"
      />
      <line
        x1={RIGHT_X}
        y1={28}
        x2={RIGHT_X}
        y2={height - 8}
        class="seq-lane"
        stroke="#8b93a3"
        stroke-dasharray="4 3"
      />
      {props.arrows.map((a, i) => {
        const y = TOP + i * ROW + 16;
        const kind = a.reset ? "rst" : a.retransmission ? "retrans" : "normal";
        const colour = COLOURS[kind];
        const [x1, x2] = a.fromLeft ? [LEFT_X, RIGHT_X] : [RIGHT_X, LEFT_X];
        const label = `${a.retransmission ? "Retransmission " : ""}[${a.flags}] Seq=${a.seq}${
          a.ack === null ? "" : ` Ack=${a.ack}`
        } Len=${a.len}`;
        const body = (
          <g class={`seq-arrow seq-${kind}`} data-frame={a.number}>
            <title>{`Frame ${a.number}: ${label}`}</title>
            <text x={8} y={y + 4} class="seq-time" font-size="11" fill="#5b6475">
              {`#${a.number} ${seconds(a.deltaUs)}`}
            </text>
            <line
              x1={x1}
              y1={y}
              x2={x2}
              y2={y}
              stroke={colour}
              stroke-width={kind === "normal" ? 1.5 : 2.5}
              marker-end={`url(#seq-head-${kind})`}
            />
            <text
              x={(LEFT_X + RIGHT_X) / 2}
              y={y - 5}
              text-anchor="middle"
              class="seq-label"
              font-size="12"
              fill={colour}
              font-family="monospace"
            >
              {label}
            </text>
          </g>
        );
        const href = props.packetHref?.(a.number);
        return href ? <a key={i} href={href}>{body}</a> : <g key={i}>{body}</g>;
      })}
    </svg>
  );
}
