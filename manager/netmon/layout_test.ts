import assert from "node:assert/strict";
import { layeredLayout, type LayoutNode } from "./layout.ts";

const byId = (nodes: LayoutNode[]) => new Map(nodes.map((n) => [n.id, n]));

/** Pairs of edges that cross between two adjacent layers. */
function crossings(nodes: LayoutNode[], edges: { from: string; to: string }[]): number {
  const at = byId(nodes);
  let count = 0;
  for (let i = 0; i < edges.length; i++) {
    for (let j = i + 1; j < edges.length; j++) {
      const a = edges[i]!, b = edges[j]!;
      const dy0 = at.get(a.from)!.y - at.get(b.from)!.y;
      const dy1 = at.get(a.to)!.y - at.get(b.to)!.y;
      if (dy0 * dy1 < 0) count++;
    }
  }
  return count;
}

Deno.test("layeredLayout() puts clients left of their servers, one layer per hop", () => {
  const layout = layeredLayout({
    nodes: ["10.0.0.2", "10.0.0.1", "lb", "web"],
    edges: [
      { from: "10.0.0.1", to: "lb" },
      { from: "10.0.0.2", to: "lb" },
      { from: "lb", to: "web" },
    ],
  }, { layerGap: 200, nodeGap: 50, margin: 10 });
  const at = byId(layout.nodes);
  assert.equal(at.get("10.0.0.1")!.layer, 0);
  assert.equal(at.get("10.0.0.2")!.layer, 0);
  assert.equal(at.get("lb")!.layer, 1);
  assert.equal(at.get("web")!.layer, 2);
  assert.equal(at.get("lb")!.x, 210);
  assert.equal(at.get("web")!.x, 410);
  assert.equal(layout.width, 10 * 2 + 2 * 200);
  assert.equal(layout.height, 10 * 2 + 50);
  // A single node in a layer is centred against the tallest layer.
  assert.equal(at.get("lb")!.y, 10 + 25);
});

Deno.test("layeredLayout() reorders a layer to remove a crossing", () => {
  // Sorted by name the servers are x, y: a → y and b → x would cross.
  const edges = [{ from: "a", to: "y" }, { from: "b", to: "x" }];
  const layout = layeredLayout({ nodes: ["a", "b", "x", "y"], edges });
  assert.equal(crossings(layout.nodes, edges), 0);
});

Deno.test("layeredLayout() is deterministic whatever the input order, and drops duplicates", () => {
  const edges = [
    { from: "c1", to: "s1" },
    { from: "c2", to: "s2" },
    { from: "c3", to: "s1" },
    { from: "c2", to: "s1" },
  ];
  const one = layeredLayout({ nodes: ["c1", "c2", "c3", "s1", "s2"], edges });
  const two = layeredLayout({
    nodes: ["s2", "c3", "s1", "c2", "c1", "s1", "c3"],
    edges: [...edges].reverse(),
  });
  const sorted = (l: typeof one) => [...l.nodes].sort((a, b) => (a.id < b.id ? -1 : 1));
  assert.deepEqual(sorted(one), sorted(two));
  assert.equal(two.nodes.length, 5);
});

Deno.test("layeredLayout() ignores self-loops and stops on a cycle", () => {
  const layout = layeredLayout({
    nodes: ["a", "b", "c"],
    edges: [{ from: "a", to: "a" }, { from: "a", to: "b" }, { from: "b", to: "c" }, {
      from: "c",
      to: "a",
    }],
  });
  assert.equal(layout.nodes.length, 3);
  for (const n of layout.nodes) {
    assert.ok(n.layer >= 0 && n.layer < 3, `${n.id} on layer ${n.layer}`);
    assert.ok(Number.isFinite(n.x) && Number.isFinite(n.y));
  }
  const empty = layeredLayout({ nodes: [], edges: [] });
  assert.deepEqual(empty.nodes, []);
});
