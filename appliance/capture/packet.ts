import type { CaptureError } from "./errors.ts";

const EMPTY = new Uint8Array(0);

/**
 * One captured packet. A source reuses a single instance and overwrites it on every `next()`, so
 * copy what must outlive the step. The frame bytes stay in `buffer` (the whole capture file, or a
 * live capture ring): `buffer[dataOffset .. dataOffset + capturedLength)`. Never write into it: a
 * large capture file is mapped read-only (see `openCaptureFile`), and a write there kills the
 * process.
 */
export class CapturedPacket {
  /** 1-based position in the source. */
  number = 0;
  /** µs since the Unix epoch (an integer). */
  timestampUs = 0;
  /** Nanoseconds past `timestampUs` (0–999), from nanosecond captures; 0 otherwise. */
  extraNs = 0;
  capturedLength = 0;
  /** Length on the wire; never less than `capturedLength`. */
  originalLength = 0;
  /**
   * LINKTYPE_* value of the interface the packet came from: a pcapng file may mix interfaces of
   * different link types, so decode each packet by its own, not the source's.
   */
  linkType = 0;
  /** Index of that interface in its pcapng section (0 for pcap and live sources). */
  interfaceId = 0;
  buffer: Uint8Array = EMPTY;
  dataOffset = 0;

  /** A view of the frame bytes (no copy; allocates a view, so not for the hot path). */
  get data(): Uint8Array {
    return this.buffer.subarray(this.dataOffset, this.dataOffset + this.capturedLength);
  }
}

/**
 * Where packets come from: a capture file (pcap, pcapng) or a live interface. Pull-style so that
 * the hot path allocates nothing: `while (source.next()) use(source.packet)`.
 */
export interface PacketSource {
  /** Short name of the container format, e.g. `"pcap"`. */
  readonly format: string;
  /** Link type of the first (or only) interface. */
  readonly linkType: number;
  /** The current packet, valid until the next call to `next()`. */
  readonly packet: CapturedPacket;
  /**
   * Advances to the next packet. Returns false at the end of the input, and also when the input is
   * damaged: `error` then tells where, after every packet before the damage has been returned.
   */
  next(): boolean;
  /** Set once `next()` has returned false because the input is damaged. */
  readonly error: CaptureError | undefined;
}
