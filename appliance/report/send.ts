import {
  CBOR_CONTENT_TYPE,
  encodeBatch,
  type FlowRecord,
  INGEST_PATH,
  WIRE_VERSION,
} from "../wire/mod.ts";

export interface ReportErrorOptions {
  /** HTTP status of the manager's last answer; undefined when no answer came. */
  status?: number;
  /** The manager's message (its JSON `error`, or the body text). */
  body?: string;
  seq: number;
  cause?: unknown;
}

/** A batch the manager refused, or could not be reached for. */
export class ReportError extends Error {
  override name = "ReportError";
  readonly status: number | undefined;
  readonly body: string | undefined;
  readonly seq: number;

  constructor(message: string, options: ReportErrorOptions) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.body = options.body;
    this.seq = options.seq;
  }
}

export interface RetryEvent {
  seq: number;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface SendOptions {
  /** Manager base URL, e.g. `http://127.0.0.1:8080`. */
  manager: string;
  appliance: string;
  /** Appliance credential (`tpla_…`), sent as `Authorization: Bearer`. */
  credential?: string;
  /** Records per batch (default 1000). */
  batchSize?: number;
  /** Sequence number of the first batch (default 1); the next ones count up. */
  firstSeq?: number;
  /** Attempts per batch before giving up on refusal/overload (default 5). */
  maxAttempts?: number;
  /** First backoff delay, doubled on each retry (default 500 ms). */
  retryDelayMs?: number;
  /** Longest wait, also for the manager's Retry-After (default 30 s). */
  maxRetryDelayMs?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  onRetry?: (event: RetryEvent) => void;
  /** Injection points for tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface SendResult {
  batches: number;
  records: number;
  retries: number;
}

const RETRY_STATUSES = new Set([429, 503]);

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The manager's message in an error answer: its JSON `error`, else the text (cut at 300). */
export async function managerMessage(response: Response): Promise<string> {
  const text = (await response.text().catch(() => "")).trim();
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed?.error === "string") return parsed.error;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Why a request got no answer, in words (refused, no such host, timeout, …). */
export function networkReason(err: unknown): string {
  // Deno's fetch says "fetch failed"; the reason is in the cause chain.
  let message = err instanceof Error ? err.message : String(err);
  for (let c = (err as Error)?.cause; c instanceof Error; c = c.cause) message += `: ${c.message}`;
  if (err instanceof DOMException && err.name === "TimeoutError") return "no answer in time";
  if (/connection refused/i.test(message)) return "connection refused";
  if (/dns error|failed to lookup/i.test(message)) return "host name not found";
  return message;
}

/**
 * POSTs the records as CBOR batches (`application/cbor`, wire version {@link WIRE_VERSION}) to
 * `${manager}/api/v1/ingest`, in order, with seq numbers counting up from `firstSeq`. Retries a
 * batch with exponential backoff when the manager is unreachable or answers 429/503 (honouring
 * Retry-After); throws {@link ReportError} on any other non-2xx answer or when attempts run out.
 */
export async function sendBatches(
  records: readonly FlowRecord[],
  options: SendOptions,
): Promise<SendResult> {
  const url = `${options.manager.replace(/\/+$/, "")}${INGEST_PATH}`;
  const batchSize = options.batchSize ?? 1000;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelay = options.retryDelayMs ?? 500;
  const maxDelay = options.maxRetryDelayMs ?? 30_000;
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? wait;
  const result: SendResult = { batches: 0, records: 0, retries: 0 };
  let seq = options.firstSeq ?? 1;
  for (let start = 0; start < records.length; start += batchSize, seq++) {
    const batch = records.slice(start, start + batchSize);
    for (let attempt = 1;; attempt++) {
      // A copy: the encoder may reuse its buffer while fetch still streams this body.
      const body = new Uint8Array(encodeBatch({
        v: WIRE_VERSION,
        appliance: options.appliance,
        stream: "flows",
        seq,
        sentAt: Date.now(),
        records: batch,
      }));
      let reason: string;
      let status: number | undefined;
      let retryAfter: number | undefined;
      let cause: unknown;
      try {
        const response = await doFetch(url, {
          method: "POST",
          headers: {
            "content-type": CBOR_CONTENT_TYPE,
            accept: "application/json",
            ...(options.credential ? { authorization: `Bearer ${options.credential}` } : {}),
          },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
        if (response.ok) {
          await response.body?.cancel();
          break;
        }
        status = response.status;
        const message = await managerMessage(response);
        const answer = `${response.status} ${response.statusText}`.trim();
        if (!RETRY_STATUSES.has(response.status)) {
          throw new ReportError(
            `manager refused batch ${seq} (HTTP ${answer})${message ? `: ${message}` : ""}`,
            { status, body: message, seq },
          );
        }
        reason = `HTTP ${answer}${message ? `: ${message}` : ""}`;
        retryAfter = parseRetryAfter(response.headers.get("retry-after"));
      } catch (err) {
        if (err instanceof ReportError) throw err;
        cause = err;
        reason = networkReason(err);
      }
      if (attempt >= maxAttempts) {
        throw new ReportError(
          `cannot deliver batch ${seq} to ${url}: ${reason} (gave up after ${attempt} attempts)`,
          { status, body: status === undefined ? undefined : reason, seq, cause },
        );
      }
      const delayMs = Math.min(maxDelay, retryAfter ?? baseDelay * 2 ** (attempt - 1));
      options.onRetry?.({ seq, attempt, delayMs, reason });
      result.retries++;
      await sleep(delayMs);
    }
    result.batches++;
    result.records += batch.length;
  }
  return result;
}
