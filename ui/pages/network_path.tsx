import type { VNode } from "preact";
import { formatBytes, formatCount, formatDurationUs, formatEndpoint } from "../format.ts";
import { NETMON_RESULTS_ID, NetmonForm, type NetmonFormProps } from "../components/netmon_form.tsx";
import { Layout } from "../layout.tsx";

export interface PathStepView {
  point: string;
  observationPoint: string;
  ip0: string;
  clientPort?: number;
  ip1: string;
  serverPort?: number;
  metrics: Record<string, number>;
  delta?: Record<string, number>;
  natHref?: string;
}

export interface PathPageProps {
  form: NetmonFormProps;
  title: string;
  steps: PathStepView[];
  message?: string;
}

/**
 * `worse`: which way a change between two points is bad (loss, or problems appearing); the
 * client/server RTT split moves between points by design, so it is neither.
 */
const ROWS: {
  key: string;
  label: string;
  kind: "bytes" | "count" | "us";
  worse: "up" | "down" | "neither";
}[] = [
  { key: "byteTx", label: "Bytes c→s", kind: "bytes", worse: "down" },
  { key: "byteRx", label: "Bytes s→c", kind: "bytes", worse: "down" },
  { key: "packetTx", label: "Packets c→s", kind: "count", worse: "down" },
  { key: "packetRx", label: "Packets s→c", kind: "count", worse: "down" },
  { key: "retransTx", label: "Retrans c→s", kind: "count", worse: "up" },
  { key: "retransRx", label: "Retrans s→c", kind: "count", worse: "up" },
  { key: "zeroWin", label: "Zero windows", kind: "count", worse: "up" },
  { key: "rtt", label: "RTT", kind: "us", worse: "up" },
  { key: "rttClient", label: "Client RTT", kind: "us", worse: "neither" },
  { key: "rttServer", label: "Server RTT", kind: "us", worse: "neither" },
  { key: "srt", label: "SRT", kind: "us", worse: "up" },
  { key: "art", label: "ART", kind: "us", worse: "up" },
];

/** The class of a delta: unchanged, worse (red) or better (green) than the previous point. */
export function deltaClass(worse: "up" | "down" | "neither", v: number | undefined): string {
  if (v === undefined || v === 0) return "delta";
  if (worse === "neither") return "delta delta-changed";
  return (v > 0) === (worse === "up") ? "delta delta-worse" : "delta delta-better";
}

function fmt(kind: string, v: number): string {
  if (kind === "bytes") return formatBytes(v);
  if (kind === "us") return formatDurationUs(Math.round(v));
  return formatCount(v);
}

function fmtDelta(kind: string, v: number | undefined): string {
  if (v === undefined) return "";
  if (v === 0) return "±0";
  const s = kind === "bytes"
    ? `${formatCount(Math.abs(v))} B`
    : kind === "us"
    ? formatDurationUs(Math.round(Math.abs(v)))
    : formatCount(Math.abs(v));
  return `${v > 0 ? "+" : "−"}${s}`;
}

/** The diagram's box width, the gap between boxes, and their sum. */
const NODE = 240;
const GAP = 60;
const STEP = NODE + GAP;

/** Path analysis: the observation points in path order as a diagram, then metrics with deltas. */
export function NetworkPathPage(props: PathPageProps): VNode {
  return (
    <Layout title="Path analysis" active="network-path">
      <header class="page-header">
        <p class="breadcrumb">Network monitoring</p>
        <h1>Path analysis</h1>
        <p class="page-description">
          A flow or a client → server pair at each observation point it crossed, in path order.
        </p>
      </header>
      <NetmonForm {...props.form} resultsId={NETMON_RESULTS_ID} resultsTrigger="submit" />
      <PathResults {...props} />
    </Layout>
  );
}

/** The diagram and the table: what submitting the form replaces (htmx asks the same URL). */
export function PathResults(props: PathPageProps): VNode {
  const w = Math.max(1, props.steps.length) * STEP;
  return (
    <div id={NETMON_RESULTS_ID} class="netmon-results">
      <p class="results-title" id="path-title">{props.title}</p>
      {props.message && <div class="alert alert-info" role="status">{props.message}</div>}
      {props.steps.length > 0 && (
        <section class="panel" aria-labelledby="path-diagram">
          <header class="panel-header">
            <h2 id="path-diagram">Observation points, client to server</h2>
          </header>
          <div class="panel-body path-diagram-body">
            <svg
              class="path-diagram"
              viewBox={`0 0 ${w} 96`}
              width={w}
              height="96"
              role="img"
              aria-label={props.steps.map((s) => s.observationPoint).join(" → ")}
            >
              <defs>
                <marker
                  id="path-arrow"
                  viewBox="0 0 10 10"
                  refX="9"
                  refY="5"
                  markerWidth="7"
                  markerHeight="7"
                  orient="auto"
                >
                  <path d="M0,0 L10,5 L0,10 z" class="path-arrowhead" />
                </marker>
              </defs>
              {props.steps.map((s, i) => {
                const x = i * STEP + GAP / 2;
                return (
                  <g key={s.point + i} class="path-step">
                    {i > 0 && (
                      <line
                        x1={x - GAP + 4}
                        x2={x - 4}
                        y1="30"
                        y2="30"
                        class="path-link"
                        marker-end="url(#path-arrow)"
                      />
                    )}
                    <rect x={x} y="6" width={NODE} height="48" rx="6" class="path-node" />
                    <text x={x + NODE / 2} y="26" text-anchor="middle" class="path-op">
                      {s.observationPoint}
                    </text>
                    <text x={x + NODE / 2} y="44" text-anchor="middle" class="path-point">
                      {s.point}
                    </text>
                    <text x={x + NODE / 2} y="76" text-anchor="middle" class="path-addr">
                      {formatEndpoint(s.ip0, s.clientPort)} → {formatEndpoint(s.ip1, s.serverPort)}
                    </text>
                  </g>
                );
              })}
            </svg>
          </div>
        </section>
      )}
      <section class="panel" aria-labelledby="path-table">
        <header class="panel-header">
          <h2 id="path-table">Metrics at each point (Δ from the previous point)</h2>
        </header>
        <div class="table-scroll">
          <table class="data-table" id="path-table-data">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                {props.steps.map((s, i) => (
                  <th key={i} scope="col" class="num">{s.observationPoint} · {s.point}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {ROWS.map((r) => (
                <tr key={r.key}>
                  <th scope="row">{r.label}</th>
                  {props.steps.map((s, i) => (
                    <td key={i} class="num">
                      {fmt(r.kind, s.metrics[r.key] ?? 0)}
                      {s.delta && (
                        <span class={deltaClass(r.worse, s.delta[r.key])}>
                          {fmtDelta(r.kind, s.delta[r.key])}
                        </span>
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
