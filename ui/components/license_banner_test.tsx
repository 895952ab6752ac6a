import assert from "node:assert/strict";
import { attr, elementById, openTags, textOf } from "../_test_helpers.ts";
import type { LicenseNoticeView } from "../frame.tsx";
import { Layout } from "../layout.tsx";
import { renderPage } from "../render.ts";
import { LicenseBanner, noticeText } from "./license_banner.tsx";

const END = Date.parse("2026-12-25T00:00:00Z");

Deno.test("noticeText() says what happens, to which modules and when", () => {
  const n = (over: Partial<LicenseNoticeView>): string =>
    noticeText({
      kind: "expires_in_30d",
      severity: "warning",
      modules: ["Network monitoring"],
      ...over,
    });
  assert.equal(
    n({ at: END, daysLeft: 12 }),
    "License expires in 12 days (2026-12-25 UTC) for Network monitoring. Install a renewed license.",
  );
  assert.match(n({ kind: "expires_in_1d", at: END, daysLeft: 1 }), /^License expires within a day/);
  assert.match(
    n({ kind: "grace", at: END, graceEndsAt: END + 7 * 86_400_000, modules: ["A", "B"] }),
    /expired on 2026-12-25 for A, B: they stay enabled during the grace period until 2027-01-01/,
  );
  assert.match(n({ kind: "disabled", at: END }), /turned off on 2026-12-25\. The data is kept/);
  assert.match(n({ modules: ["A", "B", "C", "D"], daysLeft: 3 }), /for 4 modules\./);
  assert.match(n({ kind: "no_license" }), /^No license is installed/);
});

Deno.test("LicenseBanner() renders one alert per notice, critical ones as role=alert", () => {
  const html = renderPage(
    <LicenseBanner
      licensesPath="/admin/licenses"
      notices={[
        { kind: "expires_in_7d", severity: "warning", modules: ["Logs"], at: END, daysLeft: 5 },
        { kind: "grace", severity: "critical", modules: ["Metrics"], at: END, graceEndsAt: END },
      ]}
    />,
  );
  const banners = openTags(html, "div").filter((t) =>
    attr(t, "class")?.startsWith("license-banner ")
  );
  assert.deepEqual(banners.map((b) => attr(b, "role")), ["status", "alert"]);
  assert.deepEqual(openTags(html, "a").map((a) => attr(a, "href")), [
    "/admin/licenses",
    "/admin/licenses",
  ]);
  assert.equal(renderPage(<LicenseBanner notices={[]} />), "<!doctype html>");
});

Deno.test("Layout() locks the sections of unlicensed modules and says what unlocks them", () => {
  const html = renderPage(<Layout title="T" active="flows">x</Layout>, {
    lockedModules: ["network_monitoring", "call_monitoring"],
    licenseNotices: [{ kind: "no_license", severity: "warning", modules: [] }],
    licensesPath: "/admin/licenses",
  });
  const sections = openTags(html, "section").filter((t) => attr(t, "data-module"));
  const locked = sections.filter((t) => attr(t, "class") === "nav-section is-locked");
  assert.deepEqual(locked.map((t) => attr(t, "data-module")), [
    "network_monitoring",
    "call_monitoring",
  ]);
  // The live Flow logs page is no longer a link; administration stays reachable.
  assert.equal(openTags(html, "a").some((t) => attr(t, "href") === "/flows"), false);
  const flows = openTags(html, "span").find((t) => attr(t, "class") === "nav-item is-locked");
  assert.equal(attr(flows!, "title"), "Needs a Network monitoring license (network_monitoring)");
  assert.equal(attr(flows!, "aria-disabled"), "true");
  assert.ok(openTags(html, "a").some((t) => attr(t, "href") === "/admin/licenses"));
  assert.match(textOf(elementById(html, "main")!), /^No license is installed.*Manage licenses x$/);
});

Deno.test("Layout() without a frame locks nothing and shows no banner", () => {
  const html = renderPage(<Layout title="T">x</Layout>);
  assert.equal(html.includes("is-locked"), false);
  assert.equal(html.includes("license-banner"), false);
});
