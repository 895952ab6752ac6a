import { CaptureError } from "./errors.ts";
import { CapturedPacket, type PacketSource } from "./packet.ts";
import { libc, POLLERR, POLLIN, POLLNVAL } from "./_libc.ts";

/** How a live source reads the interface. */
export type LiveBackend = "af_packet" | "libpcap";
export const LIVE_BACKENDS: readonly LiveBackend[] = ["af_packet", "libpcap"];

/** Counters of a live capture since it was opened. */
export interface CaptureStats {
  /** Packets handed to the appliance (returned by `next()`). */
  received: number;
  /** Packets the kernel dropped because the capture ring or buffer was full. */
  droppedByKernel: number;
  /** Packets the interface or its driver dropped before the kernel saw them (missed + FIFO). */
  droppedByInterface: number;
}

export interface LiveOptions {
  /** Default: AF_PACKET, falling back to libpcap when AF_PACKET cannot open the interface. */
  backend?: LiveBackend | "auto";
  /** Size of the kernel capture ring (AF_PACKET) or libpcap buffer; default 64 MiB. */
  bufferBytes?: number;
  /** Bytes kept of each packet; default 262144 (libpcap's maximum). */
  snapLength?: number;
  /** Put the interface in promiscuous mode (default true: a tap port sees others' traffic). */
  promiscuous?: boolean;
  /** Longest single `poll()`: bounds how long `stop()` takes to end a `wait()`; default 100 ms. */
  pollMs?: number;
}

export const DEFAULT_BUFFER_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SNAP_LENGTH = 262_144;

/**
 * A live interface. File readers are driven by `next()` alone; a live source also needs waiting,
 * which happens off the hot path and never blocks Deno's event loop:
 *
 * ```ts
 * while (!source.stopped) {
 *   await source.wait(250);
 *   while (source.next()) use(source.packet);
 * }
 * await source.close();
 * ```
 *
 * `next()` returning false means "nothing ready now", not the end; `stopped` says the end.
 */
export interface LiveSource extends PacketSource {
  readonly backend: LiveBackend;
  readonly interfaceName: string;
  /** True once `stop()` or `close()` was called or a fatal error (in `error`) happened. */
  readonly stopped: boolean;
  /**
   * Resolves true as soon as packets are ready, false after `timeoutMs` without any or once the
   * source is stopped. Never throws; a fatal error stops the source and sets `error`.
   */
  wait(timeoutMs: number): Promise<boolean>;
  /** Counters so far (also valid after `close()`: the last ones taken). */
  stats(): CaptureStats;
  /** Asks the source to stop: `wait()` returns within one poll slice; `next()` still drains. */
  stop(): void;
  /** Stops and releases the socket or handle; the current packet's bytes are gone after it. */
  close(): Promise<void>;
}

const EMPTY = new Uint8Array(0);

/** Reads the interface's drop counters as libpcap does (`rx_missed_errors` + `rx_fifo_errors`). */
export function interfaceDrops(name: string): number {
  let total = 0;
  for (const counter of ["rx_missed_errors", "rx_fifo_errors"]) {
    try {
      total += Number(Deno.readTextFileSync(`/sys/class/net/${name}/statistics/${counter}`));
    } catch {
      // Not every driver has every counter; an absent one is zero.
    }
  }
  return total;
}

/**
 * What the AF_PACKET and libpcap sources share: waiting with libc `poll()` on a file descriptor
 * (a `nonblocking` FFI call, so a pending wait never keeps Deno from exiting or running), and
 * an orderly stop that releases the capture only once no poll is in flight.
 */
export abstract class PolledSource implements LiveSource {
  abstract readonly backend: LiveBackend;
  abstract readonly format: string;
  abstract readonly linkType: number;
  readonly packet: CapturedPacket = new CapturedPacket();
  readonly interfaceName: string;
  error: CaptureError | undefined = undefined;
  protected received = 0;
  protected closed = false;
  #stopped = false;
  readonly #pollfd = new Uint8Array(8);
  readonly #pollMs: number;
  #pending: Promise<number> | undefined;
  #closing: Promise<void> | undefined;
  #last: CaptureStats | undefined;

  constructor(interfaceName: string, pollMs: number) {
    this.interfaceName = interfaceName;
    this.#pollMs = pollMs;
  }

  abstract next(): boolean;
  /** Whether `next()` would return a packet now, without consuming it (false when unknown). */
  protected abstract ready(): boolean;
  protected abstract kernelCounters(): { droppedByKernel: number; droppedByInterface: number };
  /** Releases the capture; called once, when no poll is in flight. */
  protected abstract release(): void;
  /** Describes an error the descriptor reported (POLLERR); undefined when it is harmless. */
  protected abstract pollError(): string | undefined;

  /** Sets the descriptor `wait()` polls. */
  protected watch(fd: number): void {
    const view = new DataView(this.#pollfd.buffer);
    view.setInt32(0, fd, true);
    view.setInt16(4, POLLIN, true);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async wait(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    if (this.ready()) return true;
    const deadline = performance.now() + timeoutMs;
    const view = new DataView(this.#pollfd.buffer);
    while (!this.#stopped) {
      const left = Math.ceil(deadline - performance.now());
      if (left <= 0) break;
      view.setInt16(6, 0, true);
      this.#pending = libc().poll(this.#pollfd, 1n, Math.min(left, this.#pollMs));
      const result = await this.#pending;
      this.#pending = undefined;
      if (this.closed) return false;
      if (this.ready()) return true;
      const revents = view.getInt16(6, true);
      if (result > 0 && (revents & (POLLERR | POLLNVAL)) !== 0) {
        const problem = (revents & POLLNVAL) !== 0 ? "capture descriptor closed" : this.pollError();
        if (problem !== undefined) {
          this.fail(`live capture on ${this.interfaceName} failed: ${problem}`);
          return false;
        }
        // Harmless or for next() to report: either way, spinning on it helps nobody.
        return true;
      }
      // libpcap may have found its block already drained: say "maybe" and let next() tell.
      if (result > 0 && (revents & POLLIN) !== 0) return true;
    }
    return this.ready();
  }

  stats(): CaptureStats {
    if (this.closed && this.#last !== undefined) return { ...this.#last };
    const counters = this.kernelCounters();
    this.#last = { received: this.received, ...counters };
    return { ...this.#last };
  }

  stop(): void {
    this.#stopped = true;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.stop();
      if (this.#pending !== undefined) await this.#pending;
      this.stats();
      this.closed = true;
      this.packet.buffer = EMPTY;
      this.packet.capturedLength = 0;
      this.release();
    })();
    return this.#closing;
  }

  protected fail(message: string, cause?: unknown): void {
    this.error ??= new CaptureError("live", message, { cause, packetNumber: this.received + 1 });
    this.#stopped = true;
  }
}
