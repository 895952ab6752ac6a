/**
 * HPACK (RFC 7541): the header compression of HTTP/2. One {@link HpackDecoder} per connection
 * direction keeps that direction's dynamic table; every header block of the direction must go
 * through it in order, or the table drifts. Damaged input makes `decode` return false, never
 * throw.
 */
import { text } from "./_bytes.ts";

/** Receives the fields of a header block, in order. */
export interface HeaderHandler {
  header(name: string, value: string): void;
}

/** RFC 7541 Appendix A. */
const STATIC: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/**
 * RFC 7541 Appendix B, as the symbols of each code length: the code is canonical (codes of one
 * length are consecutive, in symbol order, after the last code of the shorter lengths), so the
 * lengths are all it takes to rebuild it. Symbol 256 is EOS.
 */
const SYMBOLS_BY_LENGTH: Readonly<Record<number, string>> = {
  5: "48 49 50 97 99 101 105 111 115 116",
  6: "32 37 45 46 47 51 52 53 54 55 56 57 61 65 95 98 100 102 103 104 108 109 110 112 114 117",
  7: "58 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 89 106 107 113 118 " +
    "119 120 121 122",
  8: "38 42 44 59 88 90",
  10: "33 34 40 41 63",
  11: "39 43 124",
  12: "35 62",
  13: "0 36 64 91 93 126",
  14: "94 125",
  15: "60 96 123",
  19: "92 195 208",
  20: "128 130 131 162 184 194 224 226",
  21: "153 161 167 172 176 177 179 209 216 217 227 229 230",
  22: "129 132 133 134 136 146 154 156 160 163 164 169 170 173 178 181 185 186 187 189 190 196 " +
    "198 228 232 233",
  23: "1 135 137 138 139 140 141 143 147 149 150 151 152 155 157 158 165 166 168 174 175 180 182 " +
    "183 188 191 197 231 239",
  24: "9 142 144 145 148 159 171 206 215 225 236 237",
  25: "199 207 234 235",
  26: "192 193 200 201 202 205 210 213 218 219 238 240 242 243 255",
  27: "203 204 211 212 214 221 222 223 241 244 245 246 247 248 250 251 252 253 254",
  28: "2 3 4 5 6 7 8 11 12 14 15 16 17 18 19 20 21 23 24 25 26 27 28 29 30 31 127 220 249",
  30: "10 13 22 256",
};

const EOS = 256;
const MAX_BITS = 30;

/** Canonical decoding tables: symbols in code order; per length, first code and its index. */
const huffmanSymbols = new Uint16Array(257);
const firstCode = new Int32Array(MAX_BITS + 2);
const firstIndex = new Int32Array(MAX_BITS + 2);
const countOf = new Int32Array(MAX_BITS + 2);
{
  let code = 0;
  let index = 0;
  for (let length = 1; length <= MAX_BITS; length++) {
    const symbols = SYMBOLS_BY_LENGTH[length]?.split(" ").map(Number) ?? [];
    firstCode[length] = code;
    firstIndex[length] = index;
    countOf[length] = symbols.length;
    for (const s of symbols) huffmanSymbols[index++] = s;
    code = (code + symbols.length) << 1;
  }
}

/** The Huffman code of `symbol` as [code, length] (for tests and encoders of test data). */
export function huffmanCode(symbol: number): [number, number] {
  for (let length = 1; length <= MAX_BITS; length++) {
    for (let k = 0; k < countOf[length]!; k++) {
      if (huffmanSymbols[firstIndex[length]! + k] === symbol) {
        return [firstCode[length]! + k, length];
      }
    }
  }
  return [-1, 0];
}

/** Decoded string bytes (grows to the longest string seen, bounded by {@link MAX_STRING}). */
let scratch = new Uint8Array(1024);
/** Longest header string decoded (longer ones make the block damaged). */
const MAX_STRING = 64 * 1024;
/** The last string literal read, and its length in octets. */
let lastString = "";
let lastOctets = 0;

/**
 * Huffman-decodes `[start, end)` into {@link scratch}; returns the byte count or -1 (EOS in the
 * string, padding longer than 7 bits or not all ones: RFC 7541 §5.2).
 */
export function huffmanDecode(b: Uint8Array, start: number, end: number): number {
  let n = 0;
  let code = 0;
  let length = 0;
  for (let i = start; i < end; i++) {
    const byte = b[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      length++;
      const k = code - firstCode[length]!;
      if (k < countOf[length]!) {
        const symbol = huffmanSymbols[firstIndex[length]! + k]!;
        if (symbol === EOS) return -1;
        if (n >= scratch.length) {
          if (scratch.length >= MAX_STRING) return -1;
          const grown = new Uint8Array(scratch.length * 2);
          grown.set(scratch);
          scratch = grown;
        }
        scratch[n++] = symbol;
        code = 0;
        length = 0;
      } else if (length >= MAX_BITS) {
        return -1;
      }
    }
  }
  if (length > 7 || code !== (1 << length) - 1) return -1;
  return n;
}

/** Where {@link readInteger} leaves its result. */
const intOut = { value: 0, next: 0 };
/** Reads an HPACK integer (§5.1) with an `n`-bit prefix at `pos`; false when cut or too large. */
function readInteger(b: Uint8Array, pos: number, end: number, n: number): boolean {
  if (pos >= end) return false;
  const max = (1 << n) - 1;
  let value = b[pos]! & max;
  pos++;
  if (value === max) {
    let shift = 0;
    for (;;) {
      if (pos >= end || shift > 21) return false;
      const c = b[pos++]!;
      value += (c & 0x7f) * 2 ** shift;
      shift += 7;
      if ((c & 0x80) === 0) break;
    }
  }
  intOut.value = value;
  intOut.next = pos;
  return true;
}

/** One direction's HPACK state. */
export class HpackDecoder {
  /** Dynamic table, newest last; sizes in octets (name + value + 32, §4.1). */
  readonly #names: string[] = [];
  readonly #values: string[] = [];
  readonly #sizes: number[] = [];
  readonly #nameOctets: number[] = [];
  #size = 0;
  #maxSize: number;
  /** Largest table size an update may ask for (SETTINGS_HEADER_TABLE_SIZE, or a bound). */
  limit: number;

  constructor(maxSize = 4096, limit = 1 << 20) {
    this.#maxSize = maxSize;
    this.limit = limit;
  }

  /** Octets the dynamic table holds. */
  get size(): number {
    return this.#size;
  }

  /** Entries of the dynamic table, newest first (index 62 first). */
  get entries(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = this.#names.length - 1; i >= 0; i--) out.push([this.#names[i]!, this.#values[i]!]);
    return out;
  }

  /** Forgets the dynamic table (after damage: later blocks may then fail until it refills). */
  reset(): void {
    this.#names.length =
      this.#values.length =
      this.#sizes.length =
      this.#nameOctets.length =
        0;
    this.#size = 0;
  }

  /** Decodes the header block `[start, end)`; false when it is damaged. */
  decode(b: Uint8Array, start: number, end: number, out: HeaderHandler): boolean {
    let pos = start;
    let fields = 0;
    while (pos < end) {
      const c = b[pos]!;
      if (c & 0x80) {
        // §6.1 indexed field.
        if (!readInteger(b, pos, end, 7) || intOut.value === 0) return false;
        pos = intOut.next;
        const i = intOut.value;
        if (i <= STATIC.length) {
          const e = STATIC[i - 1]!;
          out.header(e[0], e[1]);
        } else {
          const d = this.#names.length - (i - STATIC.length);
          if (d < 0) return false;
          out.header(this.#names[d]!, this.#values[d]!);
        }
        fields++;
        continue;
      }
      if ((c & 0xe0) === 0x20) {
        // §6.3 table size update: only before the first field of a block (§4.2).
        if (fields > 0 || !readInteger(b, pos, end, 5) || intOut.value > this.limit) return false;
        pos = intOut.next;
        this.#maxSize = intOut.value;
        this.#evict(0);
        continue;
      }
      // §6.2 literal: with indexing (01), without (0000) or never indexed (0001).
      const indexing = (c & 0xc0) === 0x40;
      if (!readInteger(b, pos, end, indexing ? 6 : 4)) return false;
      pos = intOut.next;
      const nameIndex = intOut.value;
      let name: string;
      let nameOctets: number;
      if (nameIndex === 0) {
        pos = this.#string(b, pos, end);
        if (pos < 0) return false;
        name = lastString;
        nameOctets = lastOctets;
      } else if (nameIndex <= STATIC.length) {
        name = STATIC[nameIndex - 1]![0];
        nameOctets = name.length;
      } else {
        const d = this.#names.length - (nameIndex - STATIC.length);
        if (d < 0) return false;
        name = this.#names[d]!;
        nameOctets = this.#nameOctets[d]!;
      }
      pos = this.#string(b, pos, end);
      if (pos < 0) return false;
      const value = lastString;
      if (indexing) this.#add(name, value, nameOctets, lastOctets);
      out.header(name, value);
      fields++;
    }
    return true;
  }

  /** Reads a string literal (§5.2) into {@link lastString}; the next position or -1. */
  #string(b: Uint8Array, pos: number, end: number): number {
    if (pos >= end) return -1;
    const huffman = (b[pos]! & 0x80) !== 0;
    if (!readInteger(b, pos, end, 7)) return -1;
    const from = intOut.next;
    const to = from + intOut.value;
    if (to > end) return -1;
    if (huffman) {
      const n = huffmanDecode(b, from, to);
      if (n < 0) return -1;
      lastString = text(scratch, 0, n);
      lastOctets = n;
    } else {
      lastString = text(b, from, to);
      lastOctets = to - from;
    }
    return to;
  }

  /** §4.4: evicts until the new entry fits, then adds it (an entry too large empties the table). */
  #add(name: string, value: string, nameOctets: number, valueOctets: number): void {
    const size = nameOctets + valueOctets + 32;
    this.#evict(size);
    if (size > this.#maxSize) return;
    this.#nameOctets.push(nameOctets);
    this.#names.push(name);
    this.#values.push(value);
    this.#sizes.push(size);
    this.#size += size;
  }

  #evict(room: number): void {
    let drop = 0;
    while (drop < this.#sizes.length && this.#size + room > this.#maxSize) {
      this.#size -= this.#sizes[drop++]!;
    }
    if (drop > 0) {
      this.#names.splice(0, drop);
      this.#values.splice(0, drop);
      this.#sizes.splice(0, drop);
      this.#nameOctets.splice(0, drop);
    }
  }
}
