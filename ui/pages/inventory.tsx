import type { VNode } from "preact";
import { ErrorBox, fieldAttrs, FormField, Notice } from "../components/mod.ts";
import { CsrfField } from "../frame.tsx";
import { Layout } from "../layout.tsx";
import { formatCount } from "../format.ts";

/** A re-tag job's progress, as the inventory page polls it. */
export interface RetagView {
  state: "running" | "done" | "failed";
  hours: number;
  slicesDone: number;
  slicesTotal: number;
  rowsUpdated: number;
  /** Request-log rows updated; absent before request logs were re-tagged too. */
  requestRowsUpdated?: number;
  error?: string;
}

export interface InventoryFieldView {
  key: string;
  label: string;
  hint?: string;
  required: boolean;
  /** For a reference: the names it may take (a datalist, typing stays possible). */
  options?: string[];
}

export interface InventoryPageProps {
  /** `/admin/inventory`. */
  basePath: string;
  /** The kind shown, plural (`subnets`). */
  kind: string;
  kindLabel: string;
  kinds: { key: string; label: string; count: number }[];
  fields: InventoryFieldView[];
  items: { id: number; cells: Record<string, string> }[];
  /** The add/edit form's values, shown back after a problem. */
  form: Record<string, string>;
  errors: Record<string, string>;
  /** Set when the form edits an item rather than adding one. */
  editingId?: number;
  /** Admins change the inventory; others read it. */
  canWrite: boolean;
  notice?: string;
  problem?: string;
  /** Problems of the last import, one per line of the file. */
  importProblems?: string[];
  importText?: string;
  /** What the tagger currently holds. */
  tagged: { subnets: number; hosts: number; services: number; pods: number };
  retag?: RetagView;
}

/** `/admin/inventory/<kind>`: the AutoTagging inventory, its forms, import/export and re-tag. */
export function InventoryPage(props: InventoryPageProps): VNode {
  const t = props.tagged;
  return (
    <Layout title="Inventory" active="inventory">
      <header class="page-header">
        <p class="breadcrumb">Administration</p>
        <h1>Inventory</h1>
        <p class="page-description">
          What the addresses in your traffic belong to. Flow logs are tagged at ingest on the client
          (<code>_0</code>) and server (<code>_1</code>) side: subnets by longest prefix, hosts and
          pods by address, services by address:port. The tagger holds {formatCount(t.subnets)}{" "}
          subnets, {formatCount(t.hosts)} hosts, {formatCount(t.services)} services and{" "}
          {formatCount(t.pods)} pods.
        </p>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      {props.problem && <ErrorBox>{props.problem}</ErrorBox>}
      <nav class="tabs" aria-label="Inventory kinds">
        {props.kinds.map((k) => (
          <a
            key={k.key}
            href={`${props.basePath}/${k.key}`}
            class={k.key === props.kind ? "tab is-active" : "tab"}
            aria-current={k.key === props.kind ? "page" : undefined}
          >
            {k.label} <span class="tab-count">{formatCount(k.count)}</span>
          </a>
        ))}
      </nav>
      <ItemTable {...props} />
      {props.canWrite && <ItemForm {...props} />}
      <div class="panel-row">
        {props.canWrite && <ImportForm {...props} />}
        <section class="panel" aria-labelledby="export-title">
          <header class="panel-header">
            <h2 id="export-title">Export</h2>
          </header>
          <div class="panel-body">
            <p>The whole inventory, in the format import reads.</p>
            <p>
              <a class="btn" href={`${props.basePath}/export?format=csv`} download>CSV</a>{" "}
              <a class="btn" href={`${props.basePath}/export?format=json`} download>JSON</a>
            </p>
          </div>
        </section>
      </div>
      <section class="panel" aria-labelledby="retag-title">
        <header class="panel-header">
          <h2 id="retag-title">Re-tag stored flow logs</h2>
        </header>
        <div class="panel-body">
          <p>
            Changes apply to new flow logs. To apply them to flows already stored, re-tag a recent
            period.
          </p>
          {props.canWrite && (
            <form
              method="post"
              action={`${props.basePath}/retag`}
              class="inline-fields"
              id="retag-form"
            >
              <CsrfField />
              <FormField id="retag-hours" label="Last hours" error={undefined}>
                <input
                  {...fieldAttrs("retag-hours", "hours", undefined)}
                  type="number"
                  min={1}
                  max={744}
                  value="24"
                  required
                />
              </FormField>
              <button type="submit" class="btn">Re-tag</button>
            </form>
          )}
          <RetagStatus basePath={props.basePath} retag={props.retag} />
        </div>
      </section>
    </Layout>
  );
}

/** The re-tag job's progress; polls itself while the job runs. */
export function RetagStatus(props: { basePath: string; retag?: RetagView }): VNode {
  const r = props.retag;
  const polling = r?.state === "running"
    ? { "hx-get": `${props.basePath}/retag`, "hx-trigger": "every 1s", "hx-swap": "outerHTML" }
    : {};
  if (!r) {
    return <p id="retag-status" class="cell-muted">No re-tag has run since the manager started.</p>;
  }
  const pct = r.slicesTotal > 0 ? Math.round((r.slicesDone / r.slicesTotal) * 100) : 100;
  return (
    <div id="retag-status" class={`retag-status retag-${r.state}`} {...polling} role="status">
      <progress max={100} value={pct} aria-label="Re-tag progress">{pct}%</progress>{" "}
      <span>
        {r.state === "running" ? "Re-tagging" : r.state === "done" ? "Re-tagged" : "Failed after"}
        {" "}
        the last {r.hours} h: {r.slicesDone} of {r.slicesTotal} slices,{" "}
        <span class="retag-rows">{formatCount(r.rowsUpdated)}</span> rows updated
        {r.requestRowsUpdated !== undefined && (
          <>
            {" "}(and <span class="retag-request-rows">{formatCount(r.requestRowsUpdated)}</span>
            {" "}
            request-log rows)
          </>
        )}.
      </span>
      {r.error && <ErrorBox>{r.error}</ErrorBox>}
    </div>
  );
}

function ItemTable(props: InventoryPageProps): VNode {
  return (
    <section class="panel" aria-labelledby="items-title">
      <header class="panel-header">
        <h2 id="items-title">{props.kindLabel}</h2>
        <span class="panel-meta">{formatCount(props.items.length)}</span>
      </header>
      {props.items.length === 0
        ? <p class="panel-empty">None yet. Add one below or import a file.</p>
        : (
          <div class="table-scroll">
            <table class="data-table inventory-table" id="inventory-table">
              <thead>
                <tr>
                  {props.fields.map((f) => <th key={f.key} scope="col">{f.label}</th>)}
                  {props.canWrite && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {props.items.map((item) => (
                  <tr key={item.id} data-item-id={item.id}>
                    {props.fields.map((f) => (
                      <td key={f.key} class={f.key === "name" ? "" : "mono"}>
                        {item.cells[f.key] || <span class="cell-muted">—</span>}
                      </td>
                    ))}
                    {props.canWrite && (
                      <td class="actions">
                        <a
                          class="btn btn-small"
                          href={`${props.basePath}/${props.kind}?edit=${item.id}`}
                        >
                          Edit
                        </a>
                        <form
                          method="post"
                          action={`${props.basePath}/${props.kind}/${item.id}/delete`}
                          class="inline-form"
                          hx-confirm={`Delete "${item.cells.name}"?`}
                        >
                          <CsrfField />
                          <button type="submit" class="btn btn-small btn-danger">Delete</button>
                        </form>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </section>
  );
}

function ItemForm(props: InventoryPageProps): VNode {
  const editing = props.editingId !== undefined;
  const action = editing
    ? `${props.basePath}/${props.kind}/${props.editingId}`
    : `${props.basePath}/${props.kind}`;
  return (
    <section class="panel" aria-labelledby="item-form-title">
      <header class="panel-header">
        <h2 id="item-form-title">{editing ? "Edit in" : "Add to"} {props.kindLabel}</h2>
      </header>
      <form method="post" action={action} class="panel-body inline-fields" id="item-form">
        <CsrfField />
        {props.fields.map((f) => {
          const id = `item-${f.key}`;
          return (
            <FormField
              key={f.key}
              id={id}
              label={f.label}
              error={props.errors[f.key]}
              hint={f.hint}
            >
              <input
                {...fieldAttrs(id, f.key, props.errors[f.key])}
                type="text"
                value={props.form[f.key] ?? ""}
                required={f.required}
                autocomplete="off"
                list={f.options ? `${id}-options` : undefined}
              />
              {f.options && (
                <datalist id={`${id}-options`}>
                  {f.options.map((o) => <option key={o} value={o} />)}
                </datalist>
              )}
            </FormField>
          );
        })}
        <button type="submit" class="btn btn-primary">{editing ? "Save" : "Add"}</button>
        {editing && <a class="btn" href={`${props.basePath}/${props.kind}`}>Cancel</a>}
      </form>
    </section>
  );
}

function ImportForm(props: InventoryPageProps): VNode {
  return (
    <section class="panel" aria-labelledby="import-title">
      <header class="panel-header">
        <h2 id="import-title">Import</h2>
      </header>
      <form
        method="post"
        action={`${props.basePath}/import`}
        enctype="multipart/form-data"
        class="panel-body"
        id="import-form"
      >
        <CsrfField />
        <p class="field-hint">
          CSV with a header row and a <code>kind</code>{" "}
          column (region, vpc, subnet, host, service, pod), or JSON as exported. Everything is
          checked first: one bad line imports nothing.
        </p>
        {props.importProblems && props.importProblems.length > 0 && (
          <div class="alert alert-error" role="alert" id="import-problems">
            <strong>Nothing was imported:</strong>
            <ul>{props.importProblems.map((p, i) => <li key={i}>{p}</li>)}</ul>
          </div>
        )}
        <FormField id="import-file" label="File" error={undefined}>
          <input
            {...fieldAttrs("import-file", "file", undefined)}
            type="file"
            accept=".csv,.json,text/csv,application/json"
          />
        </FormField>
        <FormField id="import-text" label="…or paste" error={undefined} wide>
          <textarea {...fieldAttrs("import-text", "text", undefined)} rows={6} spellcheck={false}>
            {props.importText ?? ""}
          </textarea>
        </FormField>
        <label class="checkbox">
          <input type="checkbox" name="replace" />{" "}
          Replace the whole inventory (delete what the file does not name)
        </label>
        <p>
          <button type="submit" class="btn btn-primary">Import</button>
        </p>
      </form>
    </section>
  );
}
