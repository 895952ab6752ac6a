/**
 * TCP reassembly for L7, one {@link TcpStream} per flow direction: bytes reach the consumer once
 * and in order. Retransmitted bytes are skipped; segments ahead of the expected sequence number
 * wait (copied) up to a bound; past it, or when the peer acknowledges bytes the capture never
 * saw, the stream declares a gap and goes on from the earliest segment it holds, and the
 * consumer resynchronises. In-order segments are handed over as views into the packet buffer.
 */

/** Who gets the stream's bytes (the L7 engine), with its counters and bounds. */
export interface StreamConsumer {
  readonly streamStats: StreamStats;
  /** Most segments / bytes held ahead of a missing one, per direction. */
  readonly maxHeld: number;
  readonly maxHeldBytes: number;
  /** In-order bytes `[start, end)` of `bytes`; `seq` is the sequence number of `start`. */
  data(stream: TcpStream, bytes: Uint8Array, start: number, end: number, seq: number): void;
  /** Bytes were lost before the next `data`: drop partial messages. */
  gap(stream: TcpStream): void;
}

export interface StreamStats {
  /** Segments (or their leading parts) skipped as already delivered. */
  retransmitted: number;
  /** Segments held because they came ahead of a missing one. */
  outOfOrder: number;
  /** Times the hold bound was exceeded (the missing bytes given up for lost). */
  outOfOrderOverflow: number;
  /** Losses declared: by the bound, by the peer's acknowledgement, by truncated captures. */
  gaps: number;
}

export const DEFAULT_MAX_HELD_SEGMENTS = 32;
export const DEFAULT_MAX_HELD_BYTES = 256 * 1024;

/** Signed distance from `b` to `a` in sequence space (RFC 793 modulo 2^32 arithmetic). */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

// Shared empty lists: a stream makes its own at its first out-of-order segment.
const NONE_HELD: number[] = [];
const NO_DATA: Uint8Array[] = [];

/** One direction of a TCP flow, as L7 sees it. The engine keeps its framing state here too. */
export class TcpStream {
  /** Next expected sequence number, valid once `started`. */
  next = 0;
  started = false;
  /** Segments held ahead of `next`: sequence number and a copy of the bytes. */
  #heldSeq: number[] = NONE_HELD;
  #heldData: Uint8Array[] = NO_DATA;
  #heldBytes = 0;

  // Framing state of the consumer: an incomplete message and bytes still to skip.
  buffer: Uint8Array | undefined;
  bufferLength = 0;
  bufferSeq = 0;
  bufferTime = 0;
  skip = 0;

  constructor(readonly consumer: StreamConsumer, readonly direction: 0 | 1) {}

  get held(): number {
    return this.#heldSeq.length;
  }

  /** Starts the stream at a SYN (its sequence number + 1 is the first data byte). */
  syn(seq: number): void {
    if (this.started) return;
    this.next = (seq + 1) >>> 0;
    this.started = true;
  }

  /**
   * One segment's payload `[start, end)` of `bytes`. `lostAfter` > 0 says the capture cut the
   * segment short: that many bytes after `end` are missing. (Positional parameters: this runs
   * per packet and must not allocate.)
   */
  segment(seq: number, bytes: Uint8Array, start: number, end: number, lostAfter: number): void {
    const io = this.consumer;
    const stats = io.streamStats;
    if (!this.started) {
      this.next = seq;
      this.started = true;
    }
    const ahead = seqDiff(seq, this.next);
    if (ahead < 0) {
      if (ahead + (end - start) <= 0) {
        stats.retransmitted++;
        return;
      }
      start -= ahead;
      seq = this.next;
    } else if (ahead > 0) {
      if (this.#heldSeq.length < io.maxHeld && this.#heldBytes + end - start <= io.maxHeldBytes) {
        stats.outOfOrder++;
        if (this.#heldSeq === NONE_HELD) {
          this.#heldSeq = [];
          this.#heldData = [];
        }
        this.#heldSeq.push(seq);
        this.#heldData.push(bytes.slice(start, end));
        this.#heldBytes += end - start;
        return;
      }
      stats.outOfOrderOverflow++;
      this.#giveUpMissing();
      // The earliest held segment may still lie before this one.
      if (seqDiff(seq, this.next) > 0) {
        stats.gaps++;
        io.gap(this);
        this.next = seq;
      } else if (seqDiff(seq, this.next) + (end - start) <= 0) {
        return;
      } else {
        start += seqDiff(this.next, seq);
        seq = this.next;
      }
    }
    if (start < end) {
      io.data(this, bytes, start, end, seq);
      this.next = (seq + end - start) >>> 0;
    }
    if (lostAfter > 0) {
      stats.gaps++;
      io.gap(this);
      this.next = (this.next + lostAfter) >>> 0;
    }
    if (this.#heldSeq.length > 0) this.#drainHeld();
  }

  /**
   * The peer acknowledged up to `ack`: bytes before it that never came were lost by the
   * capture (the receiver had them). Go on from what is held.
   */
  acknowledged(ack: number): void {
    if (!this.started || this.#heldSeq.length === 0 || seqDiff(ack, this.next) <= 0) return;
    this.#giveUpMissing();
  }

  /** Drops the held segments (the flow ended). */
  clear(): void {
    this.#heldSeq.length = 0;
    this.#heldData.length = 0;
    this.#heldBytes = 0;
    this.buffer = undefined;
    this.bufferLength = 0;
    this.skip = 0;
  }

  /** Jumps `next` to the earliest held segment and delivers from there. */
  #giveUpMissing(): void {
    const consumer = this.consumer;
    const stats = consumer.streamStats;
    if (this.#heldSeq.length === 0) return;
    let earliest = 0;
    for (let i = 1; i < this.#heldSeq.length; i++) {
      if (seqDiff(this.#heldSeq[i]!, this.#heldSeq[earliest]!) < 0) earliest = i;
    }
    const seq = this.#heldSeq[earliest]!;
    if (seqDiff(seq, this.next) > 0) {
      stats.gaps++;
      consumer.gap(this);
      this.next = seq;
    }
    this.#drainHeld();
  }

  /** Delivers held segments that now start at or before `next`, repeatedly. */
  #drainHeld(): void {
    const consumer = this.consumer;
    const stats = consumer.streamStats;
    let progress = true;
    while (progress && this.#heldSeq.length > 0) {
      progress = false;
      for (let i = 0; i < this.#heldSeq.length; i++) {
        const seq = this.#heldSeq[i]!;
        const ahead = seqDiff(seq, this.next);
        if (ahead > 0) continue;
        const data = this.#heldData[i]!;
        this.#heldSeq.splice(i, 1);
        this.#heldData.splice(i, 1);
        this.#heldBytes -= data.length;
        if (ahead + data.length <= 0) {
          stats.retransmitted++;
        } else {
          consumer.data(this, data, -ahead, data.length, this.next);
          this.next = (this.next + data.length + ahead) >>> 0;
        }
        progress = true;
        break;
      }
    }
  }
}
