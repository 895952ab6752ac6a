// The manager's side of the on-demand PCAP channel (appliance/wire/pcap_tasks.ts). Packets stay on
// the appliance: a page request queues a task for one appliance and waits; the agent, which
// long-polls GET /api/v1/appliances/self/tasks, takes it, runs it on its own store and POSTs the
// answer, which resolves the waiting request. All state is in this process's memory (one manager
// process serves the appliances; a restart drops pending tasks and the agents re-poll within 2 s).
//
// "Online" means: a poll is open now, or the appliance is running one of our tasks, or its last
// poll ended less than `graceMs` ago (the agent re-polls at once). An offline appliance is refused
// at once; a task nobody picks up within `pickupMs`, or not answered within `timeoutMs`, fails with
// a message that says which.
import type { PcapTask, PcapTaskQuery } from "../../appliance/wire/mod.ts";

export interface TaskResult {
  contentType: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

export class PcapChannelError extends Error {
  override name = "PcapChannelError";
  constructor(readonly kind: "offline" | "timeout" | "busy" | "failed", message: string) {
    super(message);
  }
}

interface Pending {
  task: PcapTask;
  applianceId: string;
  picked: boolean;
  resolve: (r: TaskResult) => void;
  reject: (e: Error) => void;
  timers: ReturnType<typeof setTimeout>[];
}

type Poller = (task: PcapTask | null) => boolean;

export interface PcapChannelOptions {
  timeoutMs?: number;
  pickupMs?: number;
  graceMs?: number;
  /** Tasks one appliance may have queued or running at once. */
  maxPending?: number;
}

export class PcapChannel {
  readonly timeoutMs: number;
  readonly pickupMs: number;
  readonly graceMs: number;
  readonly maxPending: number;
  readonly #pending = new Map<string, Pending>();
  readonly #queues = new Map<string, string[]>();
  readonly #pollers = new Map<string, Set<Poller>>();
  readonly #lastPollEnd = new Map<string, number>();

  constructor(options: PcapChannelOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pickupMs = options.pickupMs ?? 5_000;
    this.graceMs = options.graceMs ?? 3_000;
    this.maxPending = options.maxPending ?? 8;
  }

  /** Whether the appliance's agent is connected (see the file comment). */
  online(applianceId: string): boolean {
    if ((this.#pollers.get(applianceId)?.size ?? 0) > 0) return true;
    for (const p of this.#pending.values()) {
      if (p.applianceId === applianceId && p.picked) return true;
    }
    const end = this.#lastPollEnd.get(applianceId);
    return end !== undefined && Date.now() - end < this.graceMs;
  }

  /** Queues a task for the appliance and resolves with its answer. */
  request(applianceId: string, kind: PcapTask["kind"], query: PcapTaskQuery): Promise<TaskResult> {
    if (!this.online(applianceId)) {
      return Promise.reject(
        new PcapChannelError(
          "offline",
          `appliance ${applianceId} is offline: its agent is not connected, so its stored packets cannot be read now`,
        ),
      );
    }
    const mine = [...this.#pending.values()].filter((p) => p.applianceId === applianceId).length;
    if (mine >= this.maxPending) {
      return Promise.reject(
        new PcapChannelError(
          "busy",
          `appliance ${applianceId} has ${mine} PCAP tasks already; retry`,
        ),
      );
    }
    const task: PcapTask = { id: crypto.randomUUID(), kind, query };
    return new Promise<TaskResult>((resolve, reject) => {
      const pending: Pending = { task, applianceId, picked: false, resolve, reject, timers: [] };
      this.#pending.set(task.id, pending);
      pending.timers.push(setTimeout(() => {
        if (!pending.picked) {
          this.#fail(
            task.id,
            new PcapChannelError(
              "offline",
              `appliance ${applianceId} did not pick up the task within ${
                this.pickupMs / 1000
              } s: it is offline or busy`,
            ),
          );
        }
      }, this.pickupMs));
      pending.timers.push(setTimeout(() => {
        this.#fail(
          task.id,
          new PcapChannelError(
            "timeout",
            `appliance ${applianceId} did not answer within ${
              this.timeoutMs / 1000
            } s (task ${task.id} timed out)`,
          ),
        );
      }, this.timeoutMs));
      if (!this.#dispatch(applianceId, pending)) {
        const q = this.#queues.get(applianceId) ?? [];
        q.push(task.id);
        this.#queues.set(applianceId, q);
      }
    });
  }

  #dispatch(applianceId: string, pending: Pending): boolean {
    for (const poller of [...(this.#pollers.get(applianceId) ?? [])]) {
      if (poller(pending.task)) {
        pending.picked = true;
        return true;
      }
    }
    return false;
  }

  #fail(id: string, err: Error): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.timers.forEach(clearTimeout);
    const q = this.#queues.get(p.applianceId);
    if (q) this.#queues.set(p.applianceId, q.filter((t) => t !== id));
    p.reject(err);
  }

  /**
   * The agent's long poll: a queued task at once, else the next one within `waitMs`, else null.
   * `signal` is the request's: a closed connection stops waiting.
   */
  poll(applianceId: string, waitMs: number, signal?: AbortSignal): Promise<PcapTask | null> {
    const q = this.#queues.get(applianceId) ?? [];
    while (q.length > 0) {
      const p = this.#pending.get(q.shift()!);
      if (p) {
        p.picked = true;
        this.#lastPollEnd.set(applianceId, Date.now());
        return Promise.resolve(p.task);
      }
    }
    return new Promise((resolve) => {
      const set = this.#pollers.get(applianceId) ?? new Set<Poller>();
      this.#pollers.set(applianceId, set);
      let done = false;
      const finish = (task: PcapTask | null) => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        set.delete(poller);
        signal?.removeEventListener("abort", aborted);
        this.#lastPollEnd.set(applianceId, Date.now());
        resolve(task);
        return true;
      };
      const poller: Poller = (task) => finish(task);
      const aborted = () => {
        finish(null);
        // A dropped connection is an agent gone: no grace.
        this.#lastPollEnd.delete(applianceId);
      };
      const timer = setTimeout(() => finish(null), waitMs);
      set.add(poller);
      if (signal?.aborted) aborted();
      else signal?.addEventListener("abort", aborted, { once: true });
    });
  }

  /**
   * Ends every open poll (empty answers) and fails every pending task: the server can then stop
   * without waiting for long polls.
   */
  close(): void {
    for (const set of this.#pollers.values()) for (const poller of [...set]) poller(null);
    for (const id of [...this.#pending.keys()]) {
      this.#fail(id, new PcapChannelError("offline", "the manager is stopping"));
    }
  }

  /**
   * The agent's answer. "unknown" when no such task is pending (finished, timed out, never
   * made); "foreign" when it belongs to another appliance.
   */
  complete(applianceId: string, id: string, result: TaskResult): "ok" | "unknown" | "foreign" {
    const p = this.#pending.get(id);
    if (!p) return "unknown";
    if (p.applianceId !== applianceId) return "foreign";
    this.#pending.delete(id);
    p.timers.forEach(clearTimeout);
    this.#lastPollEnd.set(applianceId, Date.now());
    p.resolve(result);
    return "ok";
  }
}
