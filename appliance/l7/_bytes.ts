/** Byte helpers shared by the parsers: bounded searches and ASCII/UTF-8 text. Never throw. */

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Longest text copied out of a payload into a record field. */
export const MAX_TEXT = 4096;

// The two searches below look at the last byte of each place the pattern could be, and move on
// by as much as that byte allows (Boyer-Moore-Horspool): in header text most bytes are neither
// CR nor LF, so they read a half (CRLF) or a quarter (CRLF CRLF) of the bytes.

/** Index of `\r\n` in `[from, end)`, or -1. */
export function findCrlf(b: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i + 1 < end) {
    const c = b[i + 1];
    if (c === 10) {
      if (b[i] === 13) return i;
      i += 2;
    } else if (c === 13) i += 1;
    else i += 2;
  }
  return -1;
}

/** Index of `\r\n\r\n` in `[from, end)`, or -1. */
export function findHeaderEnd(b: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i + 3 < end) {
    const c = b[i + 3];
    if (c === 10) {
      if (b[i + 2] === 13 && b[i + 1] === 10 && b[i] === 13) return i;
      i += 2;
    } else if (c === 13) i += 1;
    else i += 4;
  }
  return -1;
}

/** Index of `value` in `[from, end)`, or -1. */
export function indexOfByte(b: Uint8Array, value: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (b[i] === value) return i;
  return -1;
}

/** Reused argument list of {@link ascii}: one string is made from it, no array per call. */
const codes: number[] = [];

/** Latin-1 text of `[start, end)`, at most {@link MAX_TEXT} bytes. */
export function ascii(b: Uint8Array, start: number, end: number): string {
  if (end - start > MAX_TEXT) end = start + MAX_TEXT;
  const n = end - start;
  if (n <= 0) return "";
  if (n < 12) {
    // Short: a few one-character appends are cheaper than the call below.
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  codes.length = n;
  for (let i = 0; i < n; i++) codes[i] = b[start + i]!;
  return String.fromCharCode.apply(null, codes);
}

/** UTF-8 text of `[start, end)`, at most {@link MAX_TEXT} bytes (damaged bytes become U+FFFD). */
export function text(b: Uint8Array, start: number, end: number): string {
  if (end - start > MAX_TEXT) end = start + MAX_TEXT;
  if (end <= start) return "";
  let i = start;
  while (i < end && b[i]! < 0x80) i++;
  if (i === end) return ascii(b, start, end);
  return utf8.decode(b.subarray(start, end));
}

/** True when `[start, end)` equals the ASCII `word`, letters compared case-insensitively. */
export function equalsIgnoreCase(b: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    let c = b[start + i]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** True when the bytes at `start` begin with the ASCII `word` (exact case). */
export function startsWith(b: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start < word.length) return false;
  for (let i = 0; i < word.length; i++) if (b[start + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** Decimal digits `[start, end)` as a number; -1 when empty, not digits, or too long. */
export function parseDecimal(b: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Hex digits as a number (chunk sizes); -1 when empty, not hex, or too long. */
export function parseHex(b: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 12) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    const d = c >= 48 && c <= 57
      ? c - 48
      : c >= 97 && c <= 102
      ? c - 87
      : c >= 65 && c <= 70
      ? c - 55
      : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

/** True when `[start, end)` is hex digits only (and not empty). */
export function isHex(b: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = b[i]! | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** A hex digit's character code in lowercase. */
function lower(c: number): number {
  return c >= 65 && c <= 70 ? c + 32 : c;
}

/** 16 hex digits at `s` in lowercase: one call with its arguments, no list (span ids, 64-bit ids). */
// deno-fmt-ignore
function lowerHex16(b: Uint8Array, s: number): string {
  return String.fromCharCode(
    lower(b[s]!), lower(b[s + 1]!), lower(b[s + 2]!), lower(b[s + 3]!),
    lower(b[s + 4]!), lower(b[s + 5]!), lower(b[s + 6]!), lower(b[s + 7]!),
    lower(b[s + 8]!), lower(b[s + 9]!), lower(b[s + 10]!), lower(b[s + 11]!),
    lower(b[s + 12]!), lower(b[s + 13]!), lower(b[s + 14]!), lower(b[s + 15]!),
  );
}

/** 32 hex digits at `s` in lowercase (128-bit trace ids), as {@link lowerHex16}. */
// deno-fmt-ignore
function lowerHex32(b: Uint8Array, s: number): string {
  return String.fromCharCode(
    lower(b[s]!), lower(b[s + 1]!), lower(b[s + 2]!), lower(b[s + 3]!),
    lower(b[s + 4]!), lower(b[s + 5]!), lower(b[s + 6]!), lower(b[s + 7]!),
    lower(b[s + 8]!), lower(b[s + 9]!), lower(b[s + 10]!), lower(b[s + 11]!),
    lower(b[s + 12]!), lower(b[s + 13]!), lower(b[s + 14]!), lower(b[s + 15]!),
    lower(b[s + 16]!), lower(b[s + 17]!), lower(b[s + 18]!), lower(b[s + 19]!),
    lower(b[s + 20]!), lower(b[s + 21]!), lower(b[s + 22]!), lower(b[s + 23]!),
    lower(b[s + 24]!), lower(b[s + 25]!), lower(b[s + 26]!), lower(b[s + 27]!),
    lower(b[s + 28]!), lower(b[s + 29]!), lower(b[s + 30]!), lower(b[s + 31]!),
  );
}

/** Hex digits `[start, end)` as lowercase text (the caller checked them with {@link isHex}). */
export function lowerHex(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  // Trace and span ids: a call with fixed arguments costs half of one with a list.
  if (n === 32) return lowerHex32(b, start);
  if (n === 16) return lowerHex16(b, start);
  if (n > MAX_TEXT) return "";
  codes.length = n;
  for (let i = 0; i < n; i++) {
    const c = b[start + i]!;
    codes[i] = c >= 65 && c <= 70 ? c + 32 : c;
  }
  return String.fromCharCode.apply(null, codes);
}

/** True for printable ASCII and tab/CR/LF. */
export function isTextByte(c: number): boolean {
  return (c >= 32 && c < 127) || c === 9 || c === 10 || c === 13;
}

export function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

export function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

export function u16le(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8);
}

export function u24le(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
}

export function u32le(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}
