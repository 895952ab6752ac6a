import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { attr, contents, countOf, openTags, textOf } from "../_test_helpers.ts";
import { sampleRow } from "../testdata/flows_sample.ts";
import type { FlowRow } from "../types.ts";
import { FlowTable } from "./flow_table.tsx";

function cells(row: FlowRow): string[] {
  const html = renderToString(<FlowTable rows={[row]} />);
  const body = html.slice(html.indexOf("<tbody>"));
  return contents(body, "td").map(textOf);
}

function tds(row: FlowRow): string[] {
  const html = renderToString(<FlowTable rows={[row]} />);
  return openTags(html.slice(html.indexOf("<tbody>")), "td");
}

Deno.test("FlowTable() renders one row per flow, keyed by flow id", () => {
  const rows = [sampleRow({ flowId: 7 }), sampleRow({ flowId: 8 })];
  const html = renderToString(<FlowTable rows={rows} />);
  assert.equal(countOf(html, /<tr data-flow-id="\d+"/), 2);
  assert.match(html, /<tr data-flow-id="7">/);
  assert.match(html, /<tr data-flow-id="8">/);
});

Deno.test("FlowTable() formats a TCP/IPv4 row", () => {
  assert.deepEqual(cells(sampleRow()), [
    "2026-11-25 17:03:12.345",
    "47.7 s",
    "192.168.10.21:51234",
    "10.20.1.15:443",
    "TCP",
    "120",
    "1,834",
    "2,410",
    "123 KB",
    "3.5 MB",
    "npb-fra-01",
  ]);
});

Deno.test("FlowTable() puts exact values and the end time in titles", () => {
  const [, duration, , , protocol, , , , bytesTx, bytesRx] = tds(sampleRow());
  assert.equal(attr(duration!, "title"), "Ends 2026-11-25 17:04:00.000 UTC");
  assert.equal(attr(protocol!, "title"), "IP protocol 6");
  assert.equal(attr(bytesTx!, "title"), "123,456 bytes");
  assert.equal(attr(bytesRx!, "title"), "3,456,789 bytes");
});

Deno.test("FlowTable() brackets IPv6 endpoints", () => {
  const row = sampleRow({
    ipVersion: 6,
    ip0: "2001:db8:10::1f",
    ip1: "2001:db8:40:0:0:0:0:25",
    protocol: 17,
    clientPort: 40000,
    serverPort: 53,
  });
  const [, , client, server, protocol] = cells(row);
  assert.equal(client, "[2001:db8:10::1f]:40000");
  assert.equal(server, "[2001:db8:40:0:0:0:0:25]:53");
  assert.equal(protocol, "UDP");
  assert.equal(attr(tds(row)[3]!, "title"), "[2001:db8:40:0:0:0:0:25]:53");
});

Deno.test("FlowTable() shows no ports for ICMP and names ICMPv6", () => {
  const icmp = cells(sampleRow({ protocol: 1, clientPort: 0, serverPort: 0 }));
  assert.deepEqual([icmp[2], icmp[3], icmp[4]], ["192.168.10.21", "10.20.1.15", "ICMP"]);
  const v6 = cells(sampleRow({ protocol: 58, ip0: "fe80::1", ip1: "fe80::2" }));
  assert.deepEqual([v6[2], v6[3], v6[4]], ["fe80::1", "fe80::2", "ICMPv6"]);
});

Deno.test("FlowTable() shows other protocols by number and untagged VLANs as a dash", () => {
  const row = cells(sampleRow({ protocol: 47, vlan: 0 }));
  assert.equal(row[4], "47");
  assert.equal(row[5], "—");
});

Deno.test("FlowTable() escapes a hostile appliance name", () => {
  const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`;
  const html = renderToString(<FlowTable rows={[sampleRow({ appliance: hostile })]} />);
  assert.doesNotMatch(html, /<script|<img/);
  assert.match(html, /&lt;script>alert\(&quot;x&quot;\)&lt;\/script>|&lt;script&gt;/);
  assert.equal(cells(sampleRow({ appliance: hostile }))[10], hostile);
  assert.equal(attr(tds(sampleRow({ appliance: hostile }))[10]!, "title"), hostile);
});
