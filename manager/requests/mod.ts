/**
 * @module
 * Request logs on the manager (issue #8): the `requests` stream's rows (ingest.ts), the search
 * of the request-log page (search.ts), app RED metrics per service, endpoint and client ↔
 * service pair (red.ts) and DB monitoring over normalized statements (db.ts). Every query takes
 * the license data filter (`visible`) of the caller.
 *
 * ```ts
 * const { filters, errors } = parseRequestParams(new URLSearchParams("protocol=http&status=error"));
 * const range = await resolveRequestRange(database, filters);
 * const page = await searchRequests(database, filters, { range, visible, pageSize: 50 });
 * ```
 */
export { REQUEST_COLUMNS, requestLine, requestTimeMs } from "./ingest.ts";
export {
  isDatabaseProtocol,
  isSqlProtocol,
  MAX_NORMALIZED_CHARS,
  normalizedStatement,
  normalizeSql,
} from "./normalize.ts";
export {
  describeRequestErrors,
  l7ProtocolOf,
  parseRequestParams,
  REQUEST_PARAM_NAMES,
  REQUEST_SORTS,
  type RequestErrors,
  type RequestFilters,
  type RequestRaw,
  type RequestSort,
  resolveRequestRange,
  STATUS_FILTERS,
  type TimeRange,
} from "./params.ts";
export {
  bucketSecondsOf,
  type HistogramBucket,
  parseRequestKey,
  queryRequestRow,
  type RequestDetail,
  type RequestPage,
  type RequestRowOut,
  requestWhere,
  searchRequests,
  type Visibility,
} from "./search.ts";
export {
  isRedGroup,
  isRedMetric,
  type PathRow,
  queryAppPaths,
  queryRed,
  type Red,
  RED_METRICS,
  RED_TAG_GROUPS,
  type RedGroup,
  type RedMetric,
  type RedResult,
  type RedRow,
  type RedSeries,
} from "./red.ts";
export {
  type BreakdownRow,
  type DbResult,
  type DbStats,
  isStatementSort,
  queryDb,
  STATEMENT_SORTS,
  type StatementRow,
  type StatementSort,
} from "./db.ts";
