/**
 * What keeps distribution from flooding: a dedup table (the same packet seen twice within a
 * window), a token bucket (bandwidth limit) and a fuse (stop above a transmit rate, resume under
 * 90 % of it). Time is the packet's own timestamp in µs, so a replay behaves like the live run.
 */

/** Slots probed per lookup before the oldest probed entry is replaced. */
const PROBES = 8;

/**
 * Recently seen packet fingerprints (two 32-bit hashes) with the time they were first seen. A
 * fixed-size open-addressing table: when full, the oldest entry among the probed slots goes, so
 * memory stays bounded and a rare duplicate may pass (never a distinct packet dropped, unless
 * both 32-bit hashes collide).
 */
export class DedupTable {
  readonly #a: Uint32Array;
  readonly #b: Uint32Array;
  readonly #seen: Float64Array;
  readonly #mask: number;
  readonly #windowUs: number;

  constructor(windowMs: number, slots = 1 << 16) {
    const size = 1 << Math.ceil(Math.log2(Math.max(PROBES, slots)));
    this.#a = new Uint32Array(size);
    this.#b = new Uint32Array(size);
    this.#seen = new Float64Array(size).fill(-Infinity);
    this.#mask = size - 1;
    this.#windowUs = windowMs * 1000;
  }

  /** True when the fingerprint was seen less than the window ago; otherwise remembers it. */
  isDuplicate(hash: Uint32Array, nowUs: number): boolean {
    const a = hash[0]!;
    const b = hash[1]!;
    let victim = -1;
    let oldest = Infinity;
    for (let i = 0; i < PROBES; i++) {
      const slot = (a + i) & this.#mask;
      const seen = this.#seen[slot]!;
      const live = nowUs - seen < this.#windowUs;
      if (live && this.#a[slot] === a && this.#b[slot] === b) return true;
      if (!live) {
        victim = slot;
        break;
      }
      if (seen < oldest) {
        oldest = seen;
        victim = slot;
      }
    }
    this.#a[victim] = a;
    this.#b[victim] = b;
    this.#seen[victim] = nowUs;
    return false;
  }
}

/** A token bucket in bytes, refilled at `rateBps / 8` bytes per second of packet time. */
export class TokenBucket {
  readonly rateBps: number;
  readonly burstBytes: number;
  #tokens: number;
  #lastUs = -1;

  /** Default burst: 100 ms of the rate, at least two 9000-byte frames. */
  constructor(rateBps: number, burstBytes = Math.max(rateBps / 80, 18_000)) {
    this.rateBps = rateBps;
    this.burstBytes = burstBytes;
    this.#tokens = burstBytes;
  }

  /** Takes `bytes` if the bucket holds them (true), or leaves it untouched (false). */
  take(bytes: number, nowUs: number): boolean {
    if (this.#lastUs >= 0 && nowUs > this.#lastUs) {
      this.#tokens = Math.min(
        this.burstBytes,
        this.#tokens + (nowUs - this.#lastUs) * this.rateBps / 8e6,
      );
    }
    if (nowUs > this.#lastUs) this.#lastUs = nowUs;
    if (this.#tokens < bytes) return false;
    this.#tokens -= bytes;
    return true;
  }
}

/** Resume below this share of the threshold (DeepFlow's npb_bandwidth_watcher uses 90 %). */
export const FUSE_HYSTERESIS = 0.9;

/**
 * Trips when the measured transmit rate exceeds `thresholdBps`; resets once it falls under 90 %
 * of it. Fed either by the bytes offered to it (`offer`, measured over 1-second windows of packet
 * time) or by an outside rate (`update`, e.g. the NIC's transmit counter).
 */
export class Fuse {
  readonly thresholdBps: number;
  tripped = false;
  /** Times the fuse tripped. */
  trips = 0;
  #windowStartUs = -1;
  #windowBytes = 0;

  constructor(thresholdBps: number) {
    this.thresholdBps = thresholdBps;
  }

  /** A new rate measurement: trips above the threshold, resets under 90 % of it. */
  update(bps: number): void {
    if (!this.tripped && bps > this.thresholdBps) {
      this.tripped = true;
      this.trips++;
    } else if (this.tripped && bps < this.thresholdBps * FUSE_HYSTERESIS) {
      this.tripped = false;
    }
  }

  /** Counts `bytes` offered at `nowUs`; returns whether they may be sent (fuse not tripped). */
  offer(bytes: number, nowUs: number): boolean {
    if (this.#windowStartUs < 0) this.#windowStartUs = nowUs;
    const elapsed = nowUs - this.#windowStartUs;
    if (elapsed >= 1e6) {
      this.update(this.#windowBytes * 8e6 / elapsed);
      this.#windowStartUs = nowUs;
      this.#windowBytes = 0;
    }
    this.#windowBytes += bytes;
    return !this.tripped;
  }
}
