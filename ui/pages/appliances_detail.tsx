import type { VNode } from "preact";
import { ErrorBox, fieldAttrs, FormField, Notice, UtcTime } from "../components/mod.ts";
import { RateChart } from "../components/rate_chart.tsx";
import { formatCount } from "../format.ts";
import { CsrfField } from "../frame.tsx";
import { Layout } from "../layout.tsx";
import { PcapStoragePanel, type PcapStorageView } from "../components/pcap_storage_panel.tsx";
import { type ApplianceRow, StatusBadge } from "./appliances.tsx";

export interface CapturePointView {
  interface: string;
  observationPoint: string;
  enabled: boolean;
}

/** What the last heartbeat said about a capture point. */
export interface LinkView {
  interface: string;
  link: string;
  packets: number;
  bytes: number;
}

export interface StageView {
  stage: string;
  packets: number;
  drops: { reason: string; count: number; setting?: string }[];
}

export interface RateView {
  at: number;
  packetsPerSecond: number;
  bitsPerSecond: number;
  dropsPerSecond: number;
}

export type ApplianceFormKey = "settings" | "capture-points" | "reporting";

export interface ApplianceDetailProps {
  appliance: ApplianceRow & { hostname: string; enrolledAt: number };
  revoked: boolean;
  configVersion: number;
  /** The version the appliance said it runs in its last heartbeat. */
  appliedConfigVersion: number | null;
  capturePoints: CapturePointView[];
  links: LinkView[];
  reporting: Record<string, number>;
  stages: StageView[];
  rates: RateView[];
  observationPoints: readonly string[];
  canWrite: boolean;
  /** A problem with one of the forms, by form. */
  errors: Partial<Record<ApplianceFormKey, string>>;
  notice?: string;
  /** A problem that concerns no single form field (revoke without confirmation, …). */
  problem?: string;
  /** The global PCAP quota (issue #7), and whether this user may change it. */
  pcapStorage?: PcapStorageView & { editable: boolean };
  /** Traffic distribution as the last heartbeat said: `active: 2 policies`, `unlicensed: …`. */
  distribution?: string;
}

const REPORTING_LABELS: Record<string, string> = {
  batchRecords: "Records per batch",
  flushSeconds: "Flush every (s)",
  spoolMaxBytes: "Spool size (bytes)",
  heartbeatSeconds: "Heartbeat every (s)",
};

/** `/admin/appliances/:id`: counters over time, drops, capture points and the settings forms. */
export function ApplianceDetailPage(props: ApplianceDetailProps): VNode {
  const a = props.appliance;
  const editable = props.canWrite && !props.revoked;
  const inSync = props.appliedConfigVersion === props.configVersion;
  return (
    <Layout title={a.name} active="appliances">
      <header class="page-header">
        <p class="breadcrumb">
          <a href="/admin/appliances">Appliances</a>
        </p>
        <h1>
          {a.name} <StatusBadge status={a.status} problems={a.problems} />
        </h1>
        <p class="page-description mono">{a.id}</p>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      {props.problem && <ErrorBox>{props.problem}</ErrorBox>}
      {a.problems.length > 0 && (
        <ErrorBox>
          <ul class="problem-list">{a.problems.map((p) => <li key={p}>{p}</li>)}</ul>
        </ErrorBox>
      )}
      <section class="panel" aria-labelledby="summary-title">
        <header class="panel-header">
          <h2 id="summary-title">Summary</h2>
        </header>
        <dl class="panel-body facts" id="appliance-facts">
          <div>
            <dt>Hostname</dt>
            <dd class="mono">{a.hostname}</dd>
          </div>
          <div>
            <dt>Group</dt>
            <dd>{a.group ?? "—"}</dd>
          </div>
          <div>
            <dt>Version</dt>
            <dd class="mono">{a.version}</dd>
          </div>
          <div>
            <dt>Enrolled</dt>
            <dd>
              <UtcTime ms={a.enrolledAt} />
            </dd>
          </div>
          <div>
            <dt>Last seen</dt>
            <dd>
              <UtcTime ms={a.lastSeenAt} empty="never" />
            </dd>
          </div>
          <div>
            <dt>Config version</dt>
            <dd id="config-version">
              <span data-current={props.configVersion}>{props.configVersion} current</span>
              {", "}
              <span
                data-applied={props.appliedConfigVersion ?? ""}
                class={inSync ? "" : "cell-muted"}
              >
                {props.appliedConfigVersion === null
                  ? "not applied yet"
                  : `${props.appliedConfigVersion} applied`}
              </span>
            </dd>
          </div>
          {props.distribution && (
            <div>
              <dt>Traffic distribution</dt>
              <dd id="appliance-distribution">{props.distribution}</dd>
            </div>
          )}
        </dl>
      </section>
      <section class="panel" aria-labelledby="chart-title">
        <header class="panel-header">
          <h2 id="chart-title">Counters over the last hour</h2>
        </header>
        <div class="panel-body chart-wrap" id="appliance-chart">
          <RateChart
            unit="per second"
            series={[
              {
                label: "packets",
                className: "rate-line-1",
                points: props.rates.map((r) => ({ at: r.at, value: r.packetsPerSecond })),
              },
              {
                label: "drops",
                className: "rate-line-2",
                points: props.rates.map((r) => ({ at: r.at, value: r.dropsPerSecond })),
              },
            ]}
          />
        </div>
      </section>
      <DropsPanel stages={props.stages} />
      <CapturePointsPanel {...props} editable={editable} />
      {editable && <SettingsPanel {...props} />}
      {props.pcapStorage && !props.revoked && (
        <PcapStoragePanel
          applianceId={props.appliance.id}
          storage={props.pcapStorage}
          editable={props.pcapStorage.editable}
        />
      )}
    </Layout>
  );
}

function DropsPanel(props: { stages: StageView[] }): VNode {
  const rows = props.stages.flatMap((s) => s.drops.map((d) => ({ stage: s.stage, ...d })));
  return (
    <section class="panel" aria-labelledby="drops-title">
      <header class="panel-header">
        <h2 id="drops-title">Pipeline and drops</h2>
        <span class="panel-meta">since the appliance started</span>
      </header>
      {props.stages.length === 0
        ? <p class="panel-empty">No heartbeat yet.</p>
        : (
          <div class="table-scroll">
            <table class="data-table" id="drops-table">
              <thead>
                <tr>
                  <th>Stage</th>
                  <th>Reason</th>
                  <th class="num">Count</th>
                  <th>Setting to change</th>
                </tr>
              </thead>
              <tbody>
                {props.stages.map((s) => (
                  <tr key={`${s.stage}-packets`}>
                    <td>{s.stage}</td>
                    <td class="cell-muted">packets processed</td>
                    <td class="num">{formatCount(s.packets)}</td>
                    <td />
                  </tr>
                ))}
                {rows.map((d) => (
                  <tr key={`${d.stage}-${d.reason}`} class={d.count > 0 ? "row-warning" : ""}>
                    <td>{d.stage}</td>
                    <td>{d.reason}</td>
                    <td class="num">{formatCount(d.count)}</td>
                    <td class="mono">{d.setting ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </section>
  );
}

function CapturePointsPanel(props: ApplianceDetailProps & { editable: boolean }): VNode {
  const link = (name: string) => props.links.find((l) => l.interface === name);
  // One empty row to add a capture point.
  const rows = props.editable
    ? [...props.capturePoints, { interface: "", observationPoint: "rest", enabled: true }]
    : props.capturePoints;
  const error = props.errors["capture-points"];
  return (
    <section class="panel" aria-labelledby="capture-title">
      <header class="panel-header">
        <h2 id="capture-title">Capture points</h2>
      </header>
      {error && <ErrorBox>{error}</ErrorBox>}
      <form
        method="post"
        action={`/admin/appliances/${props.appliance.id}/capture-points`}
        id="capture-points-form"
      >
        {props.editable && <CsrfField />}
        <div class="table-scroll">
          <table class="data-table" id="capture-points">
            <thead>
              <tr>
                <th>Interface</th>
                <th>Observation point</th>
                <th>Enabled</th>
                <th>Link</th>
                <th class="num">Packets</th>
                {props.editable && <th>Remove</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((p, i) => {
                const l = link(p.interface);
                if (!props.editable) {
                  return (
                    <tr key={p.interface}>
                      <td class="mono">{p.interface}</td>
                      <td>{p.observationPoint}</td>
                      <td>{p.enabled ? "yes" : "no"}</td>
                      <td>{l?.link ?? "—"}</td>
                      <td class="num">{l ? formatCount(l.packets) : "—"}</td>
                    </tr>
                  );
                }
                return (
                  <tr key={`${i}-${p.interface}`} data-row={i}>
                    <td>
                      <label class="visually-hidden" for={`cp-if-${i}`}>Interface</label>
                      <input
                        id={`cp-if-${i}`}
                        name={`interface.${i}`}
                        value={p.interface}
                        placeholder={p.interface ? "" : "add: eth1"}
                        maxLength={64}
                      />
                    </td>
                    <td>
                      <label class="visually-hidden" for={`cp-op-${i}`}>Observation point</label>
                      <select id={`cp-op-${i}`} name={`observationPoint.${i}`}>
                        {props.observationPoints.map((o) => (
                          <option key={o} value={o} selected={o === p.observationPoint}>{o}</option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <label class="visually-hidden" for={`cp-on-${i}`}>Enabled</label>
                      <input
                        id={`cp-on-${i}`}
                        type="checkbox"
                        name={`enabled.${i}`}
                        checked={p.enabled}
                      />
                    </td>
                    <td>{l?.link ?? "—"}</td>
                    <td class="num">{l ? formatCount(l.packets) : "—"}</td>
                    <td>
                      {p.interface !== "" && (
                        <>
                          <label class="visually-hidden" for={`cp-rm-${i}`}>Remove</label>
                          <input id={`cp-rm-${i}`} type="checkbox" name={`remove.${i}`} />
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {props.editable && (
          <div class="panel-body">
            <button type="submit" class="btn btn-primary">Save capture points</button>
          </div>
        )}
      </form>
    </section>
  );
}

function SettingsPanel(props: ApplianceDetailProps): VNode {
  const a = props.appliance;
  const { errors } = props;
  return (
    <>
      <section class="panel" aria-labelledby="settings-title">
        <header class="panel-header">
          <h2 id="settings-title">Name and group</h2>
        </header>
        <form
          method="post"
          action={`/admin/appliances/${a.id}/settings`}
          class="panel-body inline-fields"
          id="settings-form"
        >
          <CsrfField />
          <FormField id="appliance-name" label="Name" error={errors.settings}>
            <input
              {...fieldAttrs("appliance-name", "name", errors.settings)}
              value={a.name}
              maxLength={64}
              required
            />
          </FormField>
          <FormField id="appliance-group" label="Group (optional)">
            <input id="appliance-group" name="group" value={a.group ?? ""} maxLength={64} />
          </FormField>
          <button type="submit" class="btn btn-primary">Save</button>
        </form>
      </section>
      <section class="panel" aria-labelledby="reporting-title">
        <header class="panel-header">
          <h2 id="reporting-title">Reporting</h2>
        </header>
        <form
          method="post"
          action={`/admin/appliances/${a.id}/reporting`}
          class="panel-body inline-fields"
          id="reporting-form"
        >
          <CsrfField />
          {errors.reporting && <ErrorBox>{errors.reporting}</ErrorBox>}
          {Object.entries(REPORTING_LABELS).map(([key, label]) => (
            <FormField key={key} id={`reporting-${key}`} label={label}>
              <input
                id={`reporting-${key}`}
                name={key}
                type="number"
                min="1"
                value={String(props.reporting[key] ?? "")}
              />
            </FormField>
          ))}
          <button type="submit" class="btn btn-primary">Save reporting</button>
        </form>
      </section>
      <section class="panel" aria-labelledby="revoke-title">
        <header class="panel-header">
          <h2 id="revoke-title">Revoke</h2>
        </header>
        <form
          method="post"
          action={`/admin/appliances/${a.id}/revoke`}
          class="panel-body"
          id="revoke-form"
        >
          <CsrfField />
          <p>
            Its reports, heartbeats and config requests are refused at once; to come back it must
            enroll again with a new token.
          </p>
          <label class="checkbox-line">
            <input type="checkbox" name="confirm" id="revoke-confirm" required />{" "}
            Yes, revoke “{a.name}”
          </label>
          <button type="submit" class="btn btn-danger">Revoke this appliance</button>
        </form>
      </section>
    </>
  );
}
