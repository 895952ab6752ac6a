import type { VNode } from "preact";
import { NetmonForm, type NetmonFormProps } from "../components/netmon_form.tsx";
import { Layout } from "../layout.tsx";
import { formatRed } from "./request_parts.tsx";

export interface AppTopologyPageProps {
  form: NetmonFormProps;
  nodes: { id: string; x: number; y: number; href: string }[];
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
  const at = new Map(props.nodes.map((n) => [n.id, n]));
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
          {props.nodes.length === 0 ? <p class="empty">No requests in this range.</p> : (
            <svg
              class="topology"
              viewBox={`-20 -10 ${props.width + 200} ${props.height + 20}`}
              width={props.width + 200}
              height={props.height + 20}
              role="img"
              aria-label={`App topology: ${props.nodes.length} nodes, ${props.edges.length} edges`}
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
                    <title>
                      {`${e.from} → ${e.to}: ${e.requests} requests, ${
                        pct(e.errorRatio)
                      } errors, p99 ${formatRed("us", e.p99)}`}
                    </title>
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
