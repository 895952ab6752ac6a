/**
 * @module
 * Report: sends flow records to the manager as CBOR batches over HTTP, with seq numbers, backoff
 * on overload (429/503, Retry-After) and unreachable managers, and a {@link ReportError} carrying
 * the manager's status and message otherwise.
 *
 * ```ts
 * const sent = await sendBatches(records, { manager: "http://127.0.0.1:8080", appliance: "tap-1" });
 * console.log(sent.batches); // 3 (seq 1, 2, 3)
 * ```
 */
export {
  parseRetryAfter,
  ReportError,
  type ReportErrorOptions,
  type RetryEvent,
  sendBatches,
  type SendOptions,
  type SendResult,
} from "./send.ts";
