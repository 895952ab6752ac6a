/**
 * Renders the flow-log page with sample data to one self-contained HTML file (the stylesheet
 * inlined, no script), to look at the design without a running manager.
 *
 * ```sh
 * deno run -R -W ui/preview.tsx /tmp/page.html [sample|empty|last|errors]
 * chromium --headless --screenshot=/tmp/ui.png --window-size=1280,900 file:///tmp/page.html
 * ```
 *
 * @module
 */
import { readStatic } from "./assets.ts";
import { FlowsPage } from "./pages/flows.tsx";
import { renderPage } from "./render.ts";
import { emptyFilters, sampleFlowPageProps, sampleRows } from "./testdata/flows_sample.ts";
import type { FlowPageProps } from "./types.ts";

const VARIANTS: Record<string, () => FlowPageProps> = {
  sample: () => sampleFlowPageProps(),
  empty: () =>
    sampleFlowPageProps({
      filters: emptyFilters({ ip: "10.9.9.9", protocol: "17", from: "2026-11-25T17:00" }),
      rows: [],
      total: 0,
      chart: [],
    }),
  last: () =>
    sampleFlowPageProps({
      filters: emptyFilters({ protocol: "6", page: 2 }),
      rows: sampleRows(8, 3),
      total: 58,
    }),
  errors: () =>
    sampleFlowPageProps({
      filters: emptyFilters({ ip: "10.0.0.300", port: "99999" }),
      errors: { ip: "Not an IPv4 or IPv6 address", port: "Port must be 0–65535" },
    }),
};

if (import.meta.main) {
  const [out = "/tmp/page.html", variant = "sample"] = Deno.args;
  const make = VARIANTS[variant];
  if (make === undefined) {
    console.error(`Unknown variant ${variant}; use one of ${Object.keys(VARIANTS).join(", ")}`);
    Deno.exit(2);
  }
  const css = await readStatic("tapline.css");
  const style = `<style>${new TextDecoder().decode(css?.body)}</style>`;
  const html = renderPage(FlowsPage(make()))
    .replace(/<link rel="stylesheet"[^>]*>/, style)
    .replace(/<script [^>]*><\/script>/, "");
  await Deno.writeTextFile(out, html);
  console.log(`wrote ${out} (${variant})`);
}
