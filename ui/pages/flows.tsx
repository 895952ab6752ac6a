import type { VNode } from "preact";
import {
  bucketLabel,
  BytesChart,
  EmptyState,
  FILTER_FIELDS,
  FilterBar,
  FilterError,
  FlowDetailPanel,
  flowRowKey,
  FlowTable,
  pageCount,
  Pagination,
} from "../components/mod.ts";
import { formatBytes, formatBytesExact, formatCount, protocolName } from "../format.ts";
import { Layout } from "../layout.tsx";
import type { FlowFilterField, FlowFilters, FlowPageProps, FlowRow } from "../types.ts";

/** The id of the region htmx swaps: FlowResults' root element. */
export const FLOW_RESULTS_ID = "flow-results";

const FIELD_LABELS: Readonly<Record<FlowFilterField, string>> = {
  q: "Search",
  ip: "IP address",
  port: "Port",
  protocol: "Protocol",
  from: "From",
  to: "To",
};

/**
 * The page's URL for `filters` at `page`: only the filters that are set, in form order, so that
 * links stay short and bookmarkable (`/flows?ip=10.0.0.5&protocol=6&page=2`).
 */
export function flowsHref(
  basePath: string,
  filters: FlowFilters,
  page: number,
  extra: Record<string, string> = {},
): string {
  const query = new URLSearchParams();
  for (const field of FILTER_FIELDS) {
    const value = filters[field].trim();
    if (value !== "") query.set(field, value);
  }
  if (filters.cols.length > 0) query.set("cols", filters.cols.join(","));
  if (page > 1) query.set("page", String(page));
  for (const [k, v] of Object.entries(extra)) query.set(k, v);
  const text = query.toString();
  return text === "" ? basePath : `${basePath}?${text}`;
}

/** The export of the current search (all pages, up to the manager's cap). */
export function exportHref(
  basePath: string,
  filters: FlowFilters,
  format: "csv" | "ndjson",
): string {
  const href = flowsHref(`${basePath}/export`, { ...filters, cols: [] }, 1, { format });
  return href;
}

function detailHref(
  props: FlowPageProps,
): (row: FlowRow) => { page: string; fragment: string } | undefined {
  return (row) => {
    const key = flowRowKey(row);
    if (!key) return undefined;
    return {
      page: flowsHref(props.basePath, props.filters, props.filters.page, { flow: key }),
      fragment: `${props.basePath}/detail?flow=${encodeURIComponent(key)}`,
    };
  };
}

/** The full flow-log page: frame, filter form and results. */
export function FlowsPage(props: FlowPageProps): VNode {
  return (
    <Layout title="Flow logs" active="flows">
      <header class="page-header">
        <p class="breadcrumb">Network monitoring</p>
        <h1>Flow logs</h1>
        <p class="page-description">
          One record per flow per minute, as reported by the appliances. Times are UTC.
        </p>
      </header>
      <FilterBar
        filters={props.filters}
        errors={props.errors}
        action={props.basePath}
        resultsId={FLOW_RESULTS_ID}
      />
      <Results {...props} oob={false} />
      <FlowDetailPanel
        row={props.detail}
        closeHref={flowsHref(props.basePath, props.filters, props.filters.page)}
      />
    </Layout>
  );
}

/**
 * Only the results region (chart, table, pagination), rooted at `#flow-results`: the manager
 * answers this to htmx requests. It also carries the filter fields' messages as out-of-band swaps,
 * because the form stays in place while the user types.
 */
export function FlowResults(props: FlowPageProps): VNode {
  return <Results {...props} oob />;
}

function Results(props: FlowPageProps & { oob: boolean }): VNode {
  const { filters, errors, rows, total } = props;
  const invalid = FILTER_FIELDS.filter((field) => errors[field]);
  return (
    <div id={FLOW_RESULTS_ID} class="results">
      {props.oob &&
        FILTER_FIELDS.map((field) => (
          <FilterError key={field} field={field} message={errors[field]} oob />
        ))}
      {invalid.length > 0 && (
        <div class="alert alert-error" role="alert">
          <strong>Check the filters:</strong>
          <ul>
            {invalid.map((field) => <li key={field}>{FIELD_LABELS[field]}: {errors[field]}</li>)}
          </ul>
        </div>
      )}
      <section class="panel" aria-labelledby="flow-chart-title">
        <header class="panel-header">
          <h2 id="flow-chart-title">
            Bytes per {bucketLabel(Math.round((props.bucketSeconds ?? 60) / 60))}
          </h2>
          <ChartTotal {...props} />
        </header>
        <div class="panel-body chart-body">
          <BytesChart
            points={props.chart}
            bucketMinutes={Math.round((props.bucketSeconds ?? 60) / 60)}
          />
        </div>
      </section>
      <section class="panel" aria-labelledby="flow-table-title">
        <header class="panel-header">
          <h2 id="flow-table-title">Flows</h2>
          <span class="panel-meta">
            {formatCount(total)} {total === 1 ? "record" : "records"}
          </span>
          {total > 0 && (
            <span class="panel-actions">
              Export{props.exportCap !== undefined && total > props.exportCap
                ? ` (first ${formatCount(props.exportCap)})`
                : ""}:{" "}
              <a class="btn btn-small" href={exportHref(props.basePath, filters, "csv")} download>
                CSV
              </a>{" "}
              <a
                class="btn btn-small"
                href={exportHref(props.basePath, filters, "ndjson")}
                download
              >
                NDJSON
              </a>
            </span>
          )}
        </header>
        {rows.length > 0
          ? <FlowTable rows={rows} columns={filters.cols} detailHref={detailHref(props)} />
          : <NoRows {...props} />}
        {rows.length > 0 && (
          <Pagination
            page={filters.page}
            pageSize={props.pageSize}
            total={total}
            shown={rows.length}
            hrefFor={(page) => flowsHref(props.basePath, filters, page)}
            target={`#${FLOW_RESULTS_ID}`}
          />
        )}
      </section>
    </div>
  );
}

function ChartTotal(props: FlowPageProps): VNode {
  const bytes = props.chart.reduce((sum, p) => sum + (Number.isFinite(p.bytes) ? p.bytes : 0), 0);
  return (
    <span class="panel-meta" title={formatBytesExact(bytes)}>
      {formatBytes(bytes)} in range · UTC
    </span>
  );
}

function NoRows(props: FlowPageProps): VNode {
  const { filters, total, basePath } = props;
  if (total > 0) {
    // The page number points past the last page (e.g. an old bookmark after data expired).
    const last = pageCount(total, props.pageSize);
    return (
      <EmptyState title={`Page ${formatCount(filters.page)} is past the end of the results`}>
        <p>
          <a href={flowsHref(basePath, filters, last)}>Go to the last page ({formatCount(last)})</a>
        </p>
      </EmptyState>
    );
  }
  const active = activeFilters(filters);
  if (active.length === 0) {
    return (
      <EmptyState title="No flows recorded yet">
        <p>Flow logs appear here once an appliance reports traffic.</p>
      </EmptyState>
    );
  }
  return (
    <EmptyState title="No flows match these filters">
      <ul class="filter-chips" aria-label="Active filters">
        {active.map(([label, value]) => (
          <li key={label} class="chip">
            <span class="chip-label">{label}</span> {value}
          </li>
        ))}
      </ul>
      <p>
        Widen the time range or remove a filter. <a href={basePath}>Clear all filters</a>
      </p>
    </EmptyState>
  );
}

function activeFilters(filters: FlowFilters): [string, string][] {
  const active: [string, string][] = [];
  for (const field of FILTER_FIELDS) {
    const value = filters[field].trim();
    if (value === "") continue;
    active.push([FIELD_LABELS[field], describeFilter(field, value)]);
  }
  return active;
}

function describeFilter(field: FlowFilterField, value: string): string {
  if (field === "protocol" && /^\d+$/.test(value)) {
    const name = protocolName(Number(value));
    return name === String(Number(value)) ? value : `${name} (${value})`;
  }
  if (field === "from" || field === "to") return `${value.replace("T", " ")} UTC`;
  return value;
}
