import type { VNode } from "preact";
import {
  formatMetric,
  type MetricOption,
  NETMON_RESULTS_ID,
  NetmonForm,
  type NetmonFormProps,
} from "../components/netmon_form.tsx";
import { TopologyMap, type TopologyNode } from "../components/topology_map.tsx";
import { Layout } from "../layout.tsx";

export interface TopologyPageProps {
  form: NetmonFormProps;
  metric: MetricOption;
  thresholds: { warn: number; crit: number };
  nodes: TopologyNode[];
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
  const f = (v: number) => formatMetric(props.metric.unit, v);
  return (
    <div id={NETMON_RESULTS_ID} class="netmon-results">
      <section class="panel" aria-labelledby="topo-title">
        <header class="panel-header">
          <h2 id="topo-title">Map</h2>
        </header>
        <div class="panel-body topology-body">
          <TopologyMap
            nodes={props.nodes}
            edges={props.edges.map((e) => ({ ...e, title: `${e.from} → ${e.to}: ${f(e.value)}` }))}
            width={props.width}
            height={props.height}
            label="Topology"
            empty="No traffic in this range."
          />
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
