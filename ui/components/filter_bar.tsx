import type { VNode } from "preact";
import type { FlowFilterField, FlowFilters } from "../types.ts";
import { chosenColumns, FLOW_COLUMNS } from "./flow_columns.tsx";

/** The filter fields in form order. */
export const FILTER_FIELDS: readonly FlowFilterField[] = [
  "q",
  "ip",
  "port",
  "protocol",
  "from",
  "to",
];

const SEARCH_HELP = "field op value, joined by and: service_1 = checkout and byte_tx > 10000, " +
  'ip_0 = 10.1.0.0/16, host_1 != "", labels_1.env = prod, pod_0 ~ web';

// Values are IP protocol numbers so that the manager parses one notation; "" means any.
const PROTOCOL_OPTIONS: readonly { value: string; label: string }[] = [
  { value: "", label: "Any" },
  { value: "6", label: "TCP" },
  { value: "17", label: "UDP" },
  { value: "1", label: "ICMP" },
  { value: "58", label: "ICMPv6" },
];

const PROTOCOL_BY_NAME: Readonly<Record<string, string>> = {
  tcp: "6",
  udp: "17",
  icmp: "1",
  icmpv6: "58",
};

/** The DOM id of a filter field's input. */
export function filterInputId(field: FlowFilterField): string {
  return `flow-filter-${field}`;
}

/** The DOM id of a filter field's message element (also the target of its out-of-band swap). */
export function filterErrorId(field: FlowFilterField): string {
  return `flow-filter-${field}-error`;
}

export interface FilterBarProps {
  filters: FlowFilters;
  errors: Partial<Record<FlowFilterField, string>>;
  /** The page's URL path; the form submits here with GET. */
  action: string;
  /** The id of the element htmx replaces with the results fragment. */
  resultsId: string;
}

/**
 * The flow filter form. Without JavaScript it is a plain GET form (the filters land in the query
 * string, so every view is bookmarkable); htmx submits it on every edit, after a pause, and swaps
 * only the results region, pushing the same URL into history.
 */
export function FilterBar(props: FilterBarProps): VNode {
  const { filters, errors, action } = props;
  return (
    <form
      id="flow-filters"
      class="filter-bar"
      method="get"
      action={action}
      role="search"
      aria-label="Flow filters"
      hx-get={action}
      hx-target={`#${props.resultsId}`}
      hx-swap="outerHTML"
      hx-push-url="true"
      hx-trigger="submit, input changed delay:400ms, change from:.column-chooser"
      hx-sync="this:replace"
      hx-indicator={`#${props.resultsId}`}
    >
      <Field field="q" label="Search (any field or tag)" error={errors.q} wide>
        <input
          {...inputAttrs("q", errors.q)}
          type="search"
          value={filters.q}
          placeholder="service_1 = checkout and server_port = 443"
          title={SEARCH_HELP}
          autocomplete="off"
          spellcheck={false}
        />
      </Field>
      <Field field="ip" label="IP address" error={errors.ip}>
        <input
          {...inputAttrs("ip", errors.ip)}
          type="text"
          value={filters.ip}
          placeholder="client or server, e.g. 10.0.0.5"
          autocomplete="off"
          spellcheck={false}
        />
      </Field>
      <Field field="port" label="Port" error={errors.port}>
        <input
          {...inputAttrs("port", errors.port)}
          type="text"
          inputMode="numeric"
          value={filters.port}
          placeholder="any"
          autocomplete="off"
          size={6}
        />
      </Field>
      <Field field="protocol" label="Protocol" error={errors.protocol}>
        <ProtocolSelect value={filters.protocol} error={errors.protocol} />
      </Field>
      <Field field="from" label="From (UTC)" error={errors.from}>
        <input {...inputAttrs("from", errors.from)} type="datetime-local" value={filters.from} />
      </Field>
      <Field field="to" label="To (UTC)" error={errors.to}>
        <input {...inputAttrs("to", errors.to)} type="datetime-local" value={filters.to} />
      </Field>
      <ColumnChooser chosen={filters.cols} />
      <div class="filter-actions">
        <button type="submit" class="btn btn-primary">Apply</button>
        <a class="btn" href={action}>Reset</a>
      </div>
    </form>
  );
}

/**
 * The column chooser: checkboxes named `cols`, so the choice lands in the URL like any filter.
 * Closed by default; the form's `change` trigger applies a choice at once.
 */
function ColumnChooser(props: { chosen: readonly string[] }): VNode {
  const shown = new Set(chosenColumns(props.chosen).map((c) => c.key));
  const groups = [...new Set(FLOW_COLUMNS.map((c) => c.group))];
  return (
    <details class="column-chooser field">
      <summary>Columns</summary>
      <div class="column-groups">
        {groups.map((g) => (
          <fieldset key={g}>
            <legend>{g}</legend>
            {FLOW_COLUMNS.filter((c) => c.group === g).map((c) => (
              <label key={c.key} class="checkbox">
                <input type="checkbox" name="cols" value={c.key} checked={shown.has(c.key)} />{" "}
                {c.label}
              </label>
            ))}
          </fieldset>
        ))}
      </div>
    </details>
  );
}

function inputAttrs(field: FlowFilterField, error: string | undefined) {
  return {
    id: filterInputId(field),
    name: field,
    "aria-invalid": error ? "true" as const : undefined,
    "aria-describedby": filterErrorId(field),
  };
}

function Field(
  props: {
    field: FlowFilterField;
    label: string;
    error: string | undefined;
    wide?: boolean;
    children: VNode;
  },
): VNode {
  const classes = ["field", `field-${props.field}`];
  if (props.wide) classes.push("field-wide");
  if (props.error) classes.push("has-error");
  return (
    <div class={classes.join(" ")}>
      <label for={filterInputId(props.field)}>{props.label}</label>
      {props.children}
      <FilterError field={props.field} message={props.error} />
    </div>
  );
}

/**
 * A field's validation message. Always rendered (hidden when empty) so that, with `oob`, the
 * results fragment can replace it in place: the form itself is not swapped while the user types.
 */
export function FilterError(
  props: { field: FlowFilterField; message: string | undefined; oob?: boolean },
): VNode {
  return (
    <p
      id={filterErrorId(props.field)}
      class="field-error"
      role="alert"
      hidden={!props.message}
      hx-swap-oob={props.oob ? "true" : undefined}
    >
      {props.message ?? ""}
    </p>
  );
}

function ProtocolSelect(props: { value: string; error: string | undefined }): VNode {
  const raw = props.value.trim();
  const selected = PROTOCOL_BY_NAME[raw.toLowerCase()] ?? raw;
  const known = PROTOCOL_OPTIONS.some((option) => option.value === selected);
  // A value typed into the URL (another protocol number, or a typo) stays visible and selected.
  const options = known ? PROTOCOL_OPTIONS : [
    PROTOCOL_OPTIONS[0]!,
    { value: raw, label: /^\d+$/.test(raw) ? `Protocol ${raw}` : raw },
    ...PROTOCOL_OPTIONS.slice(1),
  ];
  return (
    <select {...inputAttrs("protocol", props.error)}>
      {options.map((option) => (
        <option key={option.value} value={option.value} selected={option.value === selected}>
          {option.label}
        </option>
      ))}
    </select>
  );
}
