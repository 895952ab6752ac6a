import assert from "node:assert/strict";
import { attr, elementById, openTags } from "../_test_helpers.ts";
import { renderFragment, renderPage } from "../render.ts";
import {
  type AuditEntryRow,
  auditHref,
  AuditPage,
  type AuditPageProps,
  AuditResults,
} from "./audit.tsx";

function entry(over: Partial<AuditEntryRow> = {}): AuditEntryRow {
  return {
    id: 7,
    time: Date.UTC(2026, 10, 25, 12, 0, 5),
    actorKind: "user",
    actorName: "alice",
    action: "user.role",
    targetType: "user",
    targetId: "3",
    before: `{\n  "role": "viewer"\n}`,
    after: `{\n  "role": "operator"\n}`,
    ip: "192.0.2.7",
    ...over,
  };
}

function props(over: Partial<AuditPageProps> = {}): AuditPageProps {
  return {
    rows: [entry()],
    total: 1,
    pageSize: 50,
    filters: { actor: "", action: "", from: "", to: "", page: 1 },
    actions: ["user.create", "user.role"],
    errors: {},
    basePath: "/admin/audit",
    ...over,
  };
}

Deno.test("auditHref() keeps only the filters that are set, and the page after the first", () => {
  const f = { actor: " alice ", action: "user.*", from: "", to: "2026-11-25T10:00", page: 1 };
  assert.equal(
    auditHref("/admin/audit", f, 3),
    "/admin/audit?actor=alice&action=user.*&to=2026-11-25T10%3A00&page=3",
  );
  assert.equal(
    auditHref("/admin/audit", { ...f, actor: "", action: "", to: "" }, 1),
    "/admin/audit",
  );
});

Deno.test("AuditPage() shows who, when, what, from where, and the change before and after", () => {
  const html = renderPage(AuditPage(props()));
  const row = elementById(html, "audit-results")!;
  assert.match(
    row,
    /<time datetime="2026-11-25T12:00:05.000Z" class="nowrap">2026-11-25 12:00:05 UTC/,
  );
  assert.match(row, /alice/);
  assert.match(row, /user\.role/);
  assert.match(row, /192\.0\.2\.7/);
  assert.match(row, /<pre>\{\n {2}&quot;role&quot;: &quot;viewer&quot;\n\}<\/pre>/);
  const form = openTags(html, "form").find((t) => attr(t, "id") === "audit-filters")!;
  assert.equal(attr(form, "method"), "get", "filters are bookmarkable GETs");
  assert.equal(attr(form, "hx-target"), "#audit-results");
});

Deno.test("AuditPage() keeps an unknown action selected and names bad filters", () => {
  const html = renderPage(AuditPage(props({
    rows: [],
    total: 0,
    filters: { actor: "", action: "policy.update", from: "x", to: "", page: 1 },
    errors: { from: "expected a UTC date and time like 2026-11-25T17:00" },
  })));
  assert.match(html, /<option value="policy.update" selected>/);
  assert.match(html, /From \(UTC\)/);
  assert.match(html, /from: expected a UTC date and time/);
  assert.match(html, /No audit entries match/);
});

Deno.test("AuditResults() is only the results region, hostile strings escaped", () => {
  const html = renderFragment(AuditResults(props({
    rows: [entry({ actorName: "<script>x()</script>", targetId: "<img src=x>" })],
  })));
  assert.ok(html.startsWith(`<div id="audit-results"`));
  assert.ok(!html.includes("<script>x()"));
  assert.ok(!html.includes("<img src=x>"));
});
