import type { VNode } from "preact";
import { formatTimestampUs } from "../format.ts";
import { NetmonForm, type NetmonFormProps } from "../components/netmon_form.tsx";
import { Layout } from "../layout.tsx";
import { formatRed, SortHeader } from "./request_parts.tsx";
import type { RequestRowView } from "./request_logs.tsx";

/** The figures of a statement, database or client. */
export interface DbStatsView {
  requests: number;
  errors: number;
  totalUs: number;
  avgUs: number;
  p99: number;
  maxUs: number;
  affectedRows: number;
}

export interface DbAnalysisPageProps {
  form: NetmonFormProps;
  sort: string;
  sortHref: (sort: string) => string;
  statements:
    (DbStatsView & { protocol: string; statement: string; sample: string; href: string })[];
  databases: (DbStatsView & { key: string })[];
  clients: (DbStatsView & { key: string })[];
  slow: RequestRowView[];
  rowHref: (key: string) => string;
  total: DbStatsView;
}

const STAT_COLUMNS: { key: keyof DbStatsView; label: string; unit: string; sort?: string }[] = [
  { key: "requests", label: "Count", unit: "count", sort: "count" },
  { key: "totalUs", label: "Total time", unit: "us", sort: "total" },
  { key: "avgUs", label: "Avg", unit: "us" },
  { key: "p99", label: "p99", unit: "us", sort: "p99" },
  { key: "maxUs", label: "Max", unit: "us" },
  { key: "errors", label: "Errors", unit: "count", sort: "errors" },
  { key: "affectedRows", label: "Rows", unit: "count" },
];

function StatCells(props: { s: DbStatsView }): VNode {
  return (
    <>
      {STAT_COLUMNS.map((c) => (
        <td key={c.key} class="num" data-metric={c.key}>{formatRed(c.unit, props.s[c.key])}</td>
      ))}
    </>
  );
}

function Breakdown(
  props: { id: string; title: string; label: string; rows: (DbStatsView & { key: string })[] },
): VNode {
  return (
    <section class="panel" aria-labelledby={`${props.id}-title`}>
      <header class="panel-header">
        <h2 id={`${props.id}-title`}>{props.title}</h2>
      </header>
      <div class="table-scroll">
        <table class="data-table" id={props.id}>
          <thead>
            <tr>
              <th scope="col">{props.label}</th>
              {STAT_COLUMNS.map((c) => <th key={c.key} scope="col" class="num">{c.label}</th>)}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr key={r.key} data-key={r.key}>
                <td class="mono">{r.key}</td>
                <StatCells s={r} />
              </tr>
            ))}
          </tbody>
        </table>
        {props.rows.length === 0 && <p class="empty">No database requests in this range.</p>}
      </div>
    </section>
  );
}

/** DB analysis: statement top-N, per-database and per-client breakdowns, slow statements. */
export function DbAnalysisPage(props: DbAnalysisPageProps): VNode {
  return (
    <Layout title="DB analysis" active="db-analysis">
      <header class="page-header">
        <p class="breadcrumb">DB monitoring</p>
        <h1>DB analysis</h1>
        <p class="page-description">
          Normalized statements (literals replaced by ?) of MySQL, PostgreSQL, Redis and the other
          database protocols: {formatRed("count", props.total.requests)} statements,{" "}
          {formatRed("count", props.total.errors)} errors, p99{" "}
          {formatRed("us", props.total.p99)}. Times are UTC.
        </p>
      </header>
      <NetmonForm {...props.form} />
      <section class="panel" aria-labelledby="db-statements-title">
        <header class="panel-header">
          <h2 id="db-statements-title">Statements</h2>
        </header>
        <div class="table-scroll">
          <table class="data-table" id="db-statements">
            <thead>
              <tr>
                <th scope="col">Statement</th>
                <th scope="col">Protocol</th>
                {STAT_COLUMNS.map((c) =>
                  c.sort
                    ? (
                      <SortHeader
                        key={c.key}
                        label={c.label}
                        href={props.sortHref(c.sort)}
                        current={c.sort === props.sort}
                        desc
                        num
                      />
                    )
                    : <th key={c.key} scope="col" class="num">{c.label}</th>
                )}
              </tr>
            </thead>
            <tbody>
              {props.statements.map((s) => (
                <tr key={`${s.protocol} ${s.statement}`} data-key={s.statement}>
                  <td class="mono statement-cell" title={s.sample}>
                    <a href={s.href}>{s.statement}</a>
                  </td>
                  <td>{s.protocol}</td>
                  <StatCells s={s} />
                </tr>
              ))}
            </tbody>
          </table>
          {props.statements.length === 0 && (
            <p class="empty">
              No database requests in this range.
            </p>
          )}
        </div>
      </section>
      <Breakdown
        id="db-databases"
        title="By database"
        label="Database @ server"
        rows={props.databases}
      />
      <Breakdown id="db-clients" title="By client" label="Client" rows={props.clients} />
      <section class="panel" aria-labelledby="db-slow-title">
        <header class="panel-header">
          <h2 id="db-slow-title">Slowest statements</h2>
        </header>
        <div class="table-scroll">
          <table class="data-table" id="db-slow">
            <thead>
              <tr>
                <th scope="col">Start (UTC)</th>
                <th scope="col">Protocol</th>
                <th scope="col">Client</th>
                <th scope="col">Statement</th>
                <th scope="col" class="num">Duration</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {props.slow.map((r) => (
                <tr key={r.key} data-key={r.key}>
                  <td class="mono">
                    <a href={props.rowHref(r.key)}>{formatTimestampUs(Number(r.start_time))}</a>
                  </td>
                  <td>{r.l7_protocol_str}</td>
                  <td class="mono">{r.ip_0}</td>
                  <td class="mono statement-cell">{r.request_resource || r.request_type}</td>
                  <td class="num">{formatRed("us", Number(r.response_duration))}</td>
                  <td>{r.response_exception || (r.response_code ?? "")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </Layout>
  );
}
