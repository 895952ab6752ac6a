/**
 * @module
 * Report: sends batches to the manager as CBOR over HTTP. {@link SpoolSender} drains the on-disk
 * spool per stream in seq order, one batch in flight, retrying overload (429/503, Retry-After)
 * and unreachable managers forever; {@link sendBatches} posts records directly (tests, tools).
 *
 * ```ts
 * const sender = new SpoolSender(spool, { manager: "http://127.0.0.1:8080", credential });
 * sender.start(["flows"]); // …later: await sender.stop();
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
export { type SenderEvent, type SenderOptions, type SenderStats, SpoolSender } from "./sender.ts";
