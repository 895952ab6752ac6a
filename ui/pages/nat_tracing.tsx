import { Fragment, type VNode } from "preact";
import { formatBytes, formatEndpoint, formatTimestampUs } from "../format.ts";
import { NETMON_RESULTS_ID, NetmonForm, type NetmonFormProps } from "../components/netmon_form.tsx";
import { Layout } from "../layout.tsx";

export interface NatHopView {
  point: string;
  observationPoint: string;
  ip0: string;
  clientPort: number;
  ip1: string;
  serverPort: number;
  startUs: number;
  bytes: number;
  pathHref: string;
}

export interface NatPageProps {
  form: NetmonFormProps;
  origin?: NatHopView;
  confident: boolean;
  strictness: string;
  chain: NatHopView[];
  candidates: { hop: NatHopView; score: number; evidence: string[]; match: boolean }[];
  message?: string;
}

function Hop(props: { hop: NatHopView }): VNode {
  const h = props.hop;
  return (
    <>
      <td>{h.observationPoint}</td>
      <td>{h.point}</td>
      <td class="mono">
        {formatEndpoint(h.ip0, h.clientPort)} → {formatEndpoint(h.ip1, h.serverPort)}
      </td>
      <td>{formatTimestampUs(h.startUs)}</td>
      <td class="num">{formatBytes(h.bytes)}</td>
    </>
  );
}

/** What a middlebox between two hops rewrote: the client side (SNAT), the server side (DNAT/LB). */
export function rewritesBetween(a: NatHopView, b: NatHopView): string[] {
  const out: string[] = [];
  const ca = formatEndpoint(a.ip0, a.clientPort), cb = formatEndpoint(b.ip0, b.clientPort);
  const sa = formatEndpoint(a.ip1, a.serverPort), sb = formatEndpoint(b.ip1, b.serverPort);
  if (ca !== cb) out.push(`SNAT ${ca} → ${cb}`);
  if (sa !== sb) out.push(`DNAT/LB ${sa} → ${sb}`);
  if (out.length === 0) out.push("addresses unchanged");
  return out;
}

/** The chain as boxes, client side first, with what changed between adjacent hops. */
function ChainDiagram(props: { chain: NatHopView[] }): VNode {
  return (
    <ol class="nat-chain" aria-label="NAT chain, client side first">
      {props.chain.map((h, i) => (
        <Fragment key={`${h.point}-${i}`}>
          {i > 0 && (
            <li class="nat-rewrite">
              {rewritesBetween(props.chain[i - 1]!, h).map((r) => <span key={r}>{r}</span>)}
            </li>
          )}
          <li class="nat-hop">
            <span class="nat-hop-op">{h.observationPoint}</span>
            <span class="nat-hop-point">{h.point}</span>
            <span class="nat-hop-addr mono">
              {formatEndpoint(h.ip0, h.clientPort)} → {formatEndpoint(h.ip1, h.serverPort)}
            </span>
            <span class="nat-hop-bytes">{formatBytes(h.bytes)}</span>
          </li>
        </Fragment>
      ))}
    </ol>
  );
}

/** NAT tracing: from a TCP tuple or a flow-log row to the same connection at other capture points. */
export function NatTracingPage(props: NatPageProps): VNode {
  return (
    <Layout title="NAT tracing" active="nat-tracing">
      <header class="page-header">
        <p class="breadcrumb">Network monitoring</p>
        <h1>NAT tracing</h1>
        <p class="page-description">
          Matches by handshake ISNs, then keep-alive seq/ack, then timing and bytes; strictness sets
          the bar.
        </p>
      </header>
      <NetmonForm {...props.form} resultsId={NETMON_RESULTS_ID} resultsTrigger="submit" />
      <NatResults {...props} />
    </Layout>
  );
}

/** The chain and the candidates: what submitting the form replaces (htmx asks the same URL). */
export function NatResults(props: NatPageProps): VNode {
  return (
    <div id={NETMON_RESULTS_ID} class="netmon-results">
      {props.message && <div class="alert alert-info" role="status">{props.message}</div>}
      {props.origin && (
        <section class="panel" aria-labelledby="nat-chain">
          <header class="panel-header">
            <h2 id="nat-chain">Chain</h2>
            <span
              class={`panel-meta nat-verdict ${props.confident ? "nat-matched" : "nat-none"}`}
              id="nat-verdict"
            >
              {props.confident
                ? `Matched (${props.strictness})`
                : `No confident match (${props.strictness})`}
            </span>
          </header>
          <div class="panel-body">
            <ChainDiagram chain={props.chain} />
          </div>
          <table class="data-table" id="nat-chain-table">
            <thead>
              <tr>
                <th>OP</th>
                <th>Capture point</th>
                <th>Addresses</th>
                <th>Start (UTC)</th>
                <th class="num">Bytes</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {props.chain.map((h, i) => (
                <tr key={i}>
                  <Hop hop={h} />
                  <td>
                    <a href={h.pathHref}>Path</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {props.origin && (
        <section class="panel" aria-labelledby="nat-cands">
          <header class="panel-header">
            <h2 id="nat-cands">Candidates</h2>
          </header>
          <table class="data-table" id="nat-candidates-table">
            <thead>
              <tr>
                <th>OP</th>
                <th>Capture point</th>
                <th>Addresses</th>
                <th>Start (UTC)</th>
                <th class="num">Bytes</th>
                <th class="num">Score</th>
                <th>Evidence</th>
              </tr>
            </thead>
            <tbody>
              {props.candidates.map((c, i) => (
                <tr key={i} class={c.match ? "match" : ""}>
                  <Hop hop={c.hop} />
                  <td class="num">{c.score}</td>
                  <td>{c.evidence.join(", ")}{c.match ? " ✓" : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {props.candidates.length === 0 && (
            <p class="empty">No candidate at any other capture point.</p>
          )}
        </section>
      )}
    </div>
  );
}
