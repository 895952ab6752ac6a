/** Dotted-quad text of the IPv4 address at `b[at]`. */
export function formatIpv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/**
 * RFC 5952 text of the IPv6 address at `b[at]`: lowercase, no leading zeros, the longest run of
 * two or more zero groups (the first on a tie) as `::`, and IPv4-mapped/compatible addresses with
 * a dotted quad as inet_ntop writes them.
 */
export function formatIpv6(b: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  const embedsIpv4 = bestStart === 0 &&
    (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff));
  const last = embedsIpv4 ? 6 : 8;
  let text = "";
  for (let i = 0; i < last; i++) {
    if (i === bestStart) {
      text += "::";
      i += bestLength - 1;
      continue;
    }
    if (text.length > 0 && !text.endsWith(":")) text += ":";
    text += groups[i]!.toString(16);
  }
  if (embedsIpv4) text += `${text.endsWith(":") ? "" : ":"}${formatIpv4(b, at + 12)}`;
  return text;
}

/** Text of the address at `b[at]` for IP version 4 or 6. */
export function formatAddress(b: Uint8Array, at: number, ipVersion: number): string {
  return ipVersion === 4 ? formatIpv4(b, at) : formatIpv6(b, at);
}

/** Colon-separated lowercase hex of the MAC address at `b[at]`. */
export function formatMac(b: Uint8Array, at: number): string {
  let text = "";
  for (let i = 0; i < 6; i++) {
    if (i > 0) text += ":";
    text += b[at + i]!.toString(16).padStart(2, "0");
  }
  return text;
}
