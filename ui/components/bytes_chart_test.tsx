import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { attr, countOf, openTags, textOf } from "../_test_helpers.ts";
import { SAMPLE_HOUR_MS, sampleChart } from "../testdata/flows_sample.ts";
import type { ChartPoint } from "../types.ts";
import { bucketLabel, byteScale, BytesChart, labelStepMinutes } from "./bytes_chart.tsx";

function render(points: ChartPoint[]): string {
  return renderToString(<BytesChart points={points} />);
}

function labels(html: string, axis: "x" | "y"): string[] {
  return [...html.matchAll(new RegExp(`chart-label-${axis}"[^>]*>([^<]*)<`, "g"))].map((m) =>
    m[1]!
  );
}

const minute = (m: number) => SAMPLE_HOUR_MS + m * 60_000;

Deno.test("BytesChart() draws one bar per point, each with a tooltip", () => {
  const points = sampleChart();
  const html = render(points);
  assert.equal(countOf(html, 'class="chart-bar"'), points.length);
  assert.equal(countOf(html, "<title>"), points.length);
  assert.match(html, /<title>17:00 UTC: [\d.]+ MB \([\d,]+ bytes\)<\/title>/);
});

Deno.test("BytesChart() is a scalable image with an accessible summary", () => {
  const html = render(sampleChart());
  const svg = openTags(html, "svg")[0]!;
  assert.equal(attr(svg, "role"), "img");
  assert.equal(attr(svg, "viewBox"), "0 0 1000 200");
  assert.equal(attr(svg, "width"), "100%");
  assert.match(attr(svg, "aria-label")!, /^Bytes per minute, 17:00 to 18:00 UTC, 57 minutes/);
});

Deno.test("BytesChart() labels the axes in UTC time and byte units", () => {
  const html = render(sampleChart());
  assert.deepEqual(labels(html, "x"), ["17:00", "17:10", "17:20", "17:30", "17:40", "17:50"]);
  assert.deepEqual(labels(html, "y"), ["0 B", "500 MB", "1 GB", "1.5 GB"]);
});

Deno.test("BytesChart() leaves minutes without a point empty on the time axis", () => {
  const html = render([{ minute: minute(0), bytes: 10 }, { minute: minute(9), bytes: 10 }]);
  const bars = openTags(html, "rect").filter((t) => attr(t, "class") === "chart-bar-fill");
  assert.equal(bars.length, 2);
  const [a, b] = bars.map((t) => Number(attr(t, "x")));
  // Ten one-minute slots over the 912-unit plot: the second bar sits nine slots to the right.
  assert.ok(Math.abs(b! - a! - 9 * 91.2) < 0.05, `${a} ${b}`);
});

Deno.test("BytesChart() draws a single point as one bounded bar", () => {
  const html = render([{ minute: minute(3), bytes: 1234 }]);
  const fills = openTags(html, "rect").filter((t) => attr(t, "class") === "chart-bar-fill");
  assert.equal(fills.length, 1);
  assert.ok(Number(attr(fills[0]!, "width")) <= 40);
  assert.ok(Number(attr(fills[0]!, "height")) > 0);
  assert.deepEqual(labels(html, "x"), ["17:03"]);
  assert.equal(labels(html, "y")[0], "0 B");
});

Deno.test("BytesChart() keeps huge values finite and labelled", () => {
  for (const bytes of [9e18, 2 ** 63, Number.MAX_VALUE]) {
    const html = render([{ minute: minute(0), bytes }, { minute: minute(1), bytes: bytes / 2 }]);
    assert.doesNotMatch(html, /NaN|Infinity/, String(bytes));
    assert.equal(countOf(html, 'class="chart-bar"'), 2);
  }
  assert.deepEqual(labels(render([{ minute: minute(0), bytes: 9e18 }]), "y"), [
    "0 B",
    "2.5 EB",
    "5 EB",
    "7.5 EB",
    "10 EB",
  ]);
});

Deno.test("BytesChart() treats zero, negative and non-finite bytes as no traffic", () => {
  const html = render([
    { minute: minute(0), bytes: 0 },
    { minute: minute(1), bytes: -5 },
    { minute: minute(2), bytes: Number.NaN },
  ]);
  assert.doesNotMatch(html, /NaN|Infinity/);
  assert.equal(countOf(html, 'height="0"'), 3);
});

Deno.test("BytesChart() shows the date on labels when the range crosses midnight", () => {
  const midnight = Date.UTC(2026, 10, 26);
  const points = Array.from({ length: 30 }, (_, i) => ({
    minute: midnight + (i - 15) * 60_000,
    bytes: 1000,
  }));
  assert.deepEqual(labels(render(points), "x"), [
    "11-25 23:45",
    "11-25 23:50",
    "11-25 23:55",
    "11-26 00:00",
    "11-26 00:05",
    "11-26 00:10",
  ]);
});

Deno.test("BytesChart() renders an empty state without points", () => {
  const html = render([]);
  assert.doesNotMatch(html, /<svg/);
  assert.equal(textOf(html), "No traffic in this time range");
});

Deno.test("byteScale() rounds the axis up to a 1-2-2.5-5 step", () => {
  assert.deepEqual(byteScale(0), { top: 1, step: 1 });
  assert.deepEqual(byteScale(1_140_000_000), { top: 1_500_000_000, step: 500_000_000 });
  assert.deepEqual(byteScale(730), { top: 800, step: 200 });
  assert.deepEqual(byteScale(900), { top: 1000, step: 250 });
  const huge = byteScale(Number.MAX_VALUE);
  assert.ok(Number.isFinite(huge.top) && huge.top >= Number.MAX_VALUE * 0.999);
});

Deno.test("labelStepMinutes() keeps at most eight labels", () => {
  assert.equal(labelStepMinutes(1), 1);
  assert.equal(labelStepMinutes(8), 1);
  assert.equal(labelStepMinutes(60), 10);
  assert.equal(labelStepMinutes(1440), 180);
  assert.equal(labelStepMinutes(7 * 1440), 1440);
});

Deno.test("BytesChart() spaces wider buckets by their width and says so", () => {
  const t0 = Date.UTC(2026, 10, 25, 0, 0);
  const html = renderToString(
    <BytesChart
      bucketMinutes={15}
      points={[{ minute: t0, bytes: 1000 }, { minute: t0 + 45 * 60_000, bytes: 2000 }]}
    />,
  );
  assert.match(html, /Bytes per 15 minutes/);
  const xs = [...html.matchAll(/class="chart-bar-hit" x="([\d.]+)"[^>]*width="([\d.]+)"/g)]
    .map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(xs.length, 2);
  // 45 minutes apart at 15 per slot: the second bar sits three slots after the first.
  assert.ok(Math.abs(xs[1]![0]! - xs[0]![0]! - 3 * xs[0]![1]!) < 0.05, JSON.stringify(xs));
});

Deno.test("bucketLabel() names bucket widths", () => {
  assert.equal(bucketLabel(1), "minute");
  assert.equal(bucketLabel(15), "15 minutes");
  assert.equal(bucketLabel(60), "hour");
  assert.equal(bucketLabel(360), "6 hours");
  assert.equal(bucketLabel(1440), "day");
});
