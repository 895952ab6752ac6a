import type { VNode } from "preact";
import type { FlowRow } from "../types.ts";
import { chosenColumns, FlowCell } from "./flow_columns.tsx";

export interface FlowTableProps {
  rows: readonly FlowRow[];
  /** Column keys (FLOW_COLUMNS); the default set when empty or absent. */
  columns?: readonly string[];
  /**
   * Where a row's details are: `page` a full page with the panel open (works without
   * JavaScript), `fragment` the panel alone, which htmx swaps into `#flow-detail`.
   */
  detailHref?: (row: FlowRow) => { page: string; fragment: string } | undefined;
}

/** The dense flow-log table: one row per flow per minute, times in UTC, chosen columns. */
export function FlowTable(props: FlowTableProps): VNode {
  const columns = chosenColumns(props.columns ?? []);
  const withDetail = props.detailHref !== undefined;
  return (
    <div class="table-scroll">
      <table class="data-table flow-table">
        <caption class="visually-hidden">Flow logs, times in UTC</caption>
        <thead>
          <tr>
            {withDetail && (
              <th scope="col" class="detail-col">
                <span class="visually-hidden">Details</span>
              </th>
            )}
            {columns.map((c) => (
              <th key={c.key} scope="col" class={c.num ? "num" : undefined} data-col={c.key}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => {
            const href = props.detailHref?.(row);
            return (
              <tr
                key={`${row.appliance}:${row.id ?? row.flowId}:${row.startTime}`}
                data-flow-id={row.flowId}
                class={href ? "is-clickable" : undefined}
                hx-get={href?.fragment}
                hx-target={href ? "#flow-detail" : undefined}
                hx-swap={href ? "outerHTML" : undefined}
                hx-trigger={href ? "click[!event.target.closest('a')]" : undefined}
              >
                {withDetail && (
                  <td class="detail-col">
                    {href && (
                      <a
                        href={href.page}
                        hx-get={href.fragment}
                        hx-target="#flow-detail"
                        hx-swap="outerHTML"
                        class="detail-link"
                        title="Show all fields"
                      >
                        <span aria-hidden="true">›</span>
                        <span class="visually-hidden">Details of flow {row.flowId}</span>
                      </a>
                    )}
                  </td>
                )}
                {columns.map((c) => <FlowCell key={c.key} column={c} row={row} />)}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
