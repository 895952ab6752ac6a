import type { VNode } from "preact";
import { formatBytes, formatCount, formatDurationUs } from "../format.ts";

export interface MetricOption {
  key: string;
  label: string;
  unit: "bytes" | "count" | "us" | "ratio";
}

/** The region of a network view that htmx replaces on a filter change. */
export const NETMON_RESULTS_ID = "netmon-results";

/** A value of a metric in its unit. */
export function formatMetric(unit: MetricOption["unit"], v: number): string {
  if (unit === "bytes") return formatBytes(v);
  if (unit === "us") return v === 0 ? "–" : formatDurationUs(Math.round(v));
  if (unit === "ratio") return `${(v * 100).toFixed(2)}%`;
  return formatCount(Math.round(v));
}

export interface NetmonFormProps {
  action: string;
  /** The fields as typed. */
  values: Record<string, string>;
  errors: Record<string, string | undefined>;
  /** With htmx: the id of the results region a filter change replaces (same URL, fragment). */
  resultsId?: string;
  /**
   * What sends the form through htmx: "submit, change" (default) for views that any field
   * narrows; "submit" where the fields only make sense together (a tuple to trace).
   */
  resultsTrigger?: string;
  /** Extra fields of the page, in order: name, label, options (select) or placeholder (text). */
  fields: {
    name: string;
    label: string;
    options?: { value: string; label: string }[];
    placeholder?: string;
  }[];
}

/**
 * The frame's filter bar (DESIGN §9): a plain GET form, so every view is a bookmarkable URL;
 * times are UTC. Common fields first (time range, IP, port), then the page's own.
 */
export function NetmonForm(props: NetmonFormProps): VNode {
  const common = [
    { name: "from", label: "From (UTC)", type: "datetime-local" as const },
    { name: "to", label: "To (UTC)", type: "datetime-local" as const },
  ];
  return (
    <form
      class="filter-bar"
      method="get"
      action={props.action}
      role="search"
      aria-label="View filters"
      hx-get={props.resultsId ? props.action : undefined}
      hx-target={props.resultsId ? `#${props.resultsId}` : undefined}
      hx-swap={props.resultsId ? "outerHTML" : undefined}
      hx-push-url={props.resultsId ? "true" : undefined}
      hx-trigger={props.resultsId ? props.resultsTrigger ?? "submit, change" : undefined}
      hx-sync={props.resultsId ? "this:replace" : undefined}
    >
      {common.map((f) => (
        <Field key={f.name} name={f.name} label={f.label} error={props.errors[f.name]}>
          <input
            id={`nm-${f.name}`}
            name={f.name}
            type={f.type}
            value={props.values[f.name] ?? ""}
          />
        </Field>
      ))}
      {props.fields.map((f) => (
        <Field key={f.name} name={f.name} label={f.label} error={props.errors[f.name]}>
          {f.options
            ? (
              <select id={`nm-${f.name}`} name={f.name}>
                {f.options.map((o) => (
                  <option
                    key={o.value}
                    value={o.value}
                    selected={o.value === (props.values[f.name] ?? "")}
                  >
                    {o.label}
                  </option>
                ))}
              </select>
            )
            : (
              <input
                id={`nm-${f.name}`}
                name={f.name}
                type="text"
                value={props.values[f.name] ?? ""}
                placeholder={f.placeholder}
                autocomplete="off"
              />
            )}
        </Field>
      ))}
      <div class="filter-actions">
        <button type="submit" class="btn btn-primary">Apply</button>
        <a class="btn" href={props.action}>Reset</a>
      </div>
    </form>
  );
}

function Field(
  props: { name: string; label: string; error: string | undefined; children: VNode },
): VNode {
  return (
    <div class={`field field-${props.name}${props.error ? " has-error" : ""}`}>
      <label for={`nm-${props.name}`}>{props.label}</label>
      {props.children}
      {props.error && <p class="field-error" role="alert">{props.error}</p>}
    </div>
  );
}
