// Display formatting shared by every page. Everything here is pure and locale-independent so that
// the server renders the same text whatever the host's locale, and tests can pin exact strings.

const GROUPED = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** `1234567` → `"1,234,567"`; non-finite numbers render as an em dash. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? GROUPED.format(n) : "—";
}

// Decimal (SI) multiples: network tools count bytes on the wire in powers of 1000.
const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"] as const;

/** `1234` → `"1.2 KB"`, `123456` → `"123 KB"`, `512` → `"512 B"`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "—";
  const sign = bytes < 0 ? "-" : "";
  let value = Math.abs(bytes);
  if (value < 1000) return `${sign}${Math.round(value)} B`;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // Three significant digits, without letting rounding produce "1000 KB".
  let text = value < 10 ? value.toFixed(1) : value.toFixed(0);
  if (Number(text) >= 1000 && unit < BYTE_UNITS.length - 1) {
    unit++;
    text = (value / 1000).toFixed(1);
  }
  return `${sign}${text.replace(/\.0$/, "")} ${BYTE_UNITS[unit]}`;
}

/** Exact byte count for a title attribute: `"1,234,567 bytes"`. */
export function formatBytesExact(bytes: number): string {
  return `${formatCount(bytes)} ${bytes === 1 ? "byte" : "bytes"}`;
}

function isoFromMs(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  // Years outside 0..9999 render with a sign in ISO form and would break the fixed layout.
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) return undefined;
  return date.toISOString();
}

/** µs since epoch → `"2026-11-25 17:03:12.345"` (UTC, millisecond precision). */
export function formatTimestampUs(us: number): string {
  const iso = isoFromMs(Math.floor(us / 1000));
  return iso === undefined ? "—" : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** µs since epoch → `"17:03:12.345"` (UTC time of day only). */
export function formatTimeOfDayUs(us: number): string {
  const iso = isoFromMs(Math.floor(us / 1000));
  return iso === undefined ? "—" : iso.slice(11, 23);
}

/** True when both µs timestamps fall on the same UTC calendar day. */
export function sameUtcDayUs(a: number, b: number): boolean {
  const x = isoFromMs(Math.floor(a / 1000));
  const y = isoFromMs(Math.floor(b / 1000));
  return x !== undefined && y !== undefined && x.slice(0, 10) === y.slice(0, 10);
}

/** ms since epoch → `"17:03"` (UTC), or `"11-25 17:03"` with `withDate`. */
export function formatMinuteMs(ms: number, withDate = false): string {
  const iso = isoFromMs(ms);
  if (iso === undefined) return "—";
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

/** A duration in µs → `"850 µs"`, `"12.3 ms"`, `"4.25 s"`, `"2 m 05 s"`. */
export function formatDurationUs(us: number): string {
  if (!Number.isFinite(us) || us < 0) return "—";
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${trimFixed(us / 1000, us < 10_000 ? 2 : us < 100_000 ? 1 : 0)} ms`;
  if (us < 60_000_000) return `${trimFixed(us / 1_000_000, us < 10_000_000 ? 2 : 1)} s`;
  const totalSeconds = Math.round(us / 1_000_000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = String(totalSeconds % 60).padStart(2, "0");
  return hours > 0
    ? `${hours} h ${String(minutes).padStart(2, "0")} m`
    : `${minutes} m ${seconds} s`;
}

function trimFixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

// IANA protocol numbers. Only the ones flow logs show by name; anything else renders as a number.
const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [1, "ICMP"],
  [6, "TCP"],
  [17, "UDP"],
  [58, "ICMPv6"],
]);

/** IP protocol number → `"TCP"`, `"UDP"`, `"ICMP"`, `"ICMPv6"`, else the number as text. */
export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES.get(protocol) ?? String(protocol);
}

// Transport protocols with port numbers: DCCP, TCP, UDP, SCTP, UDP-Lite. For any other protocol
// (ICMP, GRE, ESP, …) a flow's port fields are 0 or carry something else, such as ICMP type/code.
const PORTED_PROTOCOLS: ReadonlySet<number> = new Set([6, 17, 33, 132, 136]);

/** True when flows of this IP protocol have client and server ports worth showing. */
export function hasPorts(protocol: number): boolean {
  return PORTED_PROTOCOLS.has(protocol);
}

/** `("10.0.0.1", 443)` → `"10.0.0.1:443"`; IPv6 gets brackets: `"[2001:db8::1]:443"`. */
export function formatEndpoint(ip: string, port: number | undefined): string {
  if (port === undefined) return ip;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
