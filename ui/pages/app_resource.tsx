import type { VNode } from "preact";
import { LineChart, type LineSeries, seriesColour } from "../components/line_chart.tsx";
import { NetmonForm, type NetmonFormProps } from "../components/netmon_form.tsx";
import { Layout } from "../layout.tsx";
import { formatRed, SortHeader } from "./request_parts.tsx";

/** A RED metric the pages show: key, label, unit (`rate`, `count`, `ratio`, `us`). */
export interface RedMetricView {
  key: string;
  label: string;
  unit: string;
}

/** One group's RED figures by metric key. */
export interface RedRowView {
  /** Service, `service endpoint`, or `client → service`. */
  cells: string[];
  protocol: string;
  values: Record<string, number>;
  /** The request log of the group. */
  href: string;
}

export interface AppRedPageProps {
  /** Resource analysis, or path analysis (client ↔ service pairs). */
  view: "resource" | "path";
  form: NetmonFormProps;
  metrics: readonly RedMetricView[];
  /** Column labels of `cells`. */
  keyLabels: string[];
  rows: readonly RedRowView[];
  sort: string;
  sortHref: (metric: string) => string;
  /** Resource analysis only: the charted metric over time. */
  chart?: { metric: RedMetricView; series: LineSeries[]; fromMs: number; toMs: number };
  /** RED of every visible request in the range. */
  total: Record<string, number>;
  scope?: string;
}

/** App resource or path analysis: RED per service / endpoint / client ↔ service pair. */
export function AppRedPage(props: AppRedPageProps): VNode {
  const title = props.view === "resource" ? "Resource analysis" : "Path analysis";
  const chart = props.chart;
  return (
    <Layout title={`App ${title.toLowerCase()}`} active={`app-${props.view}`}>
      <header class="page-header">
        <p class="breadcrumb">Call monitoring</p>
        <h1>{title}</h1>
        <p class="page-description">
          Request rate, error ratio and latency (p50/p90/p99) per{" "}
          {props.keyLabels.join(" and ").toLowerCase()}, from the request logs. Times are
          UTC.{props.scope ? ` ${props.scope}` : ""}
        </p>
      </header>
      <NetmonForm {...props.form} />
      <section class="panel" aria-labelledby="red-total">
        <header class="panel-header">
          <h2 id="red-total">All requests</h2>
        </header>
        <dl class="red-summary" id="red-summary">
          {props.metrics.map((m) => (
            <div key={m.key} class="red-figure" data-metric={m.key}>
              <dt>{m.label}</dt>
              <dd>{formatRed(m.unit, props.total[m.key] ?? 0)}</dd>
            </div>
          ))}
        </dl>
      </section>
      {chart && (
        <section class="panel" aria-labelledby="red-chart">
          <header class="panel-header">
            <h2 id="red-chart">{chart.metric.label} over time</h2>
          </header>
          <div class="panel-body chart-body">
            <LineChart
              series={chart.series}
              fromMs={chart.fromMs}
              toMs={chart.toMs}
              label={`${chart.metric.label} over time`}
              format={(v) => formatRed(chart.metric.unit, v)}
            />
          </div>
        </section>
      )}
      <section class="panel" aria-labelledby="red-table-title">
        <header class="panel-header">
          <h2 id="red-table-title">{props.keyLabels.join(" / ")}</h2>
        </header>
        <div class="table-scroll">
          <table class="data-table" id="red-table">
            <thead>
              <tr>
                {props.keyLabels.map((l) => <th key={l} scope="col">{l}</th>)}
                <th scope="col">Protocol</th>
                {props.metrics.map((m) => (
                  <SortHeader
                    key={m.key}
                    label={m.label}
                    href={props.sortHref(m.key)}
                    current={m.key === props.sort}
                    desc
                    num
                  />
                ))}
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r, i) => (
                <tr key={r.cells.join(" ")} data-key={r.cells.join(" ")}>
                  {r.cells.map((c, j) => (
                    <td key={j} class="mono">
                      {j === 0 && chart && (
                        <>
                          <span class="swatch" style={`background:${seriesColour(i)}`} />
                          {" "}
                        </>
                      )}
                      {j === r.cells.length - 1 ? <a href={r.href}>{c}</a> : c}
                    </td>
                  ))}
                  <td>{r.protocol}</td>
                  {props.metrics.map((m) => (
                    <td key={m.key} class="num" data-metric={m.key}>
                      {formatRed(m.unit, r.values[m.key] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {props.rows.length === 0 && <p class="empty">No requests in this range.</p>}
        </div>
      </section>
    </Layout>
  );
}
