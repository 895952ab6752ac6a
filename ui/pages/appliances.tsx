import type { VNode } from "preact";
import { ErrorBox, fieldAttrs, FormField, Notice, UtcTime } from "../components/mod.ts";
import { formatBytes, formatCount } from "../format.ts";
import { CsrfField } from "../frame.tsx";
import { Layout } from "../layout.tsx";
import { formatBitRate } from "./licenses.tsx";

/** One appliance as the list shows it. Times are ms since the epoch. */
export interface ApplianceRow {
  id: string;
  name: string;
  group: string | null;
  /** online, degraded, offline or revoked. */
  status: string;
  lastSeenAt: number | null;
  version: string;
  /** Capture throughput between the last two heartbeats; null before there are two. */
  bitsPerSecond: number | null;
  packetsPerSecond: number | null;
  spoolBatches: number | null;
  spoolBytes: number | null;
  /** Why it is degraded. */
  problems: string[];
}

export interface PendingTokenRow {
  id: number;
  createdAt: number;
  expiresAt: number;
  createdBy: string;
  note: string;
}

export type EnrollmentField = "ttlHours" | "note";

export interface AppliancesPageProps {
  appliances: ApplianceRow[];
  pendingTokens: PendingTokenRow[];
  /** Admins see the forms. */
  canWrite: boolean;
  errors: Partial<Record<EnrollmentField, string>>;
  /** A token just created: shown this once, with the command to run on the appliance. */
  created?: { token: string; expiresAt: number; command: string };
  notice?: string;
  problem?: string;
}

/** The status badge of an appliance; the problems (if any) are its tooltip. */
export function StatusBadge(props: { status: string; problems?: string[] }): VNode {
  const title = props.problems && props.problems.length > 0 ? props.problems.join("\n") : undefined;
  return <span class={`status appliance-${props.status}`} title={title}>{props.status}</span>;
}

/** `/admin/appliances`: every enrolled appliance with its status, and enrollment tokens. */
export function AppliancesPage(props: AppliancesPageProps): VNode {
  return (
    <Layout title="Appliances" active="appliances">
      <header class="page-header">
        <p class="breadcrumb">Administration</p>
        <h1>Appliances</h1>
        <p class="page-description">
          Appliances report every few seconds; one that misses three heartbeats is offline, one that
          drops packets or has a link down is degraded.
        </p>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      {props.problem && <ErrorBox>{props.problem}</ErrorBox>}
      {props.created && (
        <div class="token-reveal" role="status" id="enrollment-token">
          <p>
            One-time enrollment token (single use, valid until{" "}
            <UtcTime ms={props.created.expiresAt} />). It is not shown again. On the appliance, run:
          </p>
          <code id="enroll-command" class="mono">{props.created.command}</code>
        </div>
      )}
      <section class="panel" aria-labelledby="appliances-title">
        <header class="panel-header">
          <h2 id="appliances-title">Fleet</h2>
          <span class="panel-meta">{props.appliances.length} appliances</span>
        </header>
        {props.appliances.length === 0
          ? <p class="panel-empty">No appliance enrolled yet.</p>
          : <ApplianceTable rows={props.appliances} />}
      </section>
      {props.canWrite && <EnrollForm {...props} />}
    </Layout>
  );
}

function ApplianceTable(props: { rows: ApplianceRow[] }): VNode {
  return (
    <div class="table-scroll">
      <table class="data-table" id="appliances-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Group</th>
            <th>Status</th>
            <th>Last seen</th>
            <th>Version</th>
            <th class="num">Throughput</th>
            <th class="num">Packets/s</th>
            <th class="num">Spool</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((a) => (
            <tr key={a.id} data-appliance-id={a.id}>
              <td>
                <a href={`/admin/appliances/${a.id}`}>{a.name}</a>
              </td>
              <td>{a.group ?? <span class="cell-muted">—</span>}</td>
              <td>
                <StatusBadge status={a.status} problems={a.problems} />
              </td>
              <td>
                <UtcTime ms={a.lastSeenAt} empty="never" />
              </td>
              <td class="mono">{a.version}</td>
              <td class="num">
                {a.bitsPerSecond === null ? "—" : formatBitRate(Math.round(a.bitsPerSecond))}
              </td>
              <td class="num">
                {a.packetsPerSecond === null ? "—" : formatCount(Math.round(a.packetsPerSecond))}
              </td>
              <td class="num">
                {a.spoolBatches === null
                  ? "—"
                  : `${formatCount(a.spoolBatches)} batches, ${formatBytes(a.spoolBytes ?? 0)}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EnrollForm(props: AppliancesPageProps): VNode {
  const { errors } = props;
  return (
    <section class="panel" aria-labelledby="enroll-title">
      <header class="panel-header">
        <h2 id="enroll-title">Enroll an appliance</h2>
        <span class="panel-meta">{props.pendingTokens.length} unused tokens</span>
      </header>
      <form
        method="post"
        action="/admin/appliances/tokens"
        class="panel-body inline-fields"
        id="new-token"
      >
        <CsrfField />
        <FormField id="token-ttl" label="Valid for (hours)" error={errors.ttlHours}>
          <input
            {...fieldAttrs("token-ttl", "ttlHours", errors.ttlHours)}
            type="number"
            min="1"
            max="720"
            value="24"
          />
        </FormField>
        <FormField
          id="token-note"
          label="Note (optional)"
          error={errors.note}
          hint="For whom or which rack."
        >
          <input
            {...fieldAttrs("token-note", "note", errors.note)}
            type="text"
            maxLength={200}
            autocomplete="off"
          />
        </FormField>
        <button type="submit" class="btn btn-primary">Create enrollment token</button>
      </form>
      {props.pendingTokens.length > 0 && (
        <div class="table-scroll">
          <table class="data-table" id="pending-tokens">
            <thead>
              <tr>
                <th class="num">Token</th>
                <th>Created by</th>
                <th>Note</th>
                <th>Created</th>
                <th>Expires</th>
              </tr>
            </thead>
            <tbody>
              {props.pendingTokens.map((t) => (
                <tr key={t.id}>
                  <td class="num">{t.id}</td>
                  <td>{t.createdBy}</td>
                  <td>{t.note || <span class="cell-muted">—</span>}</td>
                  <td>
                    <UtcTime ms={t.createdAt} />
                  </td>
                  <td>
                    <UtcTime ms={t.expiresAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
