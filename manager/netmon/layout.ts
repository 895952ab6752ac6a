// A small layered graph layout (Sugiyama-style, simplified) computed on the server: layers by the
// longest path from the sources (clients left, servers right), then a few barycenter sweeps to
// reduce crossings, then even spacing. Deterministic: the same graph gives the same picture.

export interface LayoutInput {
  nodes: readonly string[];
  edges: readonly { from: string; to: string }[];
}

export interface LayoutNode {
  id: string;
  layer: number;
  x: number;
  y: number;
}

export interface Layout {
  nodes: LayoutNode[];
  width: number;
  height: number;
}

export interface LayoutOptions {
  layerGap?: number;
  nodeGap?: number;
  margin?: number;
}

/** Lays out `graph`; self-loops are ignored and cycles are broken by the iteration cap. */
export function layeredLayout(graph: LayoutInput, options: LayoutOptions = {}): Layout {
  const layerGap = options.layerGap ?? 260;
  const nodeGap = options.nodeGap ?? 56;
  const margin = options.margin ?? 40;
  const ids = [...new Set(graph.nodes)].sort();
  const edges = graph.edges.filter((e) => e.from !== e.to);
  const layer = new Map(ids.map((id) => [id, 0]));
  // Longest path by relaxation; at most |V| rounds, so a cycle cannot loop forever.
  for (let round = 0; round < ids.length; round++) {
    let changed = false;
    for (const e of edges) {
      const next = (layer.get(e.from) ?? 0) + 1;
      if (next > (layer.get(e.to) ?? 0) && next < ids.length) {
        layer.set(e.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers: string[][] = [];
  for (const id of ids) (layers[layer.get(id)!] ??= []).push(id);
  const dense = layers.filter((l) => l !== undefined);
  const neighbours = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) {
    neighbours.get(e.from)?.push(e.to);
    neighbours.get(e.to)?.push(e.from);
  }
  const position = new Map<string, number>();
  const place = () => dense.forEach((l) => l.forEach((id, i) => position.set(id, i)));
  place();
  for (let sweep = 0; sweep < 4; sweep++) {
    const order = sweep % 2 === 0 ? dense : [...dense].reverse();
    for (const l of order) {
      const score = (id: string) => {
        const ns = neighbours.get(id)!.filter((n) => position.has(n));
        if (ns.length === 0) return position.get(id)!;
        return ns.reduce((s, n) => s + position.get(n)!, 0) / ns.length;
      };
      const scored = l.map((id) => [id, score(id)] as const);
      scored.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
      l.splice(0, l.length, ...scored.map(([id]) => id));
      place();
    }
  }
  const tallest = Math.max(1, ...dense.map((l) => l.length));
  const height = margin * 2 + (tallest - 1) * nodeGap;
  const nodes: LayoutNode[] = [];
  dense.forEach((l, li) => {
    const offset = ((tallest - l.length) * nodeGap) / 2;
    l.forEach((id, i) => {
      nodes.push({ id, layer: li, x: margin + li * layerGap, y: margin + offset + i * nodeGap });
    });
  });
  return { nodes, width: margin * 2 + Math.max(0, dense.length - 1) * layerGap, height };
}
