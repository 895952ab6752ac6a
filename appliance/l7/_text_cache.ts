/**
 * Texts made from payload bytes, found again by those bytes: a path, host, DNS name, statement or
 * address that repeats (most of them do) is made into a string once, and later requests share it.
 * Making strings is the largest allocation of request parsing, and allocation is what L7 pays for
 * most. A direct-mapped table: each byte run hashes to one slot, which keeps the last text made
 * there. Every text is a pure function of its bytes and kind, so sharing is always safe.
 */
import { formatAddress } from "../decode/mod.ts";
import { ascii, text } from "./_bytes.ts";

const SLOTS = 4096;
/** Longest byte run cached (longer ones rarely repeat byte for byte). */
export const MAX_CACHED_BYTES = 160;

/** What a byte run is made into (a slot holds the text of one kind). */
export const TextKind = { Latin1: 1, Utf8: 2, DnsName: 3, Answer: 4, Address: 5 } as const;
export type TextKind = typeof TextKind[keyof typeof TextKind];

const keys = new Uint8Array(SLOTS * MAX_CACHED_BYTES);
/** Length of the bytes in each slot, or -1 for an empty one. */
const lengths = new Int32Array(SLOTS).fill(-1);
const kinds = new Uint8Array(SLOTS);
const texts: string[] = new Array<string>(SLOTS).fill("");
let hits = 0;
let misses = 0;

/** Where bytes `[start, end)` of `kind` are: the slot (≥ 0) when cached, else `-1 - slot`. */
export function findText(b: Uint8Array, start: number, end: number, kind: TextKind): number {
  let h = 0x811c9dc5 ^ kind;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h ^ (h >>> 13)) & (SLOTS - 1);
  const n = end - start;
  if (lengths[slot] === n && kinds[slot] === kind) {
    const base = slot * MAX_CACHED_BYTES - start;
    let i = start;
    while (i < end && keys[base + i] === b[i]) i++;
    if (i === end) {
      hits++;
      return slot;
    }
  }
  misses++;
  return -1 - slot;
}

/**
 * `make(b, start, end)` for bytes of `kind`, shared with earlier requests that had the same
 * bytes (longer runs than {@link MAX_CACHED_BYTES} are made every time). `make` must depend on
 * the bytes alone.
 */
export function sharedText(
  b: Uint8Array,
  start: number,
  end: number,
  kind: TextKind,
  make: (b: Uint8Array, start: number, end: number) => string,
): string {
  if (end <= start) return "";
  if (end - start > MAX_CACHED_BYTES) return make(b, start, end);
  const found = findText(b, start, end, kind);
  if (found >= 0) return texts[found]!;
  const slot = -1 - found;
  const value = make(b, start, end);
  const base = slot * MAX_CACHED_BYTES - start;
  for (let i = start; i < end; i++) keys[base + i] = b[i]!;
  lengths[slot] = end - start;
  kinds[slot] = kind;
  texts[slot] = value;
  return value;
}

/** {@link ascii}, shared with earlier requests that had the same bytes. */
export function asciiShared(b: Uint8Array, start: number, end: number): string {
  return sharedText(b, start, end, TextKind.Latin1, ascii);
}

/** {@link text} (UTF-8), shared with earlier requests that had the same bytes. */
export function textShared(b: Uint8Array, start: number, end: number): string {
  return sharedText(b, start, end, TextKind.Utf8, text);
}

/** The text of the IPv4 (4 bytes) or IPv6 (16) address `[start, end)`. */
function addressText(b: Uint8Array, start: number, end: number): string {
  return formatAddress(b, start, end - start === 4 ? 4 : 6);
}

/** The text of the IPv4 (4 bytes) or IPv6 (16) address at `at`, shared with earlier flows'. */
export function addressShared(b: Uint8Array, at: number, ipVersion: number): string {
  return sharedText(b, at, at + (ipVersion === 4 ? 4 : 16), TextKind.Address, addressText);
}

/** Lookups answered from the cache and not, since the process started (for tests and tuning). */
export function textCacheCounts(): { hits: number; misses: number } {
  return { hits, misses };
}
