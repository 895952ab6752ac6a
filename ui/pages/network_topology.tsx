import type { VNode } from "preact";
import {
  formatMetric,
  type MetricOption,
  NETMON_RESULTS_ID,
  NetmonForm,
  type NetmonFormProps,
} from "../components/netmon_form.tsx";
import { Layout } from "../layout.tsx";

export interface TopologyPageProps {
  form: NetmonFormProps;
  metric: MetricOption;
  thresholds: { warn: number; crit: number };
  nodes: { id: string; x: number; y: number; href: string }[];
  edges: { from: string; to: string; value: number; level: "ok" | "warn" | "crit"; href: string }[];
  width: number;
  height: number;
  totalEdges: number;
  /** Bytes of every edge in the range (not only the ones drawn). */
  totalBytes: number;
}

/** Topology: resources as nodes, flows as edges coloured by thresholds; click to drill down. */
export function NetworkTopologyPage(props: TopologyPageProps): VNode {
  const f = (v: number) => formatMetric(props.metric.unit, v);
  return (
    <Layout title="Topology" active="network-topology">
      <header class="page-header">
        <p class="breadcrumb">Network monitoring</p>
        <h1>Topology</h1>
        <p class="page-description">
          Clients on the left, servers to the right; edges show{" "}
          {props.metric.label.toLowerCase()}: green below {f(props.thresholds.warn)}, amber from
          {" "}
          {f(props.thresholds.warn)}, red from {f(props.thresholds.crit)}. {props.edges.length} of
          {" "}
          {props.totalEdges} edges.
        </p>
      </header>
      <NetmonForm {...props.form} resultsId={NETMON_RESULTS_ID} />
      <TopologyResults {...props} />
    </Layout>
  );
}

/** The map and the edge table: what a filter change replaces (htmx asks the same URL). */
export function TopologyResults(props: TopologyPageProps): VNode {
  const at = new Map(props.nodes.map((n) => [n.id, n]));
  const f = (v: number) => formatMetric(props.metric.unit, v);
  return (
    <div id={NETMON_RESULTS_ID} class="netmon-results">
      <section class="panel" aria-labelledby="topo-title">
        <header class="panel-header">
          <h2 id="topo-title">Map</h2>
        </header>
        <div class="panel-body topology-body">
          {props.nodes.length === 0 ? <p class="empty">No traffic in this range.</p> : (
            <svg
              class="topology"
              viewBox={`-20 -10 ${props.width + 200} ${props.height + 20}`}
              width={props.width + 200}
              height={props.height + 20}
              role="img"
              aria-label={`Topology: ${props.nodes.length} nodes, ${props.edges.length} edges`}
            >
              {props.edges.map((e) => {
                const a = at.get(e.from)!;
                const b = at.get(e.to)!;
                return (
                  <a
                    key={`${e.from}>${e.to}`}
                    href={e.href}
                    class={`topo-edge level-${e.level}`}
                    data-edge={`${e.from}>${e.to}`}
                  >
                    <title>{`${e.from} → ${e.to}: ${f(e.value)}`}</title>
                    <path
                      d={`M${a.x + 60},${a.y} C${(a.x + b.x) / 2 + 60},${a.y} ${
                        (a.x + b.x) / 2 - 60
                      },${b.y} ${b.x - 60},${b.y}`}
                    />
                  </a>
                );
              })}
              {props.nodes.map((n) => (
                <a key={n.id} href={n.href} class="topo-node" data-node={n.id}>
                  <rect x={n.x - 60} y={n.y - 14} width="120" height="28" rx="6" />
                  <text x={n.x} y={n.y} dy="0.35em" text-anchor="middle">{n.id}</text>
                </a>
              ))}
            </svg>
          )}
        </div>
      </section>
      <section class="panel" aria-labelledby="topo-edges">
        <header class="panel-header">
          <h2 id="topo-edges">Edges</h2>
          <span class="panel-meta">
            Total bytes{" "}
            <strong id="topology-total">{formatMetric("bytes", props.totalBytes)}</strong>
          </span>
        </header>
        <table class="data-table" id="topology-table">
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Server</th>
              <th scope="col" class="num">{props.metric.label}</th>
            </tr>
          </thead>
          <tbody>
            {props.edges.map((e) => (
              <tr key={`${e.from}>${e.to}`} class={`level-${e.level}`}>
                <td>{e.from}</td>
                <td>{e.to}</td>
                <td class="num">
                  <a href={e.href}>{f(e.value)}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
