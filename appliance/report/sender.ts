/**
 * Drains the spool to the manager: per stream, the oldest batch first, one in flight. The batch
 * file goes only after the manager's 200; 429/503/5xx and network failures are retried forever
 * with backoff (Retry-After honoured, capped); 409 drops the batch as lost; another 4xx moves it
 * to `spool/rejected/`; 401 (credential unknown or revoked) keeps everything and waits.
 */
import type { Spool, SpoolEntry } from "../spool/mod.ts";
import { CBOR_CONTENT_TYPE, INGEST_PATH } from "../wire/mod.ts";
import { managerMessage, networkReason, parseRetryAfter } from "./send.ts";

export interface SenderOptions {
  /** Manager base URL. */
  manager: string;
  /** `tpla_…`, sent as `Authorization: Bearer`. */
  credential: string;
  /** First backoff delay, doubled per failed attempt (default 500 ms). */
  retryDelayMs?: number;
  /** Longest wait, also for Retry-After (default 30 s). */
  maxRetryDelayMs?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Something worth a log line: a retry, a lost or rejected batch, a credential refused. */
  onEvent?: (event: SenderEvent) => void;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export type SenderEvent =
  | { kind: "retry"; stream: string; seq: number; attempt: number; delayMs: number; reason: string }
  | { kind: "lost" | "rejected"; stream: string; seq: number; records: number; reason: string }
  | { kind: "unauthorized"; stream: string; seq: number; reason: string };

export interface SenderStats {
  /** Batches the manager answered 200 for (duplicates included). */
  sent: number;
  duplicates: number;
  records: number;
  retries: number;
  lost: number;
  rejected: number;
  /** ms since the epoch of the last 200, or null. */
  lastReportAt: number | null;
  /** The last failure not yet followed by a success, e.g. "connection refused". */
  lastError: string | null;
  /** Set while the manager refuses the credential (401); sending waits. */
  unauthorized: string | null;
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** 4xx answers that say "later", not "never". */
const RETRY_4XX = new Set([408, 429]);

type Outcome =
  | { kind: "ok"; duplicate: boolean }
  | { kind: "retry"; reason: string; retryAfterMs?: number }
  | { kind: "lost" | "rejected" | "unauthorized"; reason: string };

export class SpoolSender {
  readonly stats: SenderStats = {
    sent: 0,
    duplicates: 0,
    records: 0,
    retries: 0,
    lost: 0,
    rejected: 0,
    lastReportAt: null,
    lastError: null,
    unauthorized: null,
  };
  #spool: Spool;
  #options: SenderOptions;
  #url: string;
  #stop = new AbortController();
  /** Aborted to end the backoff waits at once (a final drain tries every stream again). */
  #wake = new AbortController();
  /** Aborted when a final drain's time is up: requests in flight end. */
  #cut = new AbortController();
  /** During a final drain, the streams whose manager failed (they keep their batches). */
  #gaveUp: Set<string> | undefined;
  #loops = new Map<string, Promise<void>>();

  constructor(spool: Spool, options: SenderOptions) {
    this.#spool = spool;
    this.#options = options;
    this.#url = `${options.manager.replace(/\/+$/, "")}${INGEST_PATH}`;
  }

  /** Starts a loop for each stream of the spool, and for `streams` (a stream not spooled yet). */
  start(streams: readonly string[] = []): void {
    for (const stream of new Set([...this.#spool.streams(), ...streams])) {
      if (this.#loops.has(stream)) continue;
      this.#loops.set(stream, this.#drain(stream));
    }
  }

  /** Stops after the requests in flight end (their batches stay spooled unless acked). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#loops.values());
  }

  /**
   * A clean stop: sends what is spooled, then stops. Streams in backoff are tried again at once;
   * a stream whose attempt fails (the manager away, 5xx, 401) is left as it is, and after
   * `timeoutMs` the requests in flight are cut: what was not acked stays in the spool for the
   * next start (the manager's seq dedup takes a batch it stored but did not answer in time).
   * Resolves with the batches left in the spool.
   */
  async drainAndStop(timeoutMs: number): Promise<number> {
    const gaveUp = this.#gaveUp = new Set<string>();
    this.#wake.abort();
    const deadline = Date.now() + Math.max(0, timeoutMs);
    const streams = () => [...this.#loops.keys()];
    const pending = () =>
      streams().filter((s) => !gaveUp.has(s) && this.#spool.oldest(s) !== undefined);
    while (pending().length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - Date.now()))));
    }
    this.#cut.abort();
    await this.stop();
    return streams().reduce((n, s) => n + (this.#spool.stats().streams[s]?.batches ?? 0), 0);
  }

  /** Whether `stream` has nothing left to send. */
  drained(stream: string): boolean {
    return this.#spool.oldest(stream) === undefined;
  }

  async #drain(stream: string): Promise<void> {
    const signal = this.#stop.signal;
    const sleep = this.#options.sleep ?? wait;
    const base = this.#options.retryDelayMs ?? 500;
    const cap = this.#options.maxRetryDelayMs ?? 30_000;
    let attempt = 0;
    while (!signal.aborted) {
      const entry = this.#spool.oldest(stream);
      if (entry === undefined) {
        await this.#spool.changed(stream, signal);
        continue;
      }
      this.#spool.setInFlight(stream, entry.seq);
      const outcome = await this.#post(entry);
      this.#spool.setInFlight(stream, undefined);
      if (outcome === undefined) continue;
      if (outcome.kind === "ok") {
        attempt = 0;
        await this.#spool.acked(entry);
        this.stats.sent++;
        this.stats.records += entry.records;
        if (outcome.duplicate) this.stats.duplicates++;
        this.stats.lastReportAt = Date.now();
        this.stats.lastError = null;
        this.stats.unauthorized = null;
        continue;
      }
      const { reason } = outcome;
      if (outcome.kind === "lost" || outcome.kind === "rejected") {
        attempt = 0;
        if (outcome.kind === "lost") {
          await this.#spool.lost(entry);
          this.stats.lost++;
        } else {
          await this.#spool.rejected(entry, reason);
          this.stats.rejected++;
        }
        this.#options.onEvent?.({
          kind: outcome.kind,
          stream,
          seq: entry.seq,
          records: entry.records,
          reason,
        });
        continue;
      }
      if (this.#gaveUp !== undefined || this.#cut.signal.aborted) {
        // A final drain: this stream's batches wait for the next start.
        this.#gaveUp?.add(stream);
        this.stats.lastError = reason;
        return;
      }
      attempt++;
      this.stats.retries++;
      this.stats.lastError = reason;
      const retryAfter = outcome.kind === "retry" ? outcome.retryAfterMs : undefined;
      const delayMs = Math.min(cap, retryAfter ?? base * 2 ** Math.min(attempt - 1, 16));
      if (outcome.kind === "unauthorized") {
        this.stats.unauthorized = reason;
        this.#options.onEvent?.({ kind: "unauthorized", stream, seq: entry.seq, reason });
      } else {
        this.#options.onEvent?.({
          kind: "retry",
          stream,
          seq: entry.seq,
          attempt,
          delayMs,
          reason,
        });
      }
      await sleep(delayMs, AbortSignal.any([signal, this.#wake.signal]));
    }
  }

  /** One attempt; undefined when the batch is gone (dropped by overflow) before it was read. */
  async #post(entry: SpoolEntry): Promise<Outcome | undefined> {
    const body = await this.#spool.read(entry);
    if (body === undefined) return undefined;
    const doFetch = this.#options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(this.#url, {
        method: "POST",
        headers: {
          "content-type": CBOR_CONTENT_TYPE,
          accept: "application/json",
          authorization: `Bearer ${this.#options.credential}`,
        },
        body: body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.any([
          AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
          this.#cut.signal,
        ]),
      });
    } catch (err) {
      return { kind: "retry", reason: networkReason(err) };
    }
    if (response.ok) {
      const answer = await response.json().catch(() => ({}));
      return { kind: "ok", duplicate: answer?.duplicate === true };
    }
    const message = await managerMessage(response);
    const reason = `HTTP ${response.status}${message ? `: ${message}` : ""}`;
    if (response.status === 409) return { kind: "lost", reason };
    if (response.status === 401) return { kind: "unauthorized", reason };
    if (response.status >= 400 && response.status < 500 && !RETRY_4XX.has(response.status)) {
      return { kind: "rejected", reason };
    }
    return {
      kind: "retry",
      reason,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
    };
  }
}
