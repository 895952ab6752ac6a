import assert from "node:assert/strict";
import { attr, contents, countOf, elementById, openTags, textOf } from "../_test_helpers.ts";
import { renderFragment, renderPage } from "../render.ts";
import {
  emptyFilters,
  sampleChart,
  sampleFlowPageProps,
  sampleRow,
  sampleRows,
} from "../testdata/flows_sample.ts";
import type { FlowPageProps } from "../types.ts";
import { FlowResults, flowsHref, FlowsPage } from "./flows.tsx";

function page(overrides: Partial<FlowPageProps> = {}): string {
  return renderPage(FlowsPage(sampleFlowPageProps(overrides)));
}

function results(overrides: Partial<FlowPageProps> = {}): string {
  return renderFragment(FlowResults(sampleFlowPageProps(overrides)));
}

function form(html: string): string {
  return elementById(html, "flow-filters")!;
}

Deno.test("FlowsPage() is a whole document in the shared frame", () => {
  const html = page();
  assert.match(html, /^<!doctype html><html lang="en"><head>/);
  assert.match(html, /<title>Flow logs · Tapline<\/title>/);
  assert.match(html, /<link rel="stylesheet" href="\/static\/tapline.css"\/>/);
  assert.match(html, /<script src="\/static\/htmx.min.js" defer><\/script>/);
  assert.match(textOf(elementById(html, "main")!), /^Network monitoring Flow logs/);
});

Deno.test("FlowsPage() has a filter form that works without JavaScript", () => {
  const html = form(page());
  const tag = openTags(html, "form")[0]!;
  assert.equal(attr(tag, "method"), "get");
  assert.equal(attr(tag, "action"), "/flows");
  const names = [...openTags(html, "input"), ...openTags(html, "select")].map((t) =>
    attr(t, "name")
  );
  const columns = names.filter((n) => n === "cols");
  assert.deepEqual(names.filter((n) => n !== "cols"), [
    "q",
    "ip",
    "port",
    "from",
    "to",
    "protocol",
  ]);
  // The column chooser: one checkbox per column, the default set checked.
  assert.ok(columns.length > 30);
  const checked = openTags(html, "input").filter((t) =>
    attr(t, "name") === "cols" && /\schecked/.test(t)
  );
  assert.equal(checked.length, 11);
  for (const name of ["from", "to"]) {
    const input = openTags(html, "input").find((t) => attr(t, "name") === name)!;
    assert.equal(attr(input, "type"), "datetime-local");
  }
  assert.equal(countOf(html, /<button type="submit"/), 1);
  // Every control has a label, for keyboard and screen-reader use.
  const labelled = [...openTags(html, "input"), ...openTags(html, "select")].filter((t) =>
    attr(t, "name") !== "cols" // checkboxes sit inside their <label>
  );
  for (const control of labelled) {
    assert.match(html, new RegExp(`<label for="${attr(control, "id")}">`));
  }
});

Deno.test("FlowsPage() form echoes the filters as typed", () => {
  const filters = emptyFilters({ ip: "10.0.0.5", port: "443", from: "2026-11-25T17:00" });
  const html = form(page({ filters }));
  const value = (name: string) =>
    attr(openTags(html, "input").find((t) => attr(t, "name") === name)!, "value");
  assert.equal(value("ip"), "10.0.0.5");
  assert.equal(value("port"), "443");
  assert.equal(value("from"), "2026-11-25T17:00");
  assert.equal(value("to"), "");
});

Deno.test("FlowsPage() form is enhanced by htmx to swap only the results", () => {
  const tag = openTags(form(page()), "form")[0]!;
  assert.equal(attr(tag, "hx-get"), "/flows");
  assert.equal(attr(tag, "hx-target"), "#flow-results");
  assert.equal(attr(tag, "hx-swap"), "outerHTML");
  assert.equal(attr(tag, "hx-push-url"), "true");
  assert.match(
    attr(tag, "hx-trigger")!,
    /^submit, input changed delay:\d+ms, change from:\.column-chooser$/,
  );
  assert.ok(elementById(page(), "flow-results"));
});

Deno.test("FlowsPage() protocol select offers any, TCP, UDP, ICMP by number", () => {
  const select = elementById(page(), "flow-filter-protocol")!;
  const options = openTags(select, "option").map((t) => attr(t, "value"));
  assert.deepEqual(options, ["", "6", "17", "1", "58"]);
  assert.deepEqual(contents(select, "option").slice(0, 4), ["Any", "TCP", "UDP", "ICMP"]);
});

Deno.test("FlowsPage() protocol select keeps a name or another number from the URL", () => {
  const selected = (protocol: string) => {
    const select = elementById(
      page({ filters: emptyFilters({ protocol }) }),
      "flow-filter-protocol",
    )!;
    const option = openTags(select, "option").find((t) => attr(t, "selected") !== undefined);
    return option && attr(option, "value");
  };
  assert.equal(selected(""), "");
  assert.equal(selected("17"), "17");
  assert.equal(selected("tcp"), "6");
  assert.equal(selected("47"), "47");
  assert.equal(selected("bogus"), "bogus");
});

Deno.test("FlowsPage() renders validation errors next to their fields", () => {
  const html = page({
    filters: emptyFilters({ ip: "10.0.0.300", port: "99999" }),
    errors: { ip: "Not an IPv4 or IPv6 address", port: "Port must be 0–65535" },
  });
  const ipField = form(html).match(/<div class="field field-ip[^"]*">[\s\S]*?<\/div>/)![0];
  assert.match(ipField, /class="field field-ip has-error"/);
  const input = openTags(ipField, "input")[0]!;
  assert.equal(attr(input, "aria-invalid"), "true");
  assert.equal(attr(input, "aria-describedby"), "flow-filter-ip-error");
  const message = elementById(ipField, "flow-filter-ip-error")!;
  assert.equal(textOf(message), "Not an IPv4 or IPv6 address");
  assert.equal(attr(openTags(message, "p")[0]!, "hidden"), undefined);
  assert.equal(textOf(elementById(html, "flow-filter-port-error")!), "Port must be 0–65535");
  // Fields without an error are neither marked nor showing a message.
  const to = openTags(form(html), "input").find((t) => attr(t, "name") === "to")!;
  assert.equal(attr(to, "aria-invalid"), undefined);
  assert.equal(attr(openTags(elementById(html, "flow-filter-to-error")!, "p")[0]!, "hidden"), "");
  assert.match(textOf(elementById(html, "flow-results")!), /^Check the filters: IP address: Not/);
});

Deno.test("FlowResults() is only the swappable region", () => {
  const html = results();
  assert.match(html, /^<div id="flow-results" class="results">/);
  assert.ok(html.endsWith("</div>"));
  assert.equal(elementById(html, "flow-results"), html);
  for (const outside of ["<!doctype", "<html", "<head>", "<body", "<form", 'class="sidenav"']) {
    assert.ok(!html.includes(outside), `fragment contains ${outside}`);
  }
  assert.equal(countOf(html, /<tr data-flow-id=/), 50);
  assert.equal(countOf(html, 'class="chart-bar"'), sampleChart().length);
});

Deno.test("FlowResults() updates every field message out of band", () => {
  const html = results({ errors: { port: "Port must be 0–65535" } });
  for (const field of ["ip", "port", "protocol", "from", "to"]) {
    const message = openTags(elementById(html, `flow-filter-${field}-error`)!, "p")[0]!;
    assert.equal(attr(message, "hx-swap-oob"), "true", field);
    assert.equal(attr(message, "hidden"), field === "port" ? undefined : "", field);
  }
  // The full page holds each message once, in the form, and not as an out-of-band copy.
  const full = page({ errors: { port: "Port must be 0–65535" } });
  assert.equal(countOf(full, 'id="flow-filter-port-error"'), 1);
  assert.equal(countOf(full, "hx-swap-oob"), 0);
});

Deno.test("FlowResults() pagination links keep the filters", () => {
  const filters = emptyFilters({
    ip: "2001:db8::1",
    port: "443",
    protocol: "6",
    from: "2026-11-25T17:00",
    to: "2026-11-25T18:00",
    page: 2,
  });
  const html = results({ filters });
  const [prev, next] = ["page-prev", "page-next"].map((c) =>
    openTags(html, "a").find((t) => attr(t, "class")?.includes(c))!
  );
  const query = "ip=2001%3Adb8%3A%3A1&port=443&protocol=6&from=2026-11-25T17%3A00" +
    "&to=2026-11-25T18%3A00";
  assert.equal(attr(prev!, "href"), `/flows?${query}`);
  assert.equal(attr(next!, "href"), `/flows?${query}&page=3`);
  assert.equal(attr(next!, "hx-get"), `/flows?${query}&page=3`);
  assert.equal(attr(next!, "hx-target"), "#flow-results");
  const params = new URL(attr(next!, "href")!, "http://x").searchParams;
  assert.equal(params.get("ip"), "2001:db8::1");
  assert.equal(params.get("from"), "2026-11-25T17:00");
  assert.match(textOf(html), /Showing 51–100 of 1,234/);
});

Deno.test("FlowResults() disables Prev on the first page and Next on the last", () => {
  const first = results();
  assert.match(first, /<span class="btn btn-small page-prev is-disabled" aria-disabled="true">/);
  assert.match(first, /<a class="btn btn-small page-next" href="\/flows\?from=[^"]*&amp;page=2"/);
  const last = results({ filters: emptyFilters({ page: 25 }), rows: sampleRows(34) });
  assert.match(last, /<span class="btn btn-small page-next is-disabled" aria-disabled="true">/);
  assert.match(last, /<a class="btn btn-small page-prev" href="\/flows\?page=24"/);
  assert.match(textOf(last), /Showing 1,201–1,234 of 1,234/);
});

Deno.test("FlowResults() explains an empty result with the active filters", () => {
  const filters = emptyFilters({ ip: "10.9.9.9", protocol: "17", from: "2026-11-25T17:00" });
  const text = textOf(results({ filters, rows: [], total: 0, chart: [] }));
  assert.match(text, /No traffic in this time range/);
  assert.match(text, /No flows match these filters/);
  assert.match(text, /IP address 10\.9\.9\.9 Protocol UDP \(17\) From 2026-11-25 17:00 UTC/);
  assert.match(text, /Clear all filters/);
  assert.doesNotMatch(text, /Showing/);
  const none = textOf(results({ filters: emptyFilters(), rows: [], total: 0, chart: [] }));
  assert.match(none, /No flows recorded yet/);
});

Deno.test("FlowResults() offers the last page when the page is past the end", () => {
  const html = results({ filters: emptyFilters({ ip: "10.0.0.1", page: 99 }), rows: [] });
  assert.match(textOf(html), /Page 99 is past the end of the results/);
  assert.match(html, /href="\/flows\?ip=10.0.0.1&amp;page=25"/);
});

Deno.test("FlowsPage() escapes hostile text everywhere it appears", () => {
  const hostile = `"><script>alert(1)</script>`;
  const html = page({
    rows: [sampleRow({ appliance: hostile })],
    filters: emptyFilters({ ip: hostile, protocol: hostile }),
    errors: { ip: hostile },
  });
  assert.doesNotMatch(html, /<script>alert/);
  assert.equal(countOf(html, "<script"), 1);
  assert.match(html, /&lt;script>alert\(1\)&lt;\/script>/);
});

Deno.test("FlowsPage() refers to no external URL", () => {
  const html = page();
  assert.doesNotMatch(html, /(?:src|href|action|hx-get)="(?:[a-z]+:)?\/\//i);
  assert.doesNotMatch(html, /https?:/);
});

Deno.test("flowsHref() keeps only the filters that are set", () => {
  assert.equal(flowsHref("/flows", emptyFilters(), 1), "/flows");
  assert.equal(flowsHref("/flows", emptyFilters({ port: " 53 " }), 3), "/flows?port=53&page=3");
  assert.equal(
    flowsHref("/flows", emptyFilters({ ip: "a&b=c" }), 1),
    "/flows?ip=a%26b%3Dc",
  );
});

Deno.test("FlowResults() shows the chosen columns, in order, and links each row's details", () => {
  const rows = [sampleRow({ id: 9, time: 1_700_000_000_000, service1: "checkout" } as never)];
  const html = results({
    rows,
    total: 1,
    filters: emptyFilters({ cols: ["service_1", "client"] }),
  });
  const heads = openTags(html, "th").map((t) => attr(t, "data-col")).filter((c) => c);
  assert.deepEqual(heads, ["service_1", "client"]);
  assert.match(html, /<td>checkout<\/td>/);
  const link = openTags(html, "a").find((t) => attr(t, "class") === "detail-link")!;
  assert.equal(attr(link, "hx-get"), "/flows/detail?flow=npb-fra-01%3A1700000000000%3A9");
  assert.match(attr(link, "href")!, /^\/flows\?cols=service_1%2Cclient&flow=npb-fra-01%3A/);
});

Deno.test("FlowResults() export links carry the search but not the page or columns", () => {
  const filters = emptyFilters({ q: "service_1 = checkout", page: 3, cols: ["vlan"] });
  const hrefs = openTags(results({ filters }), "a").map((t) => attr(t, "href")!)
    .filter((h) => h.startsWith("/flows/export"));
  assert.deepEqual(hrefs, [
    "/flows/export?q=service_1+%3D+checkout&format=csv",
    "/flows/export?q=service_1+%3D+checkout&format=ndjson",
  ]);
  assert.match(results({ exportCap: 100 }), /Export \(first 100\)/);
});

Deno.test("FlowsPage() opens the detail panel for ?flow= with every field and the tags", () => {
  const detail = sampleRow(
    { id: 3, time: 5, synSeq: 123, host1: "web-1", labels1: { env: "prod" } } as never,
  );
  const panel = elementById(page({ detail }), "flow-detail")!;
  assert.match(openTags(panel, "aside")[0]!, /class="detail-panel is-open"/);
  assert.match(textOf(panel), /Host — web-1/);
  assert.match(textOf(panel), /Labels — env=prod/);
  assert.match(panel, /<dt>syn_seq<\/dt><dd class="mono">123<\/dd>/);
  assert.equal(
    elementById(page(), "flow-detail"),
    '<aside id="flow-detail" class="detail-panel" aria-label="Flow details"></aside>',
  );
});
