import type { VNode } from "preact";
import { formatCount, formatDurationUs, formatTimestampUs } from "../format.ts";
import { NetmonForm, type NetmonFormProps } from "../components/netmon_form.tsx";
import { Layout } from "../layout.tsx";
import { RequestHistogram, SortHeader, STATUS_NAMES, statusClass } from "./request_parts.tsx";

/** One request-log row as the manager gives it: DeepFlow's snake_case names, plus `key`. */
export type RequestRowView = { key: string } & Record<string, string | number | null>;

export interface RequestLogsPageProps {
  form: NetmonFormProps;
  rows: readonly RequestRowView[];
  total: number;
  page: number;
  pageSize: number;
  histogram: readonly { t: number; ok: number; error: number }[];
  bucketSeconds: number;
  fromMs: number;
  toMs: number;
  sort: string;
  desc: boolean;
  /** This view sorted by a column (toggling the direction of the current one). */
  sortHref: (sort: string) => string;
  pageHref: (page: number) => string;
  /** This view with a row's detail panel open. */
  rowHref: (key: string) => string;
  closeHref: string;
  detail?: { row: RequestRowView; flowHref?: string; traceHref?: string };
  /** Which rows the licensed modules show, when not all. */
  scope?: string;
}

const COLUMNS: { sort?: string; label: string; num?: boolean }[] = [
  { sort: "time", label: "Start (UTC)" },
  { sort: "protocol", label: "Protocol" },
  { label: "Client" },
  { sort: "server", label: "Server" },
  { label: "Type" },
  { sort: "endpoint", label: "Endpoint" },
  { sort: "status", label: "Status" },
  { sort: "code", label: "Code", num: true },
  { sort: "duration", label: "Duration", num: true },
];

function endpointOf(ip: unknown, port: unknown): string {
  const a = String(ip);
  return a.includes(":") ? `[${a}]:${port}` : `${a}:${port}`;
}

/** The request-log page: filter bar, histogram, sortable table, detail panel. */
export function RequestLogsPage(props: RequestLogsPageProps): VNode {
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize));
  return (
    <Layout title="Request logs" active="request-logs">
      <header class="page-header">
        <p class="breadcrumb">Call monitoring</p>
        <h1>Request logs</h1>
        <p class="page-description">
          One row per request and response seen on the wire (DeepFlow l7_flow_log names). Times are
          UTC.{props.scope ? ` ${props.scope}` : ""}
        </p>
      </header>
      <NetmonForm {...props.form} />
      <section class="panel" aria-labelledby="req-chart">
        <header class="panel-header">
          <h2 id="req-chart">Requests over time</h2>
          <span class="panel-meta">
            <strong id="request-total">{formatCount(props.total)}</strong> requests
          </span>
        </header>
        <div class="panel-body chart-body">
          <RequestHistogram
            buckets={props.histogram}
            fromMs={props.fromMs}
            toMs={props.toMs}
            bucketSeconds={props.bucketSeconds}
          />
        </div>
      </section>
      <section class="panel" aria-labelledby="req-table">
        <header class="panel-header">
          <h2 id="req-table">Requests</h2>
          <span class="panel-meta">page {props.page} of {pages}</span>
        </header>
        <div class="table-scroll">
          <table class="data-table" id="request-table">
            <thead>
              <tr>
                {COLUMNS.map((c) =>
                  c.sort
                    ? (
                      <SortHeader
                        key={c.label}
                        label={c.label}
                        href={props.sortHref(c.sort)}
                        current={props.sort === c.sort}
                        desc={props.desc}
                        num={c.num}
                      />
                    )
                    : <th key={c.label} scope="col">{c.label}</th>
                )}
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr key={r.key} data-key={r.key} class={statusClass(Number(r.response_status))}>
                  <td class="mono">
                    <a href={props.rowHref(r.key)}>{formatTimestampUs(Number(r.start_time))}</a>
                  </td>
                  <td>{r.l7_protocol_str}</td>
                  <td class="mono">{endpointOf(r.ip_0, r.client_port)}</td>
                  <td class="mono">{endpointOf(r.ip_1, r.server_port)}</td>
                  <td>{r.request_type}</td>
                  <td class="mono endpoint-cell" title={String(r.request_resource ?? "")}>
                    {r.endpoint || r.request_resource}
                  </td>
                  <td>{STATUS_NAMES[Number(r.response_status)] ?? r.response_status}</td>
                  <td class="num">{r.response_code ?? "–"}</td>
                  <td class="num">
                    {Number(r.type) === 2 ? formatDurationUs(Number(r.response_duration)) : "–"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {props.rows.length === 0 && <p class="empty">No requests match.</p>}
        </div>
        {pages > 1 && (
          <nav class="pagination" aria-label="Pages">
            {props.page > 1 && <a class="btn" href={props.pageHref(props.page - 1)}>Previous</a>}
            {props.page < pages && <a class="btn" href={props.pageHref(props.page + 1)}>Next</a>}
          </nav>
        )}
      </section>
      <RequestDetailPanel detail={props.detail} closeHref={props.closeHref} />
    </Layout>
  );
}

/** The detail panel: every field of the row, links to its flow-log row and its trace. */
export function RequestDetailPanel(
  props: { detail?: RequestLogsPageProps["detail"]; closeHref: string },
): VNode {
  const d = props.detail;
  if (!d) return <aside id="request-detail" class="detail-panel" aria-label="Request details" />;
  const r = d.row;
  return (
    <aside id="request-detail" class="detail-panel is-open" aria-label="Request details">
      <header class="detail-header">
        <h2>
          {r.l7_protocol_str} {r.request_type} {r.endpoint || r.request_resource}
        </h2>
        <a href={props.closeHref} class="btn btn-small detail-close">Close</a>
      </header>
      <p class="detail-meta">
        {formatTimestampUs(Number(r.start_time))} UTC · {r.appliance_id} · flow {r.flow_id}
      </p>
      <nav class="detail-links" aria-label="Related views">
        {d.flowHref && <a class="btn btn-small" href={d.flowHref}>Flow log</a>}
        {d.traceHref && <a class="btn btn-small" href={d.traceHref}>Same trace</a>}
      </nav>
      <h3>All fields</h3>
      <dl class="detail-fields">
        {Object.entries(r).filter(([k]) => k !== "key").map(([k, v]) => (
          <div key={k} class="detail-field">
            <dt>{k}</dt>
            <dd class="mono">{v === null || v === "" ? "—" : String(v)}</dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}
