// Traffic distribution → Policies: the list, and one policy's page (its form, with libpcap's
// message next to the filter, and its counters over the last hour). Forms post without JS.
import type { VNode } from "preact";
import { ErrorBox, fieldAttrs, FormField, Notice, UtcTime } from "../components/mod.ts";
import { CsrfField } from "../frame.tsx";
import { Layout } from "../layout.tsx";
import { CountersPanel, type CountersView, DeleteForm, errorFor } from "./distribution_parts.tsx";

export interface PolicyRowView {
  id: number;
  name: string;
  enabled: boolean;
  action: string;
  scope: string;
  filter: string;
  points: string[];
  mode: string;
  updatedAt: number;
}

/** A policy form's values as typed (numbers stay text so that a bad one is shown back). */
export interface PolicyFormView {
  name: string;
  enabled: boolean;
  appliances: string[];
  groups: string;
  capturePoints: string;
  direction: string;
  filter: string;
  action: string;
  sliceFrom: string;
  sliceBytes: string;
  dedup: boolean;
  dedupWindowMs: string;
  bandwidthBps: string;
  fuseBps: string;
  points: string[];
  mode: string;
  stripVlan: boolean;
  stripVxlan: boolean;
  stripGre: boolean;
  masks: string;
}

export interface PolicyPageProps {
  /** Undefined for a new policy. */
  id?: number;
  form: PolicyFormView;
  errors: Record<string, string>;
  appliances: { id: string; name: string; group: string | null }[];
  points: { id: number; name: string; tunnel: string }[];
  canWrite: boolean;
  notice?: string;
  counters?: CountersView;
}

const BASE = "/distribution/policies";

/** `/distribution/policies`: every policy. */
export function PolicyListPage(
  props: { policies: PolicyRowView[]; canWrite: boolean; notice?: string },
): VNode {
  return (
    <Layout title="Distribution policies" active="distribution-policies">
      <header class="page-header">
        <p class="breadcrumb">Traffic distribution</p>
        <h1>Distribution policies</h1>
        <p class="page-description">
          Which packets each appliance copies to the distribution points: filtered, stripped,
          sliced, masked, deduplicated and rate-limited. Drop policies apply first.
        </p>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      <section class="panel" aria-labelledby="policies-title">
        <header class="panel-header">
          <h2 id="policies-title">Policies</h2>
          <span class="panel-meta">{props.policies.length} policies</span>
          {props.canWrite && <a class="btn btn-primary" href={`${BASE}/new`}>New policy</a>}
        </header>
        <div class="table-scroll">
          <table class="data-table" id="policies-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>State</th>
                <th>Action</th>
                <th>Appliances</th>
                <th>Filter</th>
                <th>Points</th>
                <th>Changed</th>
              </tr>
            </thead>
            <tbody>
              {props.policies.map((p) => (
                <tr key={p.id} data-policy-id={p.id}>
                  <td>
                    <a href={`${BASE}/${p.id}`}>{p.name}</a>
                  </td>
                  <td>{p.enabled ? "enabled" : <span class="cell-muted">disabled</span>}</td>
                  <td>{p.action}</td>
                  <td>{p.scope}</td>
                  <td>
                    <code class="mono">{p.filter || "(all packets)"}</code>
                  </td>
                  <td>{p.points.join(", ") || "—"} {p.points.length > 1 && `(${p.mode})`}</td>
                  <td>
                    <UtcTime ms={p.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {props.policies.length === 0 && (
          <p class="panel-body cell-muted">No policy yet: nothing is distributed.</p>
        )}
      </section>
    </Layout>
  );
}

/** A policy's counters; also the fragment htmx refreshes (`HX-Target: npb-counters`). */
export function PolicyCountersPanel(props: { counters: CountersView; refresh: string }): VNode {
  return (
    <CountersPanel
      counters={props.counters}
      keys={["packets", "dropDedup", "dropRateLimit", "dropFuse"]}
      title="Distributed and withheld packets"
      refresh={props.refresh}
    />
  );
}

function Check(props: { id: string; name: string; checked: boolean; label: string }): VNode {
  return (
    <label class="check" for={props.id}>
      <input type="checkbox" id={props.id} name={props.name} checked={props.checked} />{" "}
      {props.label}
    </label>
  );
}

function Choice(
  props: { id: string; name: string; value: string; options: [string, string][]; error?: string },
): VNode {
  return (
    <select {...fieldAttrs(props.id, props.name, props.error)}>
      {props.options.map(([v, label]) => (
        <option key={v} value={v} selected={v === props.value}>{label}</option>
      ))}
    </select>
  );
}

/** `/distribution/policies/new` and `/distribution/policies/:id`. */
export function PolicyPage(props: PolicyPageProps): VNode {
  const { form: f, errors: e } = props;
  const title = props.id === undefined ? "New distribution policy" : `Policy ${f.name}`;
  const action = props.id === undefined ? BASE : `${BASE}/${props.id}`;
  const general = errorFor(e, "body");
  const input = (id: string, value: string, err: string | undefined, extra = {}) => (
    <input {...fieldAttrs(`policy-${id}`, id, err)} type="text" value={value} {...extra} />
  );
  return (
    <Layout title={title} active="distribution-policies">
      <header class="page-header">
        <p class="breadcrumb">
          Traffic distribution → <a href={BASE}>Policies</a>
        </p>
        <h1>{title}</h1>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      {Object.keys(e).length > 0 && (
        <ErrorBox>{general ?? "The policy was not saved: see the fields marked below."}</ErrorBox>
      )}
      {props.counters && props.id !== undefined && (
        <PolicyCountersPanel counters={props.counters} refresh={`${BASE}/${props.id}`} />
      )}
      <section class="panel" aria-labelledby="policy-form-title">
        <header class="panel-header">
          <h2 id="policy-form-title">Settings</h2>
        </header>
        <form method="post" action={action} class="panel-body form-grid" id="policy-form">
          <CsrfField />
          <FormField id="policy-name" label="Name" error={e.name}>
            {input("name", f.name, e.name, { maxLength: 64, required: true })}
          </FormField>
          <div class="field field-block">
            <Check id="policy-enabled" name="enabled" checked={f.enabled} label="Enabled" />
          </div>
          <FormField
            id="policy-appliances"
            label="Appliances"
            error={errorFor(e, "appliances")}
            hint="None chosen and no group: every appliance."
          >
            <select
              {...fieldAttrs("policy-appliances", "appliances", errorFor(e, "appliances"))}
              multiple
              size={Math.min(6, Math.max(2, props.appliances.length))}
            >
              {props.appliances.map((a) => (
                <option key={a.id} value={a.id} selected={f.appliances.includes(a.id)}>
                  {a.name}
                  {a.group ? ` (${a.group})` : ""}
                </option>
              ))}
            </select>
          </FormField>
          <FormField
            id="policy-groups"
            label="Appliance groups"
            error={errorFor(e, "groups")}
            hint="Comma-separated group names."
          >
            {input("groups", f.groups, errorFor(e, "groups"))}
          </FormField>
          <FormField
            id="policy-capturePoints"
            label="Capture points"
            error={errorFor(e, "capturePoints")}
            hint="Comma-separated interfaces (e.g. eth1, eth2); empty: all capture points."
          >
            {input("capturePoints", f.capturePoints, errorFor(e, "capturePoints"))}
          </FormField>
          <FormField id="policy-direction" label="Direction" error={e.direction}>
            <Choice
              id="policy-direction"
              name="direction"
              value={f.direction}
              error={e.direction}
              options={[["both", "Both"], ["c2s", "Client → server"], [
                "s2c",
                "Server → client",
              ]]}
            />
          </FormField>
          <FormField
            id="policy-filter"
            label="Filter (tcpdump expression)"
            error={e.filter}
            hint="Checked by libpcap; empty: every packet."
            wide
          >
            {input("filter", f.filter, e.filter, { class: "mono", spellcheck: false })}
          </FormField>
          <FormField id="policy-action" label="Action" error={e.action}>
            <Choice
              id="policy-action"
              name="action"
              value={f.action}
              error={e.action}
              options={[["distribute", "Distribute"], ["drop", "Drop (never distribute)"]]}
            />
          </FormField>
          <FormField
            id="policy-sliceFrom"
            label="Payload slice"
            error={errorFor(e, "slice.from")}
            hint="Keep only the first bytes: after the L4 header, or of the whole frame."
          >
            <Choice
              id="policy-sliceFrom"
              name="sliceFrom"
              value={f.sliceFrom}
              error={errorFor(e, "slice.from")}
              options={[["", "No slicing"], ["l4", "Bytes after the L4 header"], [
                "start",
                "Bytes of the frame (absolute)",
              ]]}
            />
          </FormField>
          <FormField
            id="policy-sliceBytes"
            label="Slice bytes"
            error={errorFor(e, "slice.bytes", "slice")}
          >
            {input("sliceBytes", f.sliceBytes, errorFor(e, "slice.bytes", "slice"), {
              inputmode: "numeric",
            })}
          </FormField>
          <div class="field field-block">
            <Check id="policy-dedup" name="dedup" checked={f.dedup} label="Deduplicate" />
          </div>
          <FormField
            id="policy-dedupWindowMs"
            label="Dedup window (ms)"
            error={errorFor(e, "dedup.windowMs", "dedup")}
          >
            {input("dedupWindowMs", f.dedupWindowMs, errorFor(e, "dedup.windowMs", "dedup"), {
              inputmode: "numeric",
            })}
          </FormField>
          <FormField
            id="policy-bandwidthBps"
            label="Bandwidth limit (bit/s)"
            error={e.bandwidthBps}
            hint="Token bucket over the bytes sent; empty: no limit."
          >
            {input("bandwidthBps", f.bandwidthBps, e.bandwidthBps, { inputmode: "numeric" })}
          </FormField>
          <FormField
            id="policy-fuseBps"
            label="Fuse (bit/s)"
            error={e.fuseBps}
            hint="Stops distributing above this rate; resumes under 90 % of it."
          >
            {input("fuseBps", f.fuseBps, e.fuseBps, { inputmode: "numeric" })}
          </FormField>
          <FormField id="policy-points" label="Distribution points" error={errorFor(e, "points")}>
            <select
              {...fieldAttrs("policy-points", "points", errorFor(e, "points"))}
              multiple
              size={Math.min(6, Math.max(2, props.points.length))}
            >
              {props.points.map((p) => (
                <option key={p.id} value={String(p.id)} selected={f.points.includes(String(p.id))}>
                  {p.name} ({p.tunnel})
                </option>
              ))}
            </select>
          </FormField>
          <FormField id="policy-mode" label="With several points" error={e.mode}>
            <Choice
              id="policy-mode"
              name="mode"
              value={f.mode}
              error={e.mode}
              options={[["replicate", "Replicate to all"], [
                "loadBalance",
                "Load-balance by flow hash",
              ]]}
            />
          </FormField>
          <fieldset class="field field-block" id="policy-strip">
            <legend>Strip before encapsulation</legend>
            <Check id="policy-stripVlan" name="stripVlan" checked={f.stripVlan} label="VLAN tags" />
            <Check
              id="policy-stripVxlan"
              name="stripVxlan"
              checked={f.stripVxlan}
              label="VXLAN (decapsulate)"
            />
            <Check
              id="policy-stripGre"
              name="stripGre"
              checked={f.stripGre}
              label="GRE (decapsulate)"
            />
            <p class="field-error" role="alert" hidden={!errorFor(e, "strip")}>
              {errorFor(e, "strip") ?? ""}
            </p>
          </fieldset>
          <FormField
            id="policy-masks"
            label="Masked byte ranges"
            error={errorFor(e, "masks")}
            hint="One per line: l4|start OFFSET LENGTH, e.g. “l4 0 16” zeroes 16 payload bytes."
            wide
          >
            <textarea
              {...fieldAttrs("policy-masks", "masks", errorFor(e, "masks"))}
              rows={3}
              class="mono"
            >
              {f.masks}
            </textarea>
          </FormField>
          {props.canWrite && (
            <button type="submit" class="btn btn-primary">
              {props.id === undefined ? "Create policy" : "Save policy"}
            </button>
          )}
        </form>
        {props.canWrite && props.id !== undefined && (
          <DeleteForm action={`${BASE}/${props.id}/delete`} what="policy" name={f.name} />
        )}
      </section>
    </Layout>
  );
}
