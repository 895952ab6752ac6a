import type { VNode } from "preact";
import {
  formatBytes,
  formatDurationUs,
  formatEndpoint,
  formatTimestampUs,
  protocolName,
} from "../format.ts";
import { NetmonForm, type NetmonFormProps } from "../components/netmon_form.tsx";
import { type DecodeNode, DecodeTree, HexView } from "../components/decode_tree.tsx";
import { SequenceDiagram, type SequenceDiagramProps } from "../components/sequence_diagram.tsx";
import { Layout, STATIC_PREFIX } from "../layout.tsx";

export const PCAP_RESULTS_ID = "pcap-results";
export const PCAP_DETAIL_ID = "pcap-detail";

export interface PcapSessionView {
  protocol: number;
  ip0: string;
  port0: number;
  ip1: string;
  port1: number;
  packets: number;
  bytes: number;
  firstUs: number;
  lastUs: number;
  flags: string;
  /** The page narrowed to this session. */
  href: string;
}

export interface PcapPacketView {
  number: number;
  timeUs: number;
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
  /** The decode panel (htmx fragment). */
  decodeHref: string;
  /** The page with this packet selected (without JavaScript). */
  pageHref: string;
}

export interface PcapDecodeView {
  number: number;
  summary: string;
  tree: DecodeNode[];
  bytes: Uint8Array;
  decoder: "tshark" | "built-in";
  closeHref: string;
}

export interface PcapResultsProps {
  /** Offline appliance, timeout, bad filter…: shown instead of results. */
  message?: { kind: "error" | "info" | "warning"; text: string };
  /** Set when tshark is absent. */
  decoderNotice?: string;
  summary?: string;
  truncated?: boolean;
  sessions: PcapSessionView[];
  packets: PcapPacketView[];
  /** Packets there are in all (the table may show fewer). */
  packetTotal: number;
  sequence?: SequenceDiagramProps;
  stream?: {
    format: "text" | "hex";
    chunks: { fromLeft: boolean; text: string }[];
    otherHref: string;
  };
  downloadHref?: string;
  /** Hidden fields of the download form (the query). */
  downloadFields?: Record<string, string>;
}

export interface PcapPageProps extends PcapResultsProps {
  form: NetmonFormProps;
  detail?: PcapDecodeView;
}

/** The decode panel of one packet: tree and hex view. */
export function PcapDetailPanel(props: { detail?: PcapDecodeView }): VNode {
  const d = props.detail;
  if (!d) return <aside id={PCAP_DETAIL_ID} class="detail-panel" aria-label="Packet decode" />;
  return (
    <aside id={PCAP_DETAIL_ID} class="detail-panel is-open pcap-detail" aria-label="Packet decode">
      <header class="detail-header">
        <h2>Frame {d.number}</h2>
        <a href={d.closeHref} class="btn btn-small detail-close pcap-close">Close</a>
      </header>
      <p class="detail-meta">
        {d.summary} · decoded by{" "}
        {d.decoder === "tshark" ? "Wireshark's dissectors (tshark)" : "the built-in decoder"}
      </p>
      <DecodeTree tree={d.tree} />
      <h3>Bytes</h3>
      <HexView bytes={d.bytes} />
    </aside>
  );
}

function Sessions(props: { sessions: PcapSessionView[] }): VNode {
  return (
    <section class="panel" aria-labelledby="pcap-sessions">
      <header class="panel-header">
        <h2 id="pcap-sessions">Sessions</h2>
        <span class="panel-meta">{props.sessions.length}</span>
      </header>
      <table class="data-table" id="pcap-sessions-table">
        <thead>
          <tr>
            <th>Protocol</th>
            <th>Endpoints</th>
            <th class="num">Packets</th>
            <th class="num">Bytes</th>
            <th>Start (UTC)</th>
            <th class="num">Duration</th>
            <th>Flags</th>
          </tr>
        </thead>
        <tbody>
          {props.sessions.map((s, i) => (
            <tr key={i}>
              <td>{protocolName(s.protocol)}</td>
              <td class="mono">
                <a href={s.href}>
                  {formatEndpoint(s.ip0, s.port0)} ↔ {formatEndpoint(s.ip1, s.port1)}
                </a>
              </td>
              <td class="num">{s.packets}</td>
              <td class="num">{formatBytes(s.bytes)}</td>
              <td>{formatTimestampUs(s.firstUs)}</td>
              <td class="num">{formatDurationUs(s.lastUs - s.firstUs)}</td>
              <td>{s.flags || "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Packets(props: PcapResultsProps): VNode {
  return (
    <section class="panel" aria-labelledby="pcap-packets">
      <form method="get" action={props.downloadHref} class="pcap-download-form">
        <header class="panel-header">
          <h2 id="pcap-packets">Packets</h2>
          <span class="panel-meta">
            {props.packets.length < props.packetTotal
              ? `first ${props.packets.length} of ${props.packetTotal}`
              : props.packetTotal}
          </span>
          {props.downloadHref && (
            <span class="pcap-actions">
              {Object.entries(props.downloadFields ?? {}).map(([k, v]) => (
                <input key={k} type="hidden" name={k} value={v} />
              ))}
              <button type="submit" class="btn btn-small" id="pcap-download-selected">
                Download selected (pcapng)
              </button>
              <a class="btn btn-small" id="pcap-download-all" href={props.downloadHref}>
                Download all (pcapng)
              </a>
            </span>
          )}
        </header>
        <table class="data-table pcap-packets" id="pcap-packets-table">
          <thead>
            <tr>
              <th></th>
              <th class="num">No.</th>
              <th>Time (UTC)</th>
              <th>Source</th>
              <th>Destination</th>
              <th>Protocol</th>
              <th class="num">Length</th>
              <th>Info</th>
            </tr>
          </thead>
          <tbody>
            {props.packets.map((p) => (
              <tr key={p.number} data-frame={p.number}>
                <td>
                  <input
                    type="checkbox"
                    name="packets"
                    value={String(p.number)}
                    aria-label={`Select frame ${p.number}`}
                  />
                </td>
                <td class="num">
                  <a
                    href={p.pageHref}
                    hx-get={p.decodeHref}
                    hx-target={`#${PCAP_DETAIL_ID}`}
                    hx-swap="outerHTML"
                    class="pcap-packet-link"
                  >
                    {p.number}
                  </a>
                </td>
                <td class="mono">{formatTimestampUs(p.timeUs)}</td>
                <td class="mono">{p.source}</td>
                <td class="mono">{p.destination}</td>
                <td>{p.protocol}</td>
                <td class="num">{p.length}</td>
                <td class="pcap-info">{p.info}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </form>
    </section>
  );
}

/** The results region (htmx swaps it on a filter change). */
export function PcapResults(props: PcapResultsProps): VNode {
  return (
    <div id={PCAP_RESULTS_ID} class="pcap-results">
      {props.message && (
        <div
          class={`alert alert-${props.message.kind}`}
          role={props.message.kind === "error" ? "alert" : "status"}
          id="pcap-message"
        >
          {props.message.text}
        </div>
      )}
      {props.decoderNotice && (
        <div class="alert alert-warning" role="status" id="pcap-decoder-notice">
          {props.decoderNotice}
        </div>
      )}
      {props.summary && (
        <p class="pcap-summary" id="pcap-summary">
          {props.summary}
          {props.truncated &&
            " — the packet limit cut the answer: narrow the search (time, 5-tuple, filter) or raise the limit."}
        </p>
      )}
      {props.sessions.length > 0 && <Sessions sessions={props.sessions} />}
      {props.sequence && (
        <section class="panel" aria-labelledby="pcap-sequence">
          <header class="panel-header">
            <h2 id="pcap-sequence">Sequence diagram</h2>
            <span class="panel-meta">
              relative sequence numbers; retransmissions orange, resets red
            </span>
          </header>
          <div class="panel-body seq-scroll">
            <SequenceDiagram {...props.sequence} />
          </div>
        </section>
      )}
      {props.stream && (
        <section class="panel" aria-labelledby="pcap-stream">
          <header class="panel-header">
            <h2 id="pcap-stream">Follow stream ({props.stream.format})</h2>
            <a class="btn btn-small" href={props.stream.otherHref}>
              {props.stream.format === "text" ? "Show as hex" : "Show as text"}
            </a>
          </header>
          <pre class="pcap-stream mono" id="pcap-stream-body">
            {props.stream.chunks.map((c, i) => <span key={i} class={c.fromLeft ? "stream-left" : "stream-right"}>{c.text}</span>)}
          </pre>
        </section>
      )}
      {props.packets.length > 0 && <Packets {...props} />}
    </div>
  );
}

/** PCAP analysis: stored packets of one appliance, fetched on demand. */
export function PcapAnalysisPage(props: PcapPageProps): VNode {
  return (
    <Layout title="PCAP analysis" active="pcap-analysis">
      <header class="page-header">
        <p class="breadcrumb">Network monitoring</p>
        <h1>PCAP analysis</h1>
        <p class="page-description">
          Packets stay on the appliance that stored them and are read on demand. The filter is a
          tcpdump expression, compiled by libpcap on the appliance.
        </p>
      </header>
      <NetmonForm {...props.form} />
      <PcapResults {...props} />
      <PcapDetailPanel detail={props.detail} />
      <script src={`${STATIC_PREFIX}pcap.js`} defer />
    </Layout>
  );
}
