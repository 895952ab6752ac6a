// Traffic distribution → Points: the list with each point's reachability, and one point's page
// (its form and its counters over the last hour). Forms post without JS.
import type { VNode } from "preact";
import { ErrorBox, fieldAttrs, FormField, Notice, UtcTime } from "../components/mod.ts";
import { CsrfField } from "../frame.tsx";
import { Layout } from "../layout.tsx";
import { CountersPanel, type CountersView, DeleteForm, errorFor } from "./distribution_parts.tsx";

export interface ReachView {
  status: string;
  lastSendAt: number | null;
  lastError: string | null;
  lastReportAt: number | null;
}

export interface PointRowView {
  id: number;
  name: string;
  tunnel: string;
  destination: string;
  detail: string;
  usedBy: string[];
  reach: ReachView;
}

export interface PointFormView {
  name: string;
  tunnel: string;
  vni: string;
  sessionId: string;
  destination: string;
  source: string;
  port: string;
  mtu: string;
  vlan: string;
}

export interface PointPageProps {
  id?: number;
  form: PointFormView;
  errors: Record<string, string>;
  tunnels: [string, string][];
  canWrite: boolean;
  notice?: string;
  problem?: string;
  usedBy?: string[];
  reach?: ReachView;
  counters?: CountersView;
}

const BASE = "/distribution/points";

const REACH_TEXT: Record<string, string> = {
  reachable: "reachable",
  failing: "failing (some sends refused)",
  unreachable: "unreachable",
  idle: "idle (nothing sent lately)",
  unknown: "unknown (no report yet)",
};

export function Reach(props: { reach: ReachView }): VNode {
  const r = props.reach;
  return (
    <span class={`reach reach-${r.status}`} data-reach={r.status}>
      {REACH_TEXT[r.status] ?? r.status}
    </span>
  );
}

/** A point's counters; also the fragment htmx refreshes (`HX-Target: npb-counters`). */
export function PointCountersPanel(props: { counters: CountersView; refresh: string }): VNode {
  return (
    <CountersPanel
      counters={props.counters}
      keys={["packets", "dropSendError"]}
      title="Datagrams sent and refused"
      refresh={props.refresh}
    />
  );
}

/** `/distribution/points`: every distribution point. */
export function PointListPage(
  props: { points: PointRowView[]; canWrite: boolean; notice?: string },
): VNode {
  return (
    <Layout title="Distribution points" active="distribution-points">
      <header class="page-header">
        <p class="breadcrumb">Traffic distribution</p>
        <h1>Distribution points</h1>
        <p class="page-description">
          The tools that receive copies of packets, and the tunnel each is reached through.
        </p>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      <section class="panel" aria-labelledby="points-title">
        <header class="panel-header">
          <h2 id="points-title">Points</h2>
          <span class="panel-meta">{props.points.length} points</span>
          {props.canWrite && <a class="btn btn-primary" href={`${BASE}/new`}>New point</a>}
        </header>
        <div class="table-scroll">
          <table class="data-table" id="points-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Tunnel</th>
                <th>Destination</th>
                <th>Status</th>
                <th>Last sent</th>
                <th>Used by</th>
              </tr>
            </thead>
            <tbody>
              {props.points.map((p) => (
                <tr key={p.id} data-point-id={p.id}>
                  <td>
                    <a href={`${BASE}/${p.id}`}>{p.name}</a>
                  </td>
                  <td>{p.tunnel} {p.detail}</td>
                  <td class="mono">{p.destination}</td>
                  <td>
                    <Reach reach={p.reach} />
                  </td>
                  <td>
                    <UtcTime ms={p.reach.lastSendAt} empty="never" />
                  </td>
                  <td>{p.usedBy.join(", ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {props.points.length === 0 && (
          <p class="panel-body cell-muted">No distribution point yet.</p>
        )}
      </section>
    </Layout>
  );
}

/** `/distribution/points/new` and `/distribution/points/:id`. */
export function PointPage(props: PointPageProps): VNode {
  const { form: f, errors: e } = props;
  const title = props.id === undefined ? "New distribution point" : `Point ${f.name}`;
  const action = props.id === undefined ? BASE : `${BASE}/${props.id}`;
  const text = (id: string, value: string, extra = {}) => (
    <input {...fieldAttrs(`point-${id}`, id, e[id])} type="text" value={value} {...extra} />
  );
  return (
    <Layout title={title} active="distribution-points">
      <header class="page-header">
        <p class="breadcrumb">
          Traffic distribution → <a href={BASE}>Points</a>
        </p>
        <h1>{title}</h1>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      {props.problem && <ErrorBox>{props.problem}</ErrorBox>}
      {Object.keys(e).length > 0 && (
        <ErrorBox>
          {errorFor(e, "body") ?? "The point was not saved: see the fields marked below."}
        </ErrorBox>
      )}
      {props.reach && (
        <section class="panel" aria-labelledby="reach-title" id="point-status">
          <header class="panel-header">
            <h2 id="reach-title">Status</h2>
          </header>
          <dl class="panel-body facts">
            <dt>Reachability</dt>
            <dd>
              <Reach reach={props.reach} />
            </dd>
            <dt>Last datagram sent</dt>
            <dd>
              <UtcTime ms={props.reach.lastSendAt} empty="never" />
            </dd>
            <dt>Last send error</dt>
            <dd class="mono">{props.reach.lastError ?? "none"}</dd>
            <dt>Last report</dt>
            <dd>
              <UtcTime ms={props.reach.lastReportAt} empty="none" />
            </dd>
            <dt>Used by</dt>
            <dd>{props.usedBy?.join(", ") || "no policy"}</dd>
          </dl>
        </section>
      )}
      {props.counters && props.id !== undefined && (
        <PointCountersPanel counters={props.counters} refresh={`${BASE}/${props.id}`} />
      )}
      <section class="panel" aria-labelledby="point-form-title">
        <header class="panel-header">
          <h2 id="point-form-title">Settings</h2>
        </header>
        <form method="post" action={action} class="panel-body form-grid" id="point-form">
          <CsrfField />
          <FormField id="point-name" label="Name" error={e.name}>
            {text("name", f.name, { maxLength: 64, required: true })}
          </FormField>
          <FormField id="point-tunnel" label="Tunnel" error={e.tunnel}>
            <select {...fieldAttrs("point-tunnel", "tunnel", e.tunnel)}>
              {props.tunnels.map(([v, label]) => (
                <option key={v} value={v} selected={v === f.tunnel}>{label}</option>
              ))}
            </select>
          </FormField>
          <FormField id="point-vni" label="VNI (VXLAN)" error={e.vni} hint="0–16777215">
            {text("vni", f.vni, { inputmode: "numeric" })}
          </FormField>
          <FormField id="point-sessionId" label="Session id (ERSPAN)" error={e.sessionId}>
            {text("sessionId", f.sessionId, { inputmode: "numeric" })}
          </FormField>
          <FormField id="point-destination" label="Destination IP" error={e.destination}>
            {text("destination", f.destination, { class: "mono", required: true })}
          </FormField>
          <FormField
            id="point-source"
            label="Source IP (optional)"
            error={e.source}
            hint="Empty: the kernel chooses by route."
          >
            {text("source", f.source, { class: "mono" })}
          </FormField>
          <FormField id="point-port" label="UDP port (VXLAN)" error={e.port} hint="Default 4789.">
            {text("port", f.port, { inputmode: "numeric" })}
          </FormField>
          <FormField
            id="point-mtu"
            label="MTU"
            error={e.mtu}
            hint="576–9000; longer frames are cut."
          >
            {text("mtu", f.mtu, { inputmode: "numeric" })}
          </FormField>
          <FormField
            id="point-vlan"
            label="Insert VLAN tag (optional)"
            error={e.vlan}
            hint="1–4094; empty: none."
          >
            {text("vlan", f.vlan, { inputmode: "numeric" })}
          </FormField>
          {props.canWrite && (
            <button type="submit" class="btn btn-primary">
              {props.id === undefined ? "Create point" : "Save point"}
            </button>
          )}
        </form>
        {props.canWrite && props.id !== undefined && (
          <DeleteForm action={`${BASE}/${props.id}/delete`} what="point" name={f.name} />
        )}
      </section>
    </Layout>
  );
}
