import type { VNode } from "preact";
import { formatEndpoint, formatTimestampUs, hasPorts, protocolName } from "../format.ts";
import { NAV } from "../nav.ts";
import { fieldOf, type FlowRow } from "../types.ts";

/** The DOM id of the panel; rows swap it with htmx. */
export const FLOW_DETAIL_ID = "flow-detail";

const CLOSE_SCRIPT =
  "event.preventDefault(); this.closest('.detail-panel').classList.remove('is-open')";

/** The row's key in URLs: `appliance:timeMs:id` (undefined when the manager gave no key). */
export function flowRowKey(row: FlowRow): string | undefined {
  return row.id === undefined || row.time === undefined
    ? undefined
    : `${row.appliance}:${row.time}:${row.id}`;
}

/**
 * Views a flow links to. Only pages that exist are linked: a NAV entry gets its `path` when its
 * page lands (path analysis and NAT tracing take `?flow=<key>`; packets and the sequence diagram
 * come with PCAP storage).
 */
export function relatedLinks(row: FlowRow): { label: string; href: string }[] {
  const key = flowRowKey(row);
  if (!key) return [];
  const views: [string, string][] = [["network-path", "Path analysis"], [
    "nat-tracing",
    "NAT tracing",
  ]];
  if (row.protocol !== 6) views.pop(); // NAT tracing follows TCP handshakes.
  const out: { label: string; href: string }[] = [];
  for (const [id, label] of views) {
    const entry = NAV.flatMap((s) => s.entries).find((e) => e.id === id);
    if (entry?.path) out.push({ label, href: `${entry.path}?flow=${encodeURIComponent(key)}` });
  }
  out.push(...pcapLinks(row));
  return out;
}

/** The row's stored packets (PCAP analysis): its 5-tuple on its appliance, a minute either side. */
function pcapLinks(row: FlowRow): { label: string; href: string }[] {
  const entry = NAV.flatMap((s) => s.entries).find((e) => e.id === "pcap-analysis");
  if (!entry?.path || !hasPorts(row.protocol)) return [];
  const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString().replace(/Z$/, "");
  const q = new URLSearchParams({
    appliance: row.appliance,
    proto: String(row.protocol),
    ip0: row.ip0,
    port0: String(row.clientPort),
    ip1: row.ip1,
    port1: String(row.serverPort),
    from: iso(row.startTime - 60_000_000),
    to: iso(row.endTime + 60_000_000),
  });
  const href = `${entry.path}?${q}`;
  const out = [{ label: "Packets", href: `${href}#pcap-packets` }];
  if (row.protocol === 6) out.push({ label: "Sequence diagram", href: `${href}#pcap-sequence` });
  return out;
}

function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([a-z])(\d)$/, "$1_$2").toLowerCase();
}

function valueText(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "object") {
    const pairs = Object.entries(v as Record<string, string>).map(([k, x]) => `${k}=${x}`);
    return pairs.length > 0 ? pairs.join(" ") : "—";
  }
  return String(v);
}

const TAGS: [string, string][] = [
  ["region", "Region"],
  ["vpc", "VPC"],
  ["subnet", "Subnet"],
  ["host", "Host"],
  ["service", "Service"],
  ["podNs", "Namespace"],
  ["pod", "Pod"],
  ["labels", "Labels"],
];

/** The detail panel: closed and empty without a row, open with every field of `row`. */
export function FlowDetailPanel(props: { row?: FlowRow; closeHref: string }): VNode {
  const { row } = props;
  if (!row) return <aside id={FLOW_DETAIL_ID} class="detail-panel" aria-label="Flow details" />;
  const ported = hasPorts(row.protocol);
  const client = formatEndpoint(row.ip0, ported ? row.clientPort : undefined);
  const server = formatEndpoint(row.ip1, ported ? row.serverPort : undefined);
  const links = relatedLinks(row);
  return (
    <aside id={FLOW_DETAIL_ID} class="detail-panel is-open" aria-label="Flow details">
      <header class="detail-header">
        <h2>
          {protocolName(row.protocol)} {client} → {server}
        </h2>
        <a
          href={props.closeHref}
          class="btn btn-small detail-close"
          {...{ "hx-on-click": CLOSE_SCRIPT }}
        >
          Close
        </a>
      </header>
      <p class="detail-meta">
        {formatTimestampUs(row.startTime)} UTC · {row.appliance} · flow {row.flowId}
      </p>
      {links.length > 0 && (
        <nav class="detail-links" aria-label="Related views">
          {links.map((l) => <a key={l.label} class="btn btn-small" href={l.href}>{l.label}</a>)}
        </nav>
      )}
      <h3>Tags</h3>
      <table class="data-table detail-tags">
        <thead>
          <tr>
            <th scope="col">Tag</th>
            <th scope="col">Client (_0)</th>
            <th scope="col">Server (_1)</th>
          </tr>
        </thead>
        <tbody>
          {TAGS.map(([k, label]) => (
            <tr key={k}>
              <th scope="row">{label}</th>
              <td>{valueText(fieldOf(row, `${k}0`))}</td>
              <td>{valueText(fieldOf(row, `${k}1`))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>All fields</h3>
      <dl class="detail-fields">
        {Object.entries(row)
          .filter(([k]) =>
            !/^(region|vpc|subnet|subnetId|host|service|podNs|pod|labels)[01]$/.test(k)
          )
          .map(([k, v]) => (
            <div key={k} class="detail-field">
              <dt>{snake(k)}</dt>
              <dd class="mono">{valueText(v)}</dd>
            </div>
          ))}
      </dl>
    </aside>
  );
}
