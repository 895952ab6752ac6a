import type { VNode } from "preact";
import { formatCount } from "../format.ts";
import { CsrfField } from "../frame.tsx";
import { Layout } from "../layout.tsx";

/** A module's licensing, as the license page shows it. */
export interface LicenseModuleView {
  key: string;
  label: string;
  status: "active" | "grace" | "pending" | "expired" | "unlicensed";
  /** The licenses enabling it now. */
  licenseIds: string[];
  /** ms since the epoch (see manager/license/state.ts ModuleState). */
  expiresAt?: number;
  graceEndsAt?: number;
  startsAt?: number;
  disabledAt?: number;
  daysLeft?: number;
}

/** One installed license. Times are RFC 3339 strings as signed, or ms for installedAt. */
export interface LicenseView {
  id: string;
  customer: string;
  modules: string[];
  issuedAt: string;
  notBefore: string;
  notAfter: string;
  graceDays: number;
  appliances: number;
  captureBandwidthBps?: number;
  keyId: string;
  status: "active" | "grace" | "pending" | "expired" | "invalid";
  daysLeft?: number;
  installedAt: number;
  installedBy?: string;
  /** Why a stored license no longer verifies: it grants nothing. */
  invalid?: string;
}

export interface LicensesPageProps {
  modules: LicenseModuleView[];
  licenses: LicenseView[];
  usage: { appliances: number; applianceLimit: number; captureBandwidthBps?: number };
  /** Ids of the public keys this manager trusts, and whether one is the development key. */
  trustedKeys: { id: string; development: boolean }[];
  /** After a redirect: what was done. */
  notice?: string;
  /** The upload was refused: why (shown next to the field). */
  uploadError?: string;
  /** Where the page is served: "/admin/licenses". */
  basePath: string;
}

const STATUS_TEXT: Record<LicenseModuleView["status"] | LicenseView["status"], string> = {
  active: "Licensed",
  grace: "Grace period",
  pending: "Not valid yet",
  expired: "Expired, off",
  unlicensed: "Not licensed",
  invalid: "Invalid, ignored",
};

function day(ms: number | undefined): string {
  return ms === undefined ? "—" : new Date(ms).toISOString().slice(0, 10);
}

function days(n: number): string {
  return `${formatCount(n)} ${n === 1 ? "day" : "days"}`;
}

function Status(props: { status: keyof typeof STATUS_TEXT }): VNode {
  return <span class={`status status-${props.status}`}>{STATUS_TEXT[props.status]}</span>;
}

function moduleTiming(m: LicenseModuleView): string {
  switch (m.status) {
    case "active":
      return `${days(m.daysLeft ?? 0)} left (until ${day(m.expiresAt)})`;
    case "grace":
      return `expired ${day(m.expiresAt)}; turns off ${day(m.graceEndsAt)}`;
    case "pending":
      return `starts ${day(m.startsAt)}`;
    case "expired":
      return `off since ${day(m.disabledAt)}`;
    case "unlicensed":
      return "—";
  }
}

function ModulesTable(props: { modules: LicenseModuleView[]; basePath: string }): VNode {
  return (
    <table class="data-table license-modules">
      <caption class="visually-hidden">License modules</caption>
      <thead>
        <tr>
          <th scope="col">Module</th>
          <th scope="col">Status</th>
          <th scope="col">By license</th>
          <th scope="col">Days left</th>
        </tr>
      </thead>
      <tbody>
        {props.modules.map((m) => (
          <tr key={m.key} data-module={m.key} data-status={m.status}>
            <td>
              {m.label} <span class="cell-sub mono">{m.key}</span>
            </td>
            <td>
              <Status status={m.status} />
            </td>
            <td>
              {m.licenseIds.length === 0 ? "—" : m.licenseIds.map((id, i) => (
                <span key={id}>
                  {i > 0 && ", "}
                  <a class="mono" href={`${props.basePath}/${encodeURIComponent(id)}`}>{id}</a>
                </span>
              ))}
            </td>
            <td class="nowrap">{moduleTiming(m)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function UsagePanel(props: { usage: LicensesPageProps["usage"] }): VNode {
  const { appliances, applianceLimit, captureBandwidthBps } = props.usage;
  const over = appliances > applianceLimit;
  const pct = applianceLimit === 0
    ? (appliances > 0 ? 100 : 0)
    : Math.min(100, (appliances / applianceLimit) * 100);
  return (
    <dl class="usage">
      <div class={over ? "usage-item is-over" : "usage-item"} data-usage="appliances">
        <dt>Appliances</dt>
        <dd>
          <span class="usage-figure">
            {formatCount(appliances)} of {formatCount(applianceLimit)}
          </span>
          <span class="meter" aria-hidden="true">
            <span class="meter-fill" style={`width:${pct.toFixed(0)}%`} />
          </span>
          {over && <span class="usage-warning">over the licensed number</span>}
          <span class="cell-sub">appliances that have reported flows</span>
        </dd>
      </div>
      <div class="usage-item" data-usage="capture-bandwidth">
        <dt>Capture bandwidth</dt>
        <dd>
          <span class="usage-figure">
            {captureBandwidthBps === undefined
              ? "no limit"
              : `${formatBitRate(captureBandwidthBps)} licensed`}
          </span>
        </dd>
      </div>
    </dl>
  );
}

export function formatBitRate(bps: number): string {
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
  let value = bps, i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[i]}`;
}

function LicensesTable(props: { licenses: LicenseView[]; basePath: string }): VNode {
  if (props.licenses.length === 0) {
    return <p class="panel-empty">No license installed yet.</p>;
  }
  return (
    <div class="table-scroll">
      <table class="data-table license-list">
        <caption class="visually-hidden">Installed licenses</caption>
        <thead>
          <tr>
            <th scope="col">License</th>
            <th scope="col">Customer</th>
            <th scope="col">Modules</th>
            <th scope="col">Valid</th>
            <th scope="col" class="num">Appliances</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {props.licenses.map((l) => (
            <tr key={l.id} data-license={l.id} data-status={l.status}>
              <td>
                <a class="mono" href={`${props.basePath}/${encodeURIComponent(l.id)}`}>{l.id}</a>
              </td>
              <td>{l.customer}</td>
              <td class="license-module-list">{l.modules.join(", ")}</td>
              <td class="nowrap">
                {l.notBefore.slice(0, 10)} → {l.notAfter.slice(0, 10)}
                <span class="cell-sub">+{days(l.graceDays)} grace</span>
              </td>
              <td class="num">{formatCount(l.appliances)}</td>
              <td>
                <Status status={l.status} />
                {l.daysLeft !== undefined && <span class="cell-sub">{days(l.daysLeft)} left</span>}
                {l.invalid && <span class="cell-sub">{l.invalid}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function UploadForm(props: { basePath: string; error?: string }): VNode {
  return (
    <form
      class="license-upload"
      method="post"
      action={props.basePath}
      enctype="multipart/form-data"
    >
      <CsrfField />
      <div class={props.error ? "field has-error" : "field"}>
        <label for="license-file">License file</label>
        <input
          id="license-file"
          type="file"
          name="license"
          accept=".json,.lic,application/json"
          aria-invalid={props.error ? "true" : undefined}
          aria-describedby={props.error ? "license-error" : undefined}
        />
      </div>
      <details class="license-paste">
        <summary>or paste its text</summary>
        <textarea name="text" rows={6} spellcheck={false} aria-label="License text" />
      </details>
      <div class="filter-actions">
        <button type="submit" class="btn btn-primary">Install license</button>
      </div>
      {props.error && (
        <p id="license-error" class="field-error license-error" role="alert">{props.error}</p>
      )}
    </form>
  );
}

/** `/admin/licenses`: modules and who licenses them, usage against limits, installed licenses. */
export function LicensesPage(props: LicensesPageProps): VNode {
  const dev = props.trustedKeys.some((k) => k.development);
  return (
    <Layout title="Licenses" active="licenses">
      <header class="page-header">
        <p class="breadcrumb">Administration</p>
        <h1>Licenses</h1>
        <p class="page-description">
          Modules combine over every installed license; each license keeps its own dates. A module
          turns off after its license expires and the grace period ends; its data is kept.
        </p>
      </header>
      {props.notice && <div class="alert alert-success" role="status">{props.notice}</div>}
      {dev && (
        <div class="alert alert-warning" role="status">
          This manager trusts the <strong>development</strong>{" "}
          license key ({props.trustedKeys.filter((k) => k.development).map((k) => k.id).join(
            ", ",
          )}): anyone can issue licenses for it. Set TAPLINE_LICENSE_KEYS in production.
        </div>
      )}
      <section class="panel" aria-labelledby="license-modules-title">
        <header class="panel-header">
          <h2 id="license-modules-title">Modules</h2>
          <span class="panel-meta">
            {props.modules.filter((m) => m.status === "active" || m.status === "grace").length} of
            {" "}
            {props.modules.length} enabled
          </span>
        </header>
        <ModulesTable modules={props.modules} basePath={props.basePath} />
      </section>
      <section class="panel" aria-labelledby="license-usage-title">
        <header class="panel-header">
          <h2 id="license-usage-title">Usage and limits</h2>
        </header>
        <UsagePanel usage={props.usage} />
      </section>
      <section class="panel" aria-labelledby="license-list-title">
        <header class="panel-header">
          <h2 id="license-list-title">Installed licenses</h2>
          <span class="panel-meta">
            trusted keys: {props.trustedKeys.map((k) => k.id).join(", ") || "none"}
          </span>
        </header>
        <LicensesTable licenses={props.licenses} basePath={props.basePath} />
      </section>
      <section class="panel" aria-labelledby="license-install-title">
        <header class="panel-header">
          <h2 id="license-install-title">Install a license</h2>
        </header>
        <UploadForm basePath={props.basePath} error={props.uploadError} />
      </section>
    </Layout>
  );
}

export interface LicenseDetailProps {
  license: LicenseView;
  /** The signed file as installed. */
  document: string;
  basePath: string;
}

/** `/admin/licenses/ID`: every term of one license, its file, and the remove action. */
export function LicenseDetailPage(props: LicenseDetailProps): VNode {
  const l = props.license;
  const rows: [string, string][] = [
    ["Customer", l.customer],
    ["Modules", l.modules.join(", ") || "—"],
    ["Issued", l.issuedAt],
    ["Valid from", l.notBefore],
    ["Valid until", l.notAfter],
    ["Grace period", days(l.graceDays)],
    ["Appliances", formatCount(l.appliances)],
    [
      "Capture bandwidth",
      l.captureBandwidthBps === undefined ? "no limit" : formatBitRate(l.captureBandwidthBps),
    ],
    ["Signed by key", l.keyId || "—"],
    [
      "Installed",
      `${new Date(l.installedAt).toISOString()}${l.installedBy ? ` by ${l.installedBy}` : ""}`,
    ],
  ];
  return (
    <Layout title={`License ${l.id}`} active="licenses">
      <header class="page-header">
        <p class="breadcrumb">
          <a href={props.basePath}>Licenses</a>
        </p>
        <h1>
          License <span class="mono">{l.id}</span> <Status status={l.status} />
        </h1>
        {l.invalid && <p class="alert alert-error" role="alert">{l.invalid}</p>}
      </header>
      <section class="panel">
        <dl class="license-terms">
          {rows.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section class="panel" aria-labelledby="license-file-title">
        <header class="panel-header">
          <h2 id="license-file-title">License file</h2>
        </header>
        <pre class="license-document">{props.document}</pre>
      </section>
      <form
        method="post"
        action={`${props.basePath}/${encodeURIComponent(l.id)}/remove`}
        class="license-remove"
      >
        <CsrfField />
        <button type="submit" class="btn btn-danger">Remove this license</button>
        <span class="cell-sub">
          Its modules turn off unless another license covers them; their data is kept.
        </span>
      </form>
    </Layout>
  );
}
