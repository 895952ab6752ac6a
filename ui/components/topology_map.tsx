import type { VNode } from "preact";

export interface TopologyNode {
  id: string;
  x: number;
  y: number;
  href: string;
}

export interface TopologyEdgeView {
  from: string;
  to: string;
  level: "ok" | "warn" | "crit";
  href: string;
  /** The edge's tooltip. */
  title: string;
}

export interface TopologyMapProps {
  /** Node centres from the server-side layout (manager/netmon/layout.ts). */
  nodes: TopologyNode[];
  edges: TopologyEdgeView[];
  width: number;
  height: number;
  /** What the map shows, for screen readers ("Topology", "App topology"). */
  label: string;
  /** Said instead of the map when there are no nodes. */
  empty: string;
}

/** Half a node box's width: edges leave and enter at the boxes' sides. */
const HALF = 60;

/**
 * A layered graph as SVG: each edge a curve from the right side of its client box to the left
 * side of its server box, coloured by its level; nodes and edges are links (drill-down). Shared by
 * the network and the app topology.
 */
export function TopologyMap(props: TopologyMapProps): VNode {
  if (props.nodes.length === 0) return <p class="empty">{props.empty}</p>;
  const at = new Map(props.nodes.map((n) => [n.id, n]));
  return (
    <svg
      class="topology"
      viewBox={`-20 -10 ${props.width + 200} ${props.height + 20}`}
      width={props.width + 200}
      height={props.height + 20}
      role="img"
      aria-label={`${props.label}: ${props.nodes.length} nodes, ${props.edges.length} edges`}
    >
      {props.edges.map((e) => {
        const a = at.get(e.from)!;
        const b = at.get(e.to)!;
        const mid = (a.x + b.x) / 2;
        return (
          <a
            key={`${e.from}>${e.to}`}
            href={e.href}
            class={`topo-edge level-${e.level}`}
            data-edge={`${e.from}>${e.to}`}
          >
            <title>{e.title}</title>
            <path
              d={`M${a.x + HALF},${a.y} C${mid + HALF},${a.y} ${mid - HALF},${b.y} ${
                b.x - HALF
              },${b.y}`}
            />
          </a>
        );
      })}
      {props.nodes.map((n) => (
        <a key={n.id} href={n.href} class="topo-node" data-node={n.id}>
          <rect x={n.x - HALF} y={n.y - 14} width={2 * HALF} height="28" rx="6" />
          <text x={n.x} y={n.y} dy="0.35em" text-anchor="middle">{n.id}</text>
        </a>
      ))}
    </svg>
  );
}
