import assert from "node:assert/strict";
import { attr, elementById, openTags, textOf } from "../_test_helpers.ts";
import { renderPage } from "../render.ts";
import {
  formatBitRate,
  LicenseDetailPage,
  type LicenseModuleView,
  LicensesPage,
  type LicensesPageProps,
  type LicenseView,
} from "./licenses.tsx";
import { ModuleLockedPage } from "./module_locked.tsx";

const END = Date.parse("2026-12-25T00:00:00Z");

function license(over: Partial<LicenseView> = {}): LicenseView {
  return {
    id: "ACME-1",
    customer: "ACME",
    modules: ["network_monitoring"],
    issuedAt: "2026-11-25T00:00:00.000Z",
    notBefore: "2026-11-25T00:00:00.000Z",
    notAfter: "2026-12-25T00:00:00.000Z",
    graceDays: 7,
    appliances: 3,
    keyId: "bdacfa99f8d39fd0",
    status: "active",
    daysLeft: 30,
    installedAt: END - 30 * 86_400_000,
    ...over,
  };
}

function props(over: Partial<LicensesPageProps> = {}): LicensesPageProps {
  const modules: LicenseModuleView[] = [
    {
      key: "network_monitoring",
      label: "Network monitoring",
      status: "active",
      licenseIds: ["ACME-1"],
      expiresAt: END,
      daysLeft: 30,
    },
    {
      key: "call_monitoring",
      label: "Call monitoring",
      status: "grace",
      licenseIds: ["OLD-1"],
      expiresAt: END,
      graceEndsAt: END,
    },
    { key: "db_monitoring", label: "DB monitoring", status: "unlicensed", licenseIds: [] },
  ];
  return {
    modules,
    licenses: [license()],
    usage: { appliances: 4, applianceLimit: 3 },
    trustedKeys: [{ id: "bdacfa99f8d39fd0", development: true }],
    basePath: "/admin/licenses",
    ...over,
  };
}

Deno.test("LicensesPage() shows per module the status, the license and the days left", () => {
  const html = renderPage(LicensesPage(props()));
  const rows = openTags(html, "tr").filter((t) => attr(t, "data-module"));
  assert.deepEqual(rows.map((r) => [attr(r, "data-module"), attr(r, "data-status")]), [
    ["network_monitoring", "active"],
    ["call_monitoring", "grace"],
    ["db_monitoring", "unlicensed"],
  ]);
  const text = textOf(html);
  assert.match(
    text,
    /Network monitoring network_monitoring Licensed ACME-1 30 days left \(until 2026-12-25\)/,
  );
  assert.match(
    text,
    /Call monitoring call_monitoring Grace period OLD-1 expired 2026-12-25; turns off 2026-12-25/,
  );
  assert.match(text, /DB monitoring db_monitoring Not licensed — —/);
  assert.ok(openTags(html, "a").some((t) => attr(t, "href") === "/admin/licenses/ACME-1"));
});

Deno.test("LicensesPage() shows usage against limits and flags going over", () => {
  const html = renderPage(
    LicensesPage(
      props({ usage: { appliances: 4, applianceLimit: 3, captureBandwidthBps: 2_500_000_000 } }),
    ),
  );
  const usage = openTags(html, "div").find((t) => attr(t, "data-usage") === "appliances")!;
  assert.equal(attr(usage, "class"), "usage-item is-over");
  assert.match(textOf(html), /Appliances 4 of 3 over the licensed number/);
  assert.match(textOf(html), /Capture bandwidth 2\.5 Gbit\/s licensed/);
});

Deno.test("LicensesPage() warns about the development key and shows an upload error by the field", () => {
  const html = renderPage(
    LicensesPage(props({ uploadError: "license X: the signature does not match" })),
  );
  assert.match(textOf(html), /trusts the development license key \(bdacfa99f8d39fd0\)/);
  const input = openTags(html, "input").find((t) => attr(t, "type") === "file")!;
  assert.equal(attr(input, "aria-invalid"), "true");
  assert.equal(attr(input, "aria-describedby"), "license-error");
  assert.equal(
    textOf(elementById(html, "license-error")!),
    "license X: the signature does not match",
  );
  const form = openTags(html, "form").find((t) => attr(t, "class") === "license-upload")!;
  assert.equal(attr(form, "enctype"), "multipart/form-data");
  assert.equal(attr(form, "method"), "post");
  const production = renderPage(
    LicensesPage(props({ trustedKeys: [{ id: "0123456789abcdef", development: false }] })),
  );
  assert.doesNotMatch(production, /development/);
});

Deno.test("LicensesPage() and LicenseDetailPage() escape what a license file says", () => {
  const hostile = license({ customer: '<script>alert(1)</script>"', id: "X-1" });
  const list = renderPage(LicensesPage(props({ licenses: [hostile] })));
  const detail = renderPage(
    LicenseDetailPage({
      license: hostile,
      document: "</pre><script>x</script>",
      basePath: "/admin/licenses",
    }),
  );
  for (const html of [list, detail]) {
    assert.equal(html.includes("<script>"), false);
    assert.ok(html.includes("&lt;script>alert(1)&lt;/script>") || html.includes("&lt;script&gt;"));
  }
  assert.ok(
    openTags(detail, "form").some((t) => attr(t, "action") === "/admin/licenses/X-1/remove"),
  );
});

Deno.test("ModuleLockedPage() names the module and links to the license page", () => {
  const html = renderPage(ModuleLockedPage({
    moduleKey: "network_monitoring",
    moduleLabel: "Network monitoring",
    path: "/flows",
    detail: "expired; the module turned off on 2026-12-25",
    licensesPath: "/admin/licenses",
  }));
  const text = textOf(elementById(html, "main")!);
  assert.match(text, /module network_monitoring is not licensed/);
  assert.match(text, /Its license expired; the module turned off on 2026-12-25\. Its data is kept/);
  assert.ok(
    openTags(html, "a").some((t) => attr(t, "href") === "/admin/licenses" && !attr(t, "class")),
  );
});

Deno.test("formatBitRate() scales by 1000", () => {
  assert.equal(formatBitRate(999), "999 bit/s");
  assert.equal(formatBitRate(10_000_000_000), "10 Gbit/s");
  assert.equal(formatBitRate(1_500_000), "1.5 Mbit/s");
});
