import assert from "node:assert/strict";
import {
  formatBytes,
  formatBytesExact,
  formatCount,
  formatDurationUs,
  formatEndpoint,
  formatMinuteMs,
  formatTimestampUs,
  hasPorts,
  protocolName,
} from "./format.ts";

Deno.test("formatBytes() uses decimal units with three significant digits", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1000), "1 KB");
  assert.equal(formatBytes(1234), "1.2 KB");
  assert.equal(formatBytes(12_345), "12 KB");
  assert.equal(formatBytes(123_456), "123 KB");
  assert.equal(formatBytes(3_456_789), "3.5 MB");
  assert.equal(formatBytes(1.5e9), "1.5 GB");
  assert.equal(formatBytes(9e18), "9 EB");
});

Deno.test("formatBytes() never rounds up to 1000 of a unit", () => {
  assert.equal(formatBytes(999_999), "1 MB");
  assert.equal(formatBytes(999_499), "999 KB");
});

Deno.test("formatBytes() survives values no counter should reach", () => {
  assert.equal(formatBytes(Number.NaN), "—");
  assert.equal(formatBytes(Number.POSITIVE_INFINITY), "—");
  assert.match(formatBytes(Number.MAX_VALUE), /^[\d.]+e?\+?\d* YB$/);
  assert.equal(formatBytes(-2048), "-2 KB");
});

Deno.test("formatBytesExact() groups digits", () => {
  assert.equal(formatBytesExact(1_234_567), "1,234,567 bytes");
  assert.equal(formatBytesExact(1), "1 byte");
});

Deno.test("formatCount() groups thousands the same in every locale", () => {
  assert.equal(formatCount(1234), "1,234");
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(Number.NaN), "—");
});

Deno.test("formatTimestampUs() prints UTC with milliseconds", () => {
  const us = Date.UTC(2026, 10, 25, 17, 3, 12, 345) * 1000 + 999;
  assert.equal(formatTimestampUs(us), "2026-11-25 17:03:12.345");
  assert.equal(formatTimestampUs(0), "1970-01-01 00:00:00.000");
  assert.equal(formatTimestampUs(Number.NaN), "—");
  assert.equal(formatTimestampUs(1e20), "—");
});

Deno.test("formatMinuteMs() prints HH:MM in UTC, with the date on request", () => {
  const ms = Date.UTC(2026, 10, 25, 7, 5);
  assert.equal(formatMinuteMs(ms), "07:05");
  assert.equal(formatMinuteMs(ms, true), "11-25 07:05");
});

Deno.test("formatDurationUs() picks a unit by magnitude", () => {
  assert.equal(formatDurationUs(0), "0 µs");
  assert.equal(formatDurationUs(850), "850 µs");
  assert.equal(formatDurationUs(1_500), "1.5 ms");
  assert.equal(formatDurationUs(12_340), "12.3 ms");
  assert.equal(formatDurationUs(450_100), "450 ms");
  assert.equal(formatDurationUs(4_250_000), "4.25 s");
  assert.equal(formatDurationUs(10_000_000), "10 s");
  assert.equal(formatDurationUs(47_655_000), "47.7 s");
  assert.equal(formatDurationUs(125_000_000), "2 m 05 s");
  assert.equal(formatDurationUs(-1), "—");
});

Deno.test("protocolName() names TCP, UDP, ICMP and ICMPv6 and numbers the rest", () => {
  assert.equal(protocolName(6), "TCP");
  assert.equal(protocolName(17), "UDP");
  assert.equal(protocolName(1), "ICMP");
  assert.equal(protocolName(58), "ICMPv6");
  assert.equal(protocolName(47), "47");
});

Deno.test("hasPorts() is true only for port-carrying transports", () => {
  assert.equal(hasPorts(6), true);
  assert.equal(hasPorts(17), true);
  assert.equal(hasPorts(132), true);
  assert.equal(hasPorts(1), false);
  assert.equal(hasPorts(58), false);
  assert.equal(hasPorts(47), false);
});

Deno.test("formatEndpoint() brackets IPv6 addresses that carry a port", () => {
  assert.equal(formatEndpoint("10.0.0.1", 443), "10.0.0.1:443");
  assert.equal(formatEndpoint("2001:db8::1", 443), "[2001:db8::1]:443");
  assert.equal(formatEndpoint("2001:db8::1", undefined), "2001:db8::1");
  assert.equal(formatEndpoint("10.0.0.1", 0), "10.0.0.1:0");
});
