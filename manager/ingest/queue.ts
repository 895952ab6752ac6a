/**
 * The ingest write queue: at most `concurrency` transactions at once and at most `waiting`
 * requests queued behind them; past that the manager answers 429 with Retry-After instead of
 * piling work onto the database (fleet contract).
 */
export interface WriteQueueOptions {
  /** Ingest transactions at once (TAPLINE_INGEST_CONCURRENCY, default 4). */
  concurrency: number;
  /** Requests that may wait for a slot (TAPLINE_INGEST_QUEUE, default 16). */
  waiting: number;
}

export interface WriteQueueStats {
  running: number;
  waiting: number;
  /** Requests turned away because the queue was full, since start. */
  refused: number;
}

export class WriteQueue {
  #running = 0;
  #refused = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(readonly options: WriteQueueOptions) {}

  get stats(): WriteQueueStats {
    return { running: this.#running, waiting: this.#waiters.length, refused: this.#refused };
  }

  /**
   * Runs `fn` when a slot is free; returns `{ full: true }` at once, without running it, when
   * every slot is taken and the wait queue is full.
   */
  async run<T>(fn: () => Promise<T>): Promise<{ full: false; value: T } | { full: true }> {
    if (this.#running >= this.options.concurrency) {
      if (this.#waiters.length >= this.options.waiting) {
        this.#refused++;
        return { full: true };
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    } else this.#running++;
    try {
      return { full: false, value: await fn() };
    } finally {
      // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
      const next = this.#waiters.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
