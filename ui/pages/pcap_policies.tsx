import type { VNode } from "preact";
import { ErrorBox, fieldAttrs, FormField, Notice, UtcTime } from "../components/mod.ts";
import { formatBytes, formatCount } from "../format.ts";
import { CsrfField } from "../frame.tsx";
import { Layout } from "../layout.tsx";

/** One policy in the list, with what the appliances reported as stored. */
export interface PcapPolicyRow {
  id: number;
  name: string;
  enabled: boolean;
  targets: string;
  expression: string;
  truncateBytes: number;
  quotaBytes: number | null;
  storedPackets: number;
  storedBytes: number;
  storedFlows: number;
  updatedAt: number;
}

/** An appliance and its global PCAP quota. */
export interface PcapStorageRow {
  id: string;
  name: string;
  quotaBytes: number | null;
  quotaPercent: number | null;
}

/** The policy form: the text of each field, and problems by field name. */
export interface PcapPolicyForm {
  /** Undefined: a new policy. */
  id?: number;
  values: Record<string, string>;
  errors: Record<string, string>;
}

export interface PcapPoliciesPageProps {
  policies: PcapPolicyRow[];
  storage: PcapStorageRow[];
  canWrite: boolean;
  form?: PcapPolicyForm;
  storageErrors?: { applianceId: string; field: string; message: string };
  notice?: string;
  problem?: string;
  protocols: readonly string[];
}

/** Where "View captured traffic" goes: the analysis page (issue #7's analysis half). */
export function pcapAnalysisHref(policyId: number): string {
  return `/pcap/analysis?policy=${policyId}`;
}

/** Form fields, in order: [name, label, hint]. */
const FIELDS: [string, string, string][] = [
  ["name", "Name", ""],
  ["appliances", "Appliances", "appliance ids, comma-separated; empty with no groups: all"],
  ["groups", "Groups", "appliance groups, comma-separated"],
  ["capturePoints", "Capture points", "interfaces, comma-separated; empty: every capture point"],
  ["filter", "Filter (tcpdump expression)", "e.g. tcp port 80 and host 10.0.0.1"],
  ["match.ip", "IP or CIDR", "either end"],
  ["match.port", "Port", "either end"],
  ["match.peerIp", "Peer IP or CIDR", "the other end"],
  ["match.peerPort", "Peer port", ""],
  ["truncateBytes", "Keep bytes per packet", "0 keeps whole packets"],
  ["start", "Start", "ISO 8601 UTC, e.g. 2026-12-05T10:00:00Z; empty: now"],
  ["stop", "Stop", "ISO 8601 UTC; empty: no end"],
  ["durationSeconds", "Duration (s)", "after the first kept packet"],
  ["maxPackets", "Packet limit", ""],
  ["maxBytes", "Byte limit", ""],
  ["quotaBytes", "Disk quota (bytes)", "oldest files are evicted first"],
];

function PolicyForm(props: { form: PcapPolicyForm; protocols: readonly string[] }): VNode {
  const { values, errors, id } = props.form;
  const field = (name: string, label: string, hint: string) => {
    const inputId = `pcap-${name.replace(".", "-")}`;
    return (
      <FormField key={name} id={inputId} label={label} error={errors[name]} hint={hint}>
        <input
          {...fieldAttrs(inputId, name, errors[name])}
          value={values[name] ?? ""}
          maxLength={name === "filter" ? 4096 : 256}
          required={name === "name"}
        />
      </FormField>
    );
  };
  return (
    <section class="panel" aria-labelledby="pcap-form-title">
      <header class="panel-header">
        <h2 id="pcap-form-title">{id === undefined ? "New PCAP policy" : `Edit policy ${id}`}</h2>
      </header>
      <form
        method="post"
        action={id === undefined ? "/pcap/policies" : `/pcap/policies/${id}`}
        class="panel-body"
        id="pcap-policy-form"
      >
        <CsrfField />
        {FIELDS.slice(0, 5).map(([n, l, h]) => field(n, l, h))}
        <FormField
          id="pcap-match-protocol"
          label="Protocol"
          error={errors["match.protocol"] ?? errors.match}
        >
          <select
            {...fieldAttrs(
              "pcap-match-protocol",
              "match.protocol",
              errors["match.protocol"] ?? errors.match,
            )}
          >
            <option value="">any</option>
            {props.protocols.map((p) => (
              <option key={p} value={p} selected={values["match.protocol"] === p}>{p}</option>
            ))}
          </select>
        </FormField>
        {FIELDS.slice(5).map(([n, l, h]) => field(n, l, h))}
        <div class="field field-block">
          <label>
            <input type="checkbox" name="enabled" checked={values.enabled !== "off"} /> Enabled
          </label>
        </div>
        <button type="submit" class="btn btn-primary">
          {id === undefined ? "Create policy" : "Save policy"}
        </button>
      </form>
      {id !== undefined && (
        <form method="post" action={`/pcap/policies/${id}/delete`} class="panel-body">
          <CsrfField />
          <button type="submit" class="btn">Delete policy</button>
        </form>
      )}
    </section>
  );
}

function StoragePanel(props: PcapPoliciesPageProps): VNode {
  const bad = props.storageErrors;
  return (
    <section class="panel" aria-labelledby="pcap-storage-title">
      <header class="panel-header">
        <h2 id="pcap-storage-title">Disk quota per appliance</h2>
        <span class="panel-meta">all PCAP policies together; the oldest files go first</span>
      </header>
      {props.storage.length === 0
        ? <p class="panel-empty">No appliance is enrolled.</p>
        : (
          <div class="table-scroll">
            <table class="data-table" id="pcap-storage">
              <thead>
                <tr>
                  <th>Appliance</th>
                  <th>Quota</th>
                  {props.canWrite && <th>Change</th>}
                </tr>
              </thead>
              <tbody>
                {props.storage.map((a) => {
                  const err = bad?.applianceId === a.id ? bad : undefined;
                  const gbId = `quota-gb-${a.id}`;
                  const pctId = `quota-pct-${a.id}`;
                  return (
                    <tr key={a.id}>
                      <td>
                        {a.name} <span class="cell-muted mono">{a.id}</span>
                      </td>
                      <td>
                        {a.quotaBytes === null && a.quotaPercent === null ? "none" : [
                          a.quotaBytes === null ? "" : formatBytes(a.quotaBytes),
                          a.quotaPercent === null ? "" : `${a.quotaPercent}% of the disk`,
                        ].filter((s) => s !== "").join(" and at most ")}
                      </td>
                      {props.canWrite && (
                        <td>
                          <form
                            method="post"
                            action={`/pcap/storage/${a.id}`}
                            class="inline-fields"
                          >
                            <CsrfField />
                            <FormField
                              id={gbId}
                              label="GB"
                              error={err?.field === "quotaGB" ? err.message : undefined}
                            >
                              <input
                                {...fieldAttrs(gbId, "quotaGB", err?.message)}
                                value={a.quotaBytes === null ? "" : String(a.quotaBytes / 1e9)}
                                size={6}
                              />
                            </FormField>
                            <FormField
                              id={pctId}
                              label="% of disk"
                              error={err?.field === "quotaPercent" ? err.message : undefined}
                            >
                              <input
                                {...fieldAttrs(pctId, "quotaPercent", err?.message)}
                                value={a.quotaPercent === null ? "" : String(a.quotaPercent)}
                                size={3}
                              />
                            </FormField>
                            <button type="submit" class="btn">Save quota</button>
                          </form>
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
    </section>
  );
}

/** `/pcap/policies`: the policies with what is stored under each, the form, and the quotas. */
export function PcapPoliciesPage(props: PcapPoliciesPageProps): VNode {
  return (
    <Layout title="PCAP policies" active="pcap-policies">
      <header class="page-header">
        <h1>PCAP policies</h1>
        <p class="page-description">
          Which packets the appliances keep on their disks, as pcapng files; stored packets stay on
          the appliance until the analysis page asks for them.
        </p>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      {props.problem && <ErrorBox>{props.problem}</ErrorBox>}
      <section class="panel" aria-labelledby="pcap-list-title">
        <header class="panel-header">
          <h2 id="pcap-list-title">Policies</h2>
          {props.canWrite && <a href="/pcap/policies/new" class="btn">New policy</a>}
        </header>
        {props.policies.length === 0
          ? <p class="panel-empty">No PCAP policy yet.</p>
          : (
            <div class="table-scroll">
              <table class="data-table" id="pcap-policies">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Enabled</th>
                    <th>Appliances</th>
                    <th>Selects</th>
                    <th class="num">Keeps</th>
                    <th class="num">Quota</th>
                    <th class="num">Stored packets</th>
                    <th class="num" title="frame bytes on the wire of the stored packets">
                      Their bytes
                    </th>
                    <th>Updated</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  {props.policies.map((p) => (
                    <tr key={p.id} data-policy={p.id}>
                      <td>
                        <a href={`/pcap/policies/${p.id}`}>{p.name}</a>
                      </td>
                      <td>{p.enabled ? "yes" : "no"}</td>
                      <td>{p.targets}</td>
                      <td class="mono">{p.expression || "every packet"}</td>
                      <td class="num">
                        {p.truncateBytes === 0 ? "whole packets" : `${p.truncateBytes} B`}
                      </td>
                      <td class="num">{p.quotaBytes === null ? "—" : formatBytes(p.quotaBytes)}</td>
                      <td class="num stored-packets">{formatCount(p.storedPackets)}</td>
                      <td class="num stored-bytes">{formatBytes(p.storedBytes)}</td>
                      <td>
                        <UtcTime ms={p.updatedAt} />
                      </td>
                      <td>
                        <a href={pcapAnalysisHref(p.id)}>View captured traffic</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </section>
      {props.form && props.canWrite && <PolicyForm form={props.form} protocols={props.protocols} />}
      <StoragePanel {...props} />
    </Layout>
  );
}
