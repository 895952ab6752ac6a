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
export { pageCount, Pagination } from "./pagination.tsx";
export type { PaginationProps } from "./pagination.tsx";
export { ErrorBox, fieldAttrs, FormField, Notice, UtcTime } from "./forms.tsx";
