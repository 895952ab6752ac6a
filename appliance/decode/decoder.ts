import type { CapturedPacket } from "../capture/mod.ts";
import { DECODE_ERRORS, DecodedPacket, type DecodeErrorName, DecodeStatus } from "./decoded.ts";
import { decodeFrame } from "./frame.ts";

/** One malformed packet, described for people. */
export interface DecodeErrorSample {
  packet: number;
  kind: DecodeErrorName;
  message: string;
}

export interface DecoderOptions {
  /** How many malformed packets to describe in `samples` (default 20). */
  maxSamples?: number;
}

/** Text for the error recorded in `out`, e.g. `ipv4_truncated: IPv4 header truncated: need 20 bytes, have 14 (packet 812, offset 14)`. */
export function describeDecodeError(out: DecodedPacket): string {
  const [name, what] = DECODE_ERRORS[out.error] ?? ["unknown", "unknown error"];
  const where = `(packet ${out.number}, offset ${out.errorOffset})`;
  if (name === "unsupported_link_type") return `${name}: ${what} ${out.errorHave} ${where}`;
  return `${name}: ${what}: need ${out.errorNeed} bytes, have ${out.errorHave} ${where}`;
}

/**
 * Decodes captured packets into one reused {@link DecodedPacket} and keeps the tallies: malformed
 * packets by kind (with a few samples) and non-IP packets.
 */
export class Decoder {
  readonly out: DecodedPacket = new DecodedPacket();
  readonly samples: DecodeErrorSample[] = [];
  /** Packets that are not IP (ARP, LLDP, …). */
  notIp = 0;
  malformed = 0;
  readonly #counts: number[] = DECODE_ERRORS.map(() => 0);
  readonly #maxSamples: number;

  constructor(options: DecoderOptions = {}) {
    this.#maxSamples = options.maxSamples ?? 20;
  }

  decode(packet: CapturedPacket): DecodeStatus {
    const out = this.out;
    out.reset();
    out.buffer = packet.buffer;
    out.number = packet.number;
    out.timestampUs = packet.timestampUs;
    out.frameLength = packet.originalLength;
    const start = packet.dataOffset;
    const status = decodeFrame(
      packet.buffer,
      start,
      start + packet.capturedLength,
      packet.linkType,
      out,
    );
    if (status === DecodeStatus.Malformed) {
      this.malformed++;
      this.#counts[out.error]!++;
      if (this.samples.length < this.#maxSamples) {
        out.errorOffset -= start;
        this.samples.push({
          packet: packet.number,
          kind: DECODE_ERRORS[out.error]![0],
          message: describeDecodeError(out),
        });
      }
    } else if (status === DecodeStatus.NotIp) {
      this.notIp++;
    }
    return status;
  }

  /** Malformed packets by kind; kinds never seen are left out. */
  errorCounts(): Partial<Record<DecodeErrorName, number>> {
    const counts: Partial<Record<DecodeErrorName, number>> = {};
    DECODE_ERRORS.forEach(([name], i) => {
      if (this.#counts[i]! > 0) counts[name] = this.#counts[i]!;
    });
    return counts;
  }
}
