import type { VNode } from "preact";
import {
  EmptyState,
  ErrorBox,
  fieldAttrs,
  FormField,
  Pagination,
  UtcTime,
} from "../components/mod.ts";
import { Layout } from "../layout.tsx";

/** One audit entry as the page shows it; `before`/`after` are JSON text (already indented). */
export interface AuditEntryRow {
  id: number;
  /** ms since the epoch */
  time: number;
  actorKind: string;
  actorName: string;
  action: string;
  targetType: string;
  targetId: string | null;
  before: string | null;
  after: string | null;
  ip: string | null;
}

export type AuditFilterField = "actor" | "action" | "from" | "to";

/** The filter form's raw values; `from`/`to` are `datetime-local` values read as UTC. */
export interface AuditFilters {
  actor: string;
  action: string;
  from: string;
  to: string;
  /** 1-based */
  page: number;
}

export interface AuditPageProps {
  rows: AuditEntryRow[];
  total: number;
  pageSize: number;
  filters: AuditFilters;
  /** Actions recorded so far, for the action filter. */
  actions: readonly string[];
  errors: Partial<Record<AuditFilterField, string>>;
  /** `"/admin/audit"`: the form and every link point here. */
  basePath: string;
}

/** The id of the region htmx swaps: AuditResults' root element. */
export const AUDIT_RESULTS_ID = "audit-results";

const FIELDS: readonly AuditFilterField[] = ["actor", "action", "from", "to"];

/** The page's URL for `filters` at `page`, with only the filters that are set. */
export function auditHref(basePath: string, filters: AuditFilters, page: number): string {
  const query = new URLSearchParams();
  for (const field of FIELDS) {
    const value = filters[field].trim();
    if (value !== "") query.set(field, value);
  }
  if (page > 1) query.set("page", String(page));
  const text = query.toString();
  return text === "" ? basePath : `${basePath}?${text}`;
}

/** `/admin/audit`: who changed what, newest first, filtered by actor, action and time. */
export function AuditPage(props: AuditPageProps): VNode {
  const { filters, errors } = props;
  // A typed-in action that was never recorded stays selectable, so the form shows what is applied.
  const actions = filters.action && !props.actions.includes(filters.action)
    ? [filters.action, ...props.actions]
    : props.actions;
  return (
    <Layout title="Audit log" active="audit-log">
      <header class="page-header">
        <p class="breadcrumb">Administration</p>
        <h1>Audit log</h1>
        <p class="page-description">
          Every change to users, API tokens, licenses and configuration: who, when, from where,
          before and after. Entries cannot be edited or deleted. Times are UTC.
        </p>
      </header>
      <form
        id="audit-filters"
        class="filter-bar"
        method="get"
        action={props.basePath}
        role="search"
        aria-label="Audit log filters"
        hx-get={props.basePath}
        hx-target={`#${AUDIT_RESULTS_ID}`}
        hx-swap="outerHTML"
        hx-push-url="true"
        hx-trigger="submit, change"
      >
        <FormField id="audit-actor" label="Actor" error={errors.actor}>
          <input
            {...fieldAttrs("audit-actor", "actor", errors.actor)}
            type="text"
            value={filters.actor}
            placeholder="user name"
            autocomplete="off"
          />
        </FormField>
        <FormField id="audit-action" label="Action" error={errors.action}>
          <select {...fieldAttrs("audit-action", "action", errors.action)}>
            <option value="" selected={filters.action === ""}>Any</option>
            {actions.map((a) => (
              <option key={a} value={a} selected={a === filters.action}>{a}</option>
            ))}
          </select>
        </FormField>
        <FormField id="audit-from" label="From (UTC)" error={errors.from}>
          <input
            {...fieldAttrs("audit-from", "from", errors.from)}
            type="datetime-local"
            value={filters.from}
          />
        </FormField>
        <FormField id="audit-to" label="To (UTC)" error={errors.to}>
          <input
            {...fieldAttrs("audit-to", "to", errors.to)}
            type="datetime-local"
            value={filters.to}
          />
        </FormField>
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary">Apply</button>
          <a class="btn" href={props.basePath}>Reset</a>
        </div>
      </form>
      <AuditResults {...props} />
    </Layout>
  );
}

/** Only the results region (the answer to htmx requests). */
export function AuditResults(props: AuditPageProps): VNode {
  const invalid = FIELDS.filter((f) => props.errors[f]);
  return (
    <div id={AUDIT_RESULTS_ID} class="results">
      {invalid.length > 0 && (
        <ErrorBox>
          <strong>Check the filters:</strong>
          <ul>
            {invalid.map((f) => <li key={f}>{f}: {props.errors[f]}</li>)}
          </ul>
        </ErrorBox>
      )}
      <section class="panel" aria-labelledby="audit-table-title">
        <header class="panel-header">
          <h2 id="audit-table-title">Entries</h2>
          <span class="panel-meta">{props.total} {props.total === 1 ? "entry" : "entries"}</span>
        </header>
        {props.rows.length === 0
          ? <EmptyState title="No audit entries match" />
          : <AuditTable rows={props.rows} />}
        {props.rows.length > 0 && (
          <Pagination
            page={props.filters.page}
            pageSize={props.pageSize}
            total={props.total}
            shown={props.rows.length}
            hrefFor={(page) => auditHref(props.basePath, props.filters, page)}
            target={`#${AUDIT_RESULTS_ID}`}
          />
        )}
      </section>
    </div>
  );
}

function AuditTable(props: { rows: AuditEntryRow[] }): VNode {
  return (
    <div class="table-scroll">
      <table class="data-table audit-table">
        <thead>
          <tr>
            <th>Time</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Target</th>
            <th>From</th>
            <th>Change</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.id} data-audit-id={r.id}>
              <td>
                <UtcTime ms={r.time} />
              </td>
              <td>
                <span class="user-ref">{r.actorName}</span>{" "}
                <span class="cell-muted">({r.actorKind})</span>
              </td>
              <td class="mono">{r.action}</td>
              <td>
                {r.targetType}
                {r.targetId !== null && <span class="mono">{` #${r.targetId}`}</span>}
              </td>
              <td class="mono">{r.ip ?? <span class="cell-muted">—</span>}</td>
              <td>
                <Change before={r.before} after={r.after} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Change(props: { before: string | null; after: string | null }): VNode {
  if (props.before === null && props.after === null) return <span class="cell-muted">—</span>;
  return (
    <details class="audit-change">
      <summary>before / after</summary>
      <div class="audit-diff">
        <div>
          <p class="audit-diff-label">Before</p>
          <pre>{props.before ?? "—"}</pre>
        </div>
        <div>
          <p class="audit-diff-label">After</p>
          <pre>{props.after ?? "—"}</pre>
        </div>
      </div>
    </details>
  );
}
