/**
 * @module
 * Read side: validated filters in, pages of rows, single rows, chart series and exports out.
 *
 * ```ts
 * const { query, errors } = parseFlowFilters(new URLSearchParams("q=service_1 = checkout"), 50);
 * const page = await queryFlows(database, query); // { rows, total, chart, bucketSeconds }
 * const file = await exportFlows(database, query, { format: "csv", cap: 100_000 });
 * ```
 */
export {
  type FilterErrors,
  type FlowQuery,
  parseFlowFilters,
  parseIpFilter,
  parseUtcTime,
  type RawFlowFilters,
} from "./filters.ts";
export {
  bucketSecondsFor,
  type ChartBucket,
  flowKey,
  type FlowPage,
  type FlowRowOut,
  type FlowTagsOut,
  queryFlowRow,
  queryFlows,
  searchClauseSql,
} from "./flows.ts";
export {
  isTagField,
  parseSearch,
  SEARCH_FIELDS,
  type SearchClause,
  type SearchField,
} from "./search.ts";
export { EXPORT_COLUMNS, exportFlows, type ExportFormat, type FlowExport } from "./export.ts";
