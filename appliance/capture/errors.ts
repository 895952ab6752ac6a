/** Why a capture could not be read, or where it stopped being readable. */
export type CaptureErrorCode =
  | "io"
  | "unsupported_format"
  | "truncated_file_header"
  | "bad_magic"
  | "unsupported_version"
  | "truncated_record_header"
  | "truncated_packet"
  | "bad_record"
  | "truncated_block"
  | "bad_block"
  | "live";

export interface CaptureErrorOptions {
  cause?: unknown;
  /** 1-based number of the packet whose record is damaged. */
  packetNumber?: number;
  /** Byte offset of that record in the file. */
  offset?: number;
  /** pcapng: 1-based number of the damaged block. */
  blockNumber?: number;
}

/**
 * A capture that cannot be read at all (`packetNumber` undefined) or that is damaged after some
 * good packets (`packetNumber` names the first damaged record; the packets before it are valid).
 */
export class CaptureError extends Error {
  override name = "CaptureError";
  readonly code: CaptureErrorCode;
  readonly packetNumber: number | undefined;
  readonly offset: number | undefined;
  readonly blockNumber: number | undefined;

  constructor(code: CaptureErrorCode, message: string, options: CaptureErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.packetNumber = options.packetNumber;
    this.offset = options.offset;
    this.blockNumber = options.blockNumber;
  }

  /** True when the packets before the damage were read and are usable. */
  get isPartial(): boolean {
    return this.packetNumber !== undefined;
  }
}
