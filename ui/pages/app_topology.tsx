import type { VNode } from "preact";
import { NetmonForm, type NetmonFormProps } from "../components/netmon_form.tsx";
import { TopologyMap, type TopologyNode } from "../components/topology_map.tsx";
import { Layout } from "../layout.tsx";
import { formatRed } from "./request_parts.tsx";

export interface AppTopologyPageProps {
  form: NetmonFormProps;
  nodes: TopologyNode[];
  edges: {
    from: string;
    to: string;
    requests: number;
    errorRatio: number;
    p99: number;
    level: "ok" | "warn" | "crit";
    href: string;
  }[];
  width: number;
  height: number;
  /** Error ratio from which an edge is amber / red. */
  thresholds: { warn: number; crit: number };
  scope?: string;
}

/** App topology: clients and services as nodes, calls as edges coloured by their error ratio. */
export function AppTopologyPage(props: AppTopologyPageProps): VNode {
  const pct = (v: number) => formatRed("ratio", v);
  return (
    <Layout title="App topology" active="app-topology">
      <header class="page-header">
        <p class="breadcrumb">Call monitoring</p>
        <h1>Topology</h1>
        <p class="page-description">
          Callers on the left, services to the right; edges are calls, green below{" "}
          {pct(props.thresholds.warn)} errors, amber from {pct(props.thresholds.warn)}, red from
          {" "}
          {pct(props.thresholds.crit)}.{props.scope ? ` ${props.scope}` : ""}
        </p>
      </header>
      <NetmonForm {...props.form} />
      <section class="panel" aria-labelledby="atopo-title">
        <header class="panel-header">
          <h2 id="atopo-title">Map</h2>
        </header>
        <div class="panel-body topology-body">
          <TopologyMap
            nodes={props.nodes}
            edges={props.edges.map((e) => ({
              ...e,
              title: `${e.from} → ${e.to}: ${e.requests} requests, ${
                pct(e.errorRatio)
              } errors, p99 ${formatRed("us", e.p99)}`,
            }))}
            width={props.width}
            height={props.height}
            label="App topology"
            empty="No requests in this range."
          />
        </div>
      </section>
      <section class="panel" aria-labelledby="atopo-edges">
        <header class="panel-header">
          <h2 id="atopo-edges">Calls</h2>
        </header>
        <table class="data-table" id="app-topology-table">
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Service</th>
              <th scope="col" class="num">Requests</th>
              <th scope="col" class="num">Error ratio</th>
              <th scope="col" class="num">p99 latency</th>
            </tr>
          </thead>
          <tbody>
            {props.edges.map((e) => (
              <tr key={`${e.from}>${e.to}`} class={`level-${e.level}`}>
                <td class="mono">{e.from}</td>
                <td class="mono">{e.to}</td>
                <td class="num">
                  <a href={e.href}>{formatRed("count", e.requests)}</a>
                </td>
                <td class="num">{pct(e.errorRatio)}</td>
                <td class="num">{formatRed("us", e.p99)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
