import type { CapturedPacket } from "./packet.ts";

const TWO_32 = 4_294_967_296;

const enum Kind {
  /** 10^-n, n ≤ 6: µs = value · param. */
  DecimalCoarse,
  /** 10^-n, 7 ≤ n ≤ 12: µs = value / param with param = 10^(n-6) < 2^21. */
  DecimalFine,
  /** 2^-n, n ≤ 32: seconds = value >> n. */
  Binary,
  /** Anything finer: BigInt arithmetic (no capture tool writes these). */
  Exotic,
}

/**
 * How one pcapng interface's 64-bit timestamps (high·2³² + low units since the epoch) become µs
 * plus ns, chosen once per IDB so that the common resolutions are exact in doubles without BigInt.
 */
export class InterfaceClock {
  readonly #kind: Kind = Kind.DecimalCoarse;
  readonly #param: number = 1;
  readonly #unitsPerSecond: bigint = 1_000_000n;
  readonly #offsetUs: number;

  /**
   * `tsresol` is the `if_tsresol` byte (draft-ietf-opsawg-pcapng §4.2: MSB clear = 10^-n,
   * MSB set = 2^-(n & 0x7f); 6 when absent); `offsetSeconds` is `if_tsoffset`.
   */
  constructor(tsresol = 6, offsetSeconds = 0) {
    this.#offsetUs = offsetSeconds * 1_000_000;
    const exponent = tsresol & 0x7f;
    if ((tsresol & 0x80) === 0) {
      if (exponent <= 6) this.#param = 10 ** (6 - exponent);
      else if (exponent <= 12) {
        this.#kind = Kind.DecimalFine;
        this.#param = 10 ** (exponent - 6);
      } else {
        this.#kind = Kind.Exotic;
        this.#unitsPerSecond = 10n ** BigInt(exponent);
      }
    } else if (exponent <= 32) {
      this.#kind = Kind.Binary;
      this.#param = 2 ** exponent;
    } else {
      this.#kind = Kind.Exotic;
      this.#unitsPerSecond = 1n << BigInt(exponent);
    }
  }

  /** Sets `timestampUs` and `extraNs` of `packet` from a timestamp's two 32-bit halves. */
  stamp(high: number, low: number, packet: CapturedPacket): void {
    let us: number;
    let ns = 0;
    switch (this.#kind) {
      case Kind.DecimalCoarse:
        us = (high * TWO_32 + low) * this.#param;
        break;
      case Kind.DecimalFine: {
        const d = this.#param;
        const highQuotient = Math.floor(high / d);
        const rest = (high - highQuotient * d) * TWO_32 + low;
        const restQuotient = Math.floor(rest / d);
        us = highQuotient * TWO_32 + restQuotient;
        ns = Math.floor((rest - restQuotient * d) * 1000 / d);
        break;
      }
      case Kind.Binary: {
        const units = this.#param;
        const lowSeconds = Math.floor(low / units);
        const fraction = (low - lowSeconds * units) * 1_000_000;
        const micros = Math.floor(fraction / units);
        us = (high * (TWO_32 / units) + lowSeconds) * 1_000_000 + micros;
        ns = Math.floor((fraction - micros * units) * 1000 / units);
        break;
      }
      default: {
        const value = (BigInt(high) << 32n) | BigInt(low);
        const scaled = value * 1_000_000_000n / this.#unitsPerSecond;
        us = Number(scaled / 1000n);
        ns = Number(scaled % 1000n);
      }
    }
    packet.timestampUs = us + this.#offsetUs;
    packet.extraNs = ns;
  }
}
