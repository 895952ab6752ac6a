/**
 * @module
 * Read side: validated filters in, pages of rows and chart series out.
 *
 * ```ts
 * const { query, errors } = parseFlowFilters(new URLSearchParams("ip=10.0.0.0/8&port=80"), 50);
 * const page = await queryFlows(database, query); // { rows, total, chart, bucketSeconds }
 * ```
 */
export {
  type FilterErrors,
  type FlowQuery,
  parseFlowFilters,
  type RawFlowFilters,
} from "./filters.ts";
export {
  bucketSecondsFor,
  type ChartBucket,
  type FlowPage,
  type FlowRowOut,
  queryFlows,
} from "./flows.ts";
