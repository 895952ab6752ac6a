// The building blocks of ui/ pages. Pages import them from here.
export { bucketLabel, byteScale, BytesChart, labelStepMinutes } from "./bytes_chart.tsx";
export type { ByteScale } from "./bytes_chart.tsx";
export { EmptyState } from "./empty_state.tsx";
export {
  FILTER_FIELDS,
  FilterBar,
  FilterError,
  filterErrorId,
  filterInputId,
} from "./filter_bar.tsx";
export type { FilterBarProps } from "./filter_bar.tsx";
export { FlowTable } from "./flow_table.tsx";
export type { FlowTableProps } from "./flow_table.tsx";
export { chosenColumns, DEFAULT_COLUMNS, FLOW_COLUMNS, FlowCell } from "./flow_columns.tsx";
export type { FlowColumn } from "./flow_columns.tsx";
export { FLOW_DETAIL_ID, FlowDetailPanel, flowRowKey, relatedLinks } from "./flow_detail.tsx";
export { pageCount, Pagination } from "./pagination.tsx";
export type { PaginationProps } from "./pagination.tsx";
export { ErrorBox, fieldAttrs, FormField, Notice, UtcTime } from "./forms.tsx";
