import type { ComponentChildren, VNode } from "preact";
import {
  formatBytes,
  formatBytesExact,
  formatCount,
  formatDurationUs,
  formatEndpoint,
  formatTimestampUs,
  hasPorts,
  protocolName,
} from "../format.ts";
import type { FlowRow } from "../types.ts";

/** The dense flow-log table: one row per flow per minute, times in UTC. */
export function FlowTable(props: { rows: readonly FlowRow[] }): VNode {
  return (
    <div class="table-scroll">
      <table class="data-table flow-table">
        <caption class="visually-hidden">Flow logs, times in UTC</caption>
        <thead>
          <tr>
            <th scope="col" rowSpan={2}>Start (UTC)</th>
            <th scope="col" rowSpan={2} class="num">Duration</th>
            <th scope="col" rowSpan={2}>Client</th>
            <th scope="col" rowSpan={2}>Server</th>
            <th scope="col" rowSpan={2}>Protocol</th>
            <th scope="col" rowSpan={2} class="num">VLAN</th>
            <th scope="colgroup" colSpan={2} class="group">Packets</th>
            <th scope="colgroup" colSpan={2} class="group">Bytes</th>
            <th scope="col" rowSpan={2}>Appliance</th>
          </tr>
          <tr>
            <DirectionHeader dir="tx" />
            <DirectionHeader dir="rx" />
            <DirectionHeader dir="tx" />
            <DirectionHeader dir="rx" />
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => <FlowTableRow key={row.flowId} row={row} />)}
        </tbody>
      </table>
    </div>
  );
}

function DirectionHeader(props: { dir: "tx" | "rx" }): VNode {
  const [arrow, words] = props.dir === "tx" ? ["→", "client to server"] : ["←", "server to client"];
  return (
    <th scope="col" class="num sub" title={words}>
      <span aria-hidden="true">{arrow}</span>
      <span class="visually-hidden">{words}</span>
    </th>
  );
}

function FlowTableRow({ row }: { row: FlowRow }): VNode {
  const ported = hasPorts(row.protocol);
  const client = formatEndpoint(row.ip0, ported ? row.clientPort : undefined);
  const server = formatEndpoint(row.ip1, ported ? row.serverPort : undefined);
  return (
    <tr data-flow-id={row.flowId}>
      <td class="mono nowrap">{formatTimestampUs(row.startTime)}</td>
      <td class="num" title={`Ends ${formatTimestampUs(row.endTime)} UTC`}>
        {formatDurationUs(row.endTime - row.startTime)}
      </td>
      <td class="mono endpoint" title={client}>{breakable(client)}</td>
      <td class="mono endpoint" title={server}>{breakable(server)}</td>
      <td title={`IP protocol ${row.protocol}`}>
        <span class={`proto proto-${protocolName(row.protocol).toLowerCase()}`}>
          {protocolName(row.protocol)}
        </span>
      </td>
      {row.vlan > 0
        ? <td class="num">{row.vlan}</td>
        : <td class="num cell-muted" title="No VLAN tag">—</td>}
      <td class="num">{formatCount(row.packetTx)}</td>
      <td class="num">{formatCount(row.packetRx)}</td>
      <td class="num" title={formatBytesExact(row.byteTx)}>{formatBytes(row.byteTx)}</td>
      <td class="num" title={formatBytesExact(row.byteRx)}>{formatBytes(row.byteRx)}</td>
      <td class="appliance" title={row.appliance}>{row.appliance}</td>
    </tr>
  );
}

// A long IPv6 endpoint may wrap, but only after a colon, so no column is squeezed into ragged
// fragments; IPv4 endpoints never wrap.
function breakable(endpoint: string): ComponentChildren {
  if (endpoint.length <= 24 || !endpoint.includes(":")) return endpoint;
  const parts = endpoint.split(":");
  return parts.map((part, i) => i < parts.length - 1 ? [part, ":", <wbr key={i} />] : part);
}
