import type { VNode } from "preact";
import { LineChart, type LineSeries, seriesColour } from "../components/line_chart.tsx";
import {
  formatMetric,
  type MetricOption,
  NETMON_RESULTS_ID,
  NetmonForm,
  type NetmonFormProps,
} from "../components/netmon_form.tsx";
import { Layout } from "../layout.tsx";

export interface ResourcePageProps {
  form: NetmonFormProps;
  metrics: readonly MetricOption[];
  /** The charted metric and the sort metric. */
  metric: string;
  sort: string;
  groupLabel: string;
  fromMs: number;
  toMs: number;
  source: string;
  /** The chart's table and bucket (1: the per-second table of the last hour). */
  seriesSource: string;
  bucketSeconds: number;
  rows: { key: string; values: Record<string, number>; href?: string; sortHrefs?: never }[];
  series: LineSeries[];
  /** The URL of this view sorted by a metric. */
  sortHref: (metric: string) => string;
}

/** Resource analysis: top-N groups, the chosen metric over time, every metric in a sortable table. */
export function NetworkResourcePage(props: ResourcePageProps): VNode {
  return (
    <Layout title="Resource analysis" active="network-resource">
      <header class="page-header">
        <p class="breadcrumb">Network monitoring</p>
        <h1>Resource analysis</h1>
        <p class="page-description">
          Network metrics per {props.groupLabel.toLowerCase()}, top{" "}
          {props.rows.length}. Times are UTC; read from {props.source}.
        </p>
      </header>
      <NetmonForm {...props.form} resultsId={NETMON_RESULTS_ID} />
      <ResourceResults {...props} />
    </Layout>
  );
}

/** What one point of the chart stands for. */
function resolutionText(seconds: number): string {
  if (seconds === 1) return "Resolution: 1 second";
  if (seconds < 3600) return `Resolution: ${seconds / 60} min`;
  return `Resolution: ${seconds / 3600} h`;
}

/** The chart and the table: what a filter change replaces (htmx asks the same URL). */
export function ResourceResults(props: ResourcePageProps): VNode {
  const chart = props.metrics.find((m) => m.key === props.metric)!;
  return (
    <div id={NETMON_RESULTS_ID} class="netmon-results">
      <section class="panel" aria-labelledby="res-chart">
        <header class="panel-header">
          <h2 id="res-chart">{chart.label} by {props.groupLabel.toLowerCase()}</h2>
          <span class="panel-meta" id="res-resolution">
            {resolutionText(props.bucketSeconds)} (from {props.seriesSource})
          </span>
        </header>
        <div class="panel-body chart-body">
          <LineChart
            series={props.series}
            fromMs={props.fromMs}
            toMs={props.toMs}
            label={`${chart.label} over time`}
            format={(v) => formatMetric(chart.unit, v)}
          />
        </div>
      </section>
      <section class="panel" aria-labelledby="res-table">
        <header class="panel-header">
          <h2 id="res-table">{props.groupLabel}</h2>
        </header>
        <div class="table-scroll">
          <table class="data-table" id="resource-table">
            <thead>
              <tr>
                <th scope="col">{props.groupLabel}</th>
                {props.metrics.map((m) => (
                  <th
                    key={m.key}
                    scope="col"
                    class="num"
                    aria-sort={m.key === props.sort ? "descending" : undefined}
                  >
                    <a href={props.sortHref(m.key)}>{m.label}</a>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r, i) => (
                <tr key={r.key}>
                  <th scope="row">
                    <span class="swatch" style={`background:${seriesColour(i)}`} />{" "}
                    {r.href ? <a href={r.href}>{r.key}</a> : r.key}
                  </th>
                  {props.metrics.map((m) => (
                    <td key={m.key} class="num">{formatMetric(m.unit, r.values[m.key] ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {props.rows.length === 0 && <p class="empty">No traffic in this range.</p>}
        </div>
      </section>
    </div>
  );
}
