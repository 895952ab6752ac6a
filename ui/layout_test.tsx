import assert from "node:assert/strict";
import { attr, elementById, openTags, textOf } from "./_test_helpers.ts";
import { Layout } from "./layout.tsx";
import { NAV } from "./nav.ts";
import { renderPage } from "./render.ts";

function render(active?: string): string {
  return renderPage(<Layout title="Test" active={active}>body text</Layout>);
}

Deno.test("Layout() frames a page with the product name, navigation and main area", () => {
  const html = render("flows");
  assert.match(html, /<span class="brand-name">Tapline<\/span>/);
  assert.equal(textOf(elementById(html, "main")!), "body text");
  assert.match(html, /<nav class="sidenav" aria-label="Modules">/);
});

Deno.test("Layout() lists the modules in DESIGN §9 order", () => {
  const titles = [...render().matchAll(/<h2 class="nav-section-title">([^<]*)</g)].map((m) => m[1]);
  assert.deepEqual(titles, [
    "Traffic distribution",
    "Network monitoring",
    "Call monitoring",
    "DB monitoring",
    "Function monitoring",
    "App monitoring",
    "Metrics",
    "Logs",
    "Administration",
  ]);
  const network = NAV.find((s) => s.module === "network_monitoring")!;
  assert.deepEqual(network.entries.map((e) => e.label), [
    "Resource analysis",
    "Path analysis",
    "Topology",
    "Flow logs",
    "NAT tracing",
    "PCAP policies",
    "PCAP analysis",
  ]);
});

Deno.test("Layout() links live pages and marks the current one", () => {
  const html = render("flows");
  const links = openTags(html, "a").filter((t) => attr(t, "class")?.includes("nav-item"));
  const live = NAV.flatMap((s) => s.entries).filter((e) => e.path !== undefined);
  assert.deepEqual(links.map((l) => attr(l, "href")), live.map((e) => e.path));
  const current = links.filter((l) => attr(l, "aria-current") === "page");
  assert.deepEqual(current.map((l) => attr(l, "href")), ["/flows"]);
  assert.equal(
    attr(openTags(render(), "a").find((t) => attr(t, "href") === "/flows")!, "aria-current"),
    undefined,
  );
});

Deno.test("Layout() shows pages that do not exist yet as disabled, not as links", () => {
  const html = render("flows");
  const coming = openTags(html, "span").filter((t) => attr(t, "class") === "nav-item is-coming");
  const entries = NAV.flatMap((s) => s.entries).filter((e) => e.path === undefined);
  assert.equal(coming.length, entries.length);
  for (const tag of coming) assert.equal(attr(tag, "aria-disabled"), "true");
});

Deno.test("Layout() loads only local assets and keeps htmx from injecting styles", () => {
  const html = render();
  const head = html.slice(0, html.indexOf("</head>"));
  assert.deepEqual(openTags(head, "script").map((t) => attr(t, "src")), ["/static/htmx.min.js"]);
  const links = openTags(head, "link").map((t) => [attr(t, "rel"), attr(t, "href")]);
  assert.deepEqual(links, [["icon", "data:,"], ["stylesheet", "/static/tapline.css"]]);
  const config = JSON.parse(
    attr(openTags(head, "meta").find((t) => attr(t, "name") === "htmx-config")!, "content")!,
  );
  assert.equal(config.includeIndicatorStyles, false);
  assert.doesNotMatch(html, /https?:|\son[a-z]+=/i);
});
