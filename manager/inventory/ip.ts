// Addresses, prefixes and endpoints as the inventory stores them: parsed into bytes, written back
// in one canonical text form (RFC 5952 for IPv6) so that equal addresses compare equal as strings.

/** 4 bytes for IPv4, 16 for IPv6. */
export type IpBytes = Uint8Array;

function parseIpv4Into(s: string, out: Uint8Array, at: number): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p[0] === "0")) return false;
    out[at + i] = Number(p);
  }
  return true;
}

function parseIpv6(s: string): IpBytes | undefined {
  if (s.length < 2 || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (text: string): string[] => text === "" ? [] : text.split(":");
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: number[] = [];
  const bytes = new Uint8Array(16);
  const read = (list: string[], isLast: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      if (isLast && i === list.length - 1 && g.includes(".")) {
        const v4 = new Uint8Array(4);
        if (!parseIpv4Into(g, v4, 0)) return false;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      words.push(parseInt(g, 16));
    }
    return true;
  };
  if (!read(head, halves.length === 1)) return undefined;
  const headWords = words.length;
  if (!read(tail, true)) return undefined;
  const tailWords = words.length - headWords;
  if (halves.length === 1 ? words.length !== 8 : words.length > 7) return undefined;
  for (let i = 0; i < headWords; i++) {
    bytes[i * 2] = words[i]! >> 8;
    bytes[i * 2 + 1] = words[i]! & 0xff;
  }
  for (let i = 0; i < tailWords; i++) {
    const w = words[headWords + i]!;
    const at = 16 - (tailWords - i) * 2;
    bytes[at] = w >> 8;
    bytes[at + 1] = w & 0xff;
  }
  return bytes;
}

/** The bytes of an IPv4 or IPv6 address, or undefined when `s` is not one. */
export function parseIp(s: string): IpBytes | undefined {
  if (s.includes(":")) return parseIpv6(s);
  const out = new Uint8Array(4);
  return parseIpv4Into(s, out, 0) ? out : undefined;
}

/** The canonical text of an address: dotted quad, or RFC 5952 IPv6 (lower case, longest `::`). */
export function formatIp(bytes: IpBytes): string {
  if (bytes.length === 4) return bytes.join(".");
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

/** `s` in canonical form, or undefined when it is not an address. */
export function normalizeIp(s: string): string | undefined {
  const bytes = parseIp(s.trim());
  return bytes ? formatIp(bytes) : undefined;
}

export interface Cidr {
  bytes: IpBytes;
  prefix: number;
}

/**
 * A prefix `address/len` (a bare address is a host prefix). Host bits must be zero: a subnet
 * written `10.0.0.1/8` is more likely a typo than a wish, so it is refused rather than masked.
 */
export function parseCidr(s: string): Cidr | { error: string } {
  const [addr = "", len, extra] = s.trim().split("/");
  if (extra !== undefined) return { error: `"${s}" is not address/prefix` };
  const bytes = parseIp(addr);
  if (!bytes) return { error: `"${addr}" is not an IPv4 or IPv6 address` };
  const max = bytes.length * 8;
  if (len !== undefined && (!/^\d{1,3}$/.test(len) || Number(len) > max)) {
    return { error: `prefix length must be 0–${max}` };
  }
  const prefix = len === undefined ? max : Number(len);
  for (let bit = prefix; bit < max; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) {
      return {
        error: `"${s}" has host bits set; did you mean ${formatCidr(mask(bytes, prefix))}?`,
      };
    }
  }
  return { bytes, prefix };
}

function mask(bytes: IpBytes, prefix: number): Cidr {
  const out = new Uint8Array(bytes);
  for (let bit = prefix; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { bytes: out, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.bytes)}/${c.prefix}`;
}

/** `address:port` or `[v6]:port` → canonical text, or an error. */
export function parseEndpoint(s: string): { ip: string; port: number } | { error: string } {
  const text = s.trim();
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  if (!m) return { error: `"${s}" is not address:port (use [addr]:port for IPv6)` };
  const ip = normalizeIp(m[1]!);
  if (!ip) return { error: `"${m[1]}" is not an IPv4 or IPv6 address` };
  const port = Number(m[2]);
  if (port > 65535) return { error: `port ${port} is over 65535` };
  return { ip, port };
}

export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
