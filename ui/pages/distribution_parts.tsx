// Pieces shared by the traffic distribution pages: counter charts and totals, and field errors
// looked up by the API's field names (`slice.bytes`, `masks[2].offset`, …).
import type { VNode } from "preact";
import { LineChart, type LineSeries, seriesColour } from "../components/line_chart.tsx";
import { formatCount } from "../format.ts";
import { CsrfField } from "../frame.tsx";

/** Counts of one policy or point (sums over the chart's range, or one minute). */
export interface CountsView {
  packets: number;
  bytes: number;
  matched: number;
  dropFilter: number;
  dropDirection: number;
  dropDedup: number;
  dropRateLimit: number;
  dropFuse: number;
  dropSendError: number;
  truncated: number;
}

export interface CountersView {
  fromMs: number;
  toMs: number;
  minutes: ({ t: number } & CountsView)[];
  totals: CountsView;
}

/** The message of the first error whose key is `key` or starts with `key.` / `key[`. */
export function errorFor(errors: Record<string, string>, ...keys: string[]): string | undefined {
  for (const [k, v] of Object.entries(errors)) {
    for (const key of keys) {
      if (k === key || k.startsWith(`${key}.`) || k.startsWith(`${key}[`)) {
        return k === key ? v : `${k}: ${v}`;
      }
    }
  }
  return undefined;
}

const LABELS: Record<keyof CountsView, string> = {
  packets: "Packets sent",
  bytes: "Bytes sent",
  matched: "Matched",
  dropFilter: "Dropped: filter",
  dropDirection: "Dropped: direction",
  dropDedup: "Dropped: dedup",
  dropRateLimit: "Dropped: rate limit",
  dropFuse: "Dropped: fuse",
  dropSendError: "Dropped: send error",
  truncated: "Truncated to MTU",
};

/** Packets per minute of the chosen counters as an SVG chart, with the totals below. */
export function CountersPanel(
  props: {
    counters: CountersView;
    keys: (keyof CountsView)[];
    title: string;
    /** This page's URL: htmx fetches the panel again from it every 15 s. */
    refresh?: string;
  },
): VNode {
  const { counters } = props;
  const series: LineSeries[] = props.keys.map((k) => ({
    key: LABELS[k],
    points: counters.minutes.map((m) => ({ t: m.t, v: m[k] })),
  }));
  return (
    <section
      class="panel"
      aria-labelledby="npb-counters-title"
      id="npb-counters"
      hx-get={props.refresh}
      hx-trigger={props.refresh ? "every 15s" : undefined}
      hx-swap={props.refresh ? "outerHTML" : undefined}
    >
      <header class="panel-header">
        <h2 id="npb-counters-title">{props.title}</h2>
        <span class="panel-meta">per minute, last hour (UTC)</span>
      </header>
      <div class="panel-body">
        <LineChart
          series={series}
          fromMs={counters.fromMs}
          toMs={counters.toMs}
          format={formatCount}
          label={`${props.title} per minute`}
        />
        <table class="data-table" id="npb-totals">
          <thead>
            <tr>
              <th>Counter</th>
              <th class="num">Last hour</th>
            </tr>
          </thead>
          <tbody>
            {(Object.keys(LABELS) as (keyof CountsView)[]).filter((k) =>
              props.keys.includes(k) || counters.totals[k] > 0
            ).map((k) => {
              const i = props.keys.indexOf(k);
              return (
                <tr key={k} data-counter={k}>
                  <td>
                    {i >= 0 && <span class="swatch" style={`background:${seriesColour(i)}`} />}{" "}
                    {LABELS[k]}
                  </td>
                  <td class="num">{formatCount(counters.totals[k])}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The delete form under a point's or a policy's editor (asks first with JavaScript). */
export function DeleteForm(props: { action: string; what: string; name: string }): VNode {
  return (
    <form
      method="post"
      action={props.action}
      class="panel-body inline-form"
      hx-confirm={`Delete the ${props.what} "${props.name}"?`}
    >
      <CsrfField />
      <button type="submit" class="btn btn-danger">{`Delete ${props.what}`}</button>
    </form>
  );
}
