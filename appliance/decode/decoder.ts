import type { CapturedPacket } from "../capture/mod.ts";
import { DECODE_ERRORS, DecodedPacket, type DecodeErrorName, DecodeStatus } from "./decoded.ts";
import { decodeFrame } from "./frame.ts";
import { Reassembler, type ReassemblyOptions, type ReassemblyStats } from "./reassembly.ts";

/** One malformed packet, described for people. */
export interface DecodeErrorSample {
  packet: number;
  kind: DecodeErrorName;
  /** The layer the error belongs to, e.g. `"ipv4"`. */
  layer: string;
  message: string;
}

export interface DecoderOptions {
  /** How many malformed packets to describe in `samples` (default 20). */
  maxSamples?: number;
  /** Bounds of IP fragment reassembly, or false to leave fragments as they are. */
  reassembly?: ReassemblyOptions | false;
}

/**
 * Text for the error recorded in `out`, e.g. `ipv4_truncated: IPv4 header truncated: need 20
 * bytes, have 14 (packet 812, offset 14)`. Offsets count from the start of the frame.
 */
export function describeDecodeError(out: DecodedPacket): string {
  const [name, , what] = DECODE_ERRORS[out.error] ?? ["unknown", "", "unknown error"];
  const depth = out.tunnelDepth > 0 ? `, tunnel depth ${out.tunnelDepth}` : "";
  const offset = out.buffer === out.frameBuffer
    ? out.errorOffset - out.frameOffset
    : out.errorOffset;
  const where = `(packet ${out.number}, offset ${offset}${
    out.buffer === out.frameBuffer ? "" : " in the reassembled datagram"
  }${depth})`;
  if (name === "unsupported_link_type") return `${name}: ${what} ${out.errorHave} ${where}`;
  return `${name}: ${what}: need ${out.errorNeed} bytes, have ${out.errorHave} ${where}`;
}

/**
 * Decodes captured packets into one reused {@link DecodedPacket} and keeps the tallies: malformed
 * packets by kind (with a few samples), non-IP packets, ARP, and IP reassembly.
 */
export class Decoder {
  readonly out: DecodedPacket = new DecodedPacket();
  readonly samples: DecodeErrorSample[] = [];
  /** Packets that are not IP (ARP, LLDP, …). */
  notIp = 0;
  /** ARP packets (also counted in `notIp`), by operation: 1 request, 2 reply, others. */
  arpRequests = 0;
  arpReplies = 0;
  arpOther = 0;
  malformed = 0;
  /** IP packets inside at least one tunnel. */
  tunnelled = 0;
  /** TCP segments whose options area ended inside an option (decoded anyway). */
  tcpOptionsMalformed = 0;
  readonly #counts: number[] = DECODE_ERRORS.map(() => 0);
  readonly #maxSamples: number;
  readonly #reassembler: Reassembler | undefined;

  constructor(options: DecoderOptions = {}) {
    this.#maxSamples = options.maxSamples ?? 20;
    this.#reassembler = options.reassembly === false
      ? undefined
      : new Reassembler(options.reassembly ?? {});
    this.out.fragments = this.#reassembler;
  }

  decode(packet: CapturedPacket): DecodeStatus {
    const out = this.out;
    out.reset();
    out.buffer = packet.buffer;
    out.frameBuffer = packet.buffer;
    out.number = packet.number;
    out.timestampUs = packet.timestampUs;
    out.frameLength = packet.originalLength;
    out.capturedLength = packet.capturedLength;
    const start = packet.dataOffset;
    const status = decodeFrame(
      packet.buffer,
      start,
      start + packet.capturedLength,
      packet.linkType,
      out,
    );
    if (status === DecodeStatus.Ok) {
      if (out.tunnelDepth > 0) this.tunnelled++;
      if (out.tcpOptionsMalformed) this.tcpOptionsMalformed++;
    } else if (status === DecodeStatus.Malformed) {
      this.malformed++;
      this.#counts[out.error]!++;
      if (this.samples.length < this.#maxSamples) {
        const [kind, layer] = DECODE_ERRORS[out.error]!;
        this.samples.push({
          packet: packet.number,
          kind,
          layer,
          message: describeDecodeError(out),
        });
      }
    } else {
      this.notIp++;
      if (out.arpOffset >= 0) {
        if (out.arpOpcode === 1) this.arpRequests++;
        else if (out.arpOpcode === 2) this.arpReplies++;
        else this.arpOther++;
      }
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

  /** IP reassembly counters; undefined when reassembly is off. */
  get reassembly(): ReassemblyStats | undefined {
    return this.#reassembler?.stats;
  }
}
