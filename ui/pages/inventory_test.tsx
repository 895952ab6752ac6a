import assert from "node:assert/strict";
import { attr, elementById, openTags, textOf } from "../_test_helpers.ts";
import { renderFragment, renderPage } from "../render.ts";
import { InventoryPage, type InventoryPageProps, RetagStatus } from "./inventory.tsx";

function props(over: Partial<InventoryPageProps> = {}): InventoryPageProps {
  return {
    basePath: "/admin/inventory",
    kind: "subnets",
    kindLabel: "Subnets",
    kinds: [{ key: "regions", label: "Regions and sites", count: 1 }, {
      key: "subnets",
      label: "Subnets",
      count: 1,
    }],
    fields: [
      { key: "name", label: "Name", required: true },
      { key: "cidr", label: "CIDR", required: true, hint: "e.g. 10.1.0.0/16" },
      { key: "region", label: "Region", required: false, options: ["eu-west"] },
    ],
    items: [{ id: 4, cells: { name: "app", cidr: "10.1.0.0/16", region: "" } }],
    form: {},
    errors: {},
    canWrite: true,
    tagged: { subnets: 1, hosts: 0, services: 0, pods: 0 },
    ...over,
  };
}

Deno.test("InventoryPage() lists items with edit and delete for admins only", () => {
  const html = renderPage(InventoryPage(props()));
  assert.match(textOf(elementById(html, "inventory-table")!), /app 10\.1\.0\.0\/16 — Edit Delete/);
  assert.ok(elementById(html, "item-form"));
  assert.ok(elementById(html, "import-form"));
  const viewer = renderPage(InventoryPage(props({ canWrite: false })));
  assert.equal(elementById(viewer, "item-form"), undefined);
  assert.equal(elementById(viewer, "import-form"), undefined);
  assert.doesNotMatch(viewer, /Delete/);
});

Deno.test("InventoryPage() shows field errors in place and import problems by line", () => {
  const html = renderPage(InventoryPage(props({
    form: { name: "x", cidr: "10.1.2.3/16" },
    errors: { cidr: "has host bits set" },
    importProblems: ["line 3, cidr: prefix length must be 0–32"],
  })));
  const cidr = openTags(html, "input").find((t) => attr(t, "name") === "cidr")!;
  assert.equal(attr(cidr, "aria-invalid"), "true");
  assert.equal(attr(cidr, "value"), "10.1.2.3/16");
  assert.equal(textOf(elementById(html, "item-cidr-error")!), "has host bits set");
  assert.match(textOf(elementById(html, "import-problems")!), /Nothing was imported: line 3, cidr/);
});

Deno.test("RetagStatus() polls while running and stops when done", () => {
  const running = renderFragment(RetagStatus({
    basePath: "/admin/inventory",
    retag: { state: "running", hours: 2, slicesDone: 3, slicesTotal: 12, rowsUpdated: 40 },
  }));
  const tag = openTags(running, "div")[0]!;
  assert.equal(attr(tag, "hx-get"), "/admin/inventory/retag");
  assert.equal(attr(tag, "hx-trigger"), "every 1s");
  assert.match(running, /value="25"/);
  const done = renderFragment(RetagStatus({
    basePath: "/admin/inventory",
    retag: { state: "done", hours: 2, slicesDone: 12, slicesTotal: 12, rowsUpdated: 90 },
  }));
  assert.equal(attr(openTags(done, "div")[0]!, "hx-get"), undefined);
  assert.match(textOf(done), /Re-tagged the last 2 h: 12 of 12 slices, 90 rows updated\.$/);
  const withRequests = renderFragment(RetagStatus({
    basePath: "/admin/inventory",
    retag: {
      state: "done",
      hours: 2,
      slicesDone: 12,
      slicesTotal: 12,
      rowsUpdated: 90,
      requestRowsUpdated: 7,
    },
  }));
  assert.match(textOf(withRequests), /90 rows updated \(and 7 request-log rows\)\./);
});
