import assert from "node:assert/strict";
import type { LicenseTerms } from "./document.ts";
import type { ModuleKey } from "./modules.ts";
import { computeLicensing, DAY_MS, mayEnrollAppliance } from "./state.ts";

const T0 = Date.parse("2026-11-25T00:00:00Z");

function terms(
  id: string,
  modules: ModuleKey[],
  from: number,
  days: number,
  over: { graceDays?: number; appliances?: number; bw?: number } = {},
): LicenseTerms {
  const notAfterMs = from + days * DAY_MS;
  const graceDays = over.graceDays ?? 7;
  return {
    id,
    customer: "c",
    modules,
    notBeforeMs: from,
    notAfterMs,
    graceEndsMs: notAfterMs + graceDays * DAY_MS,
    graceDays,
    limits: {
      appliances: over.appliances ?? 1,
      ...(over.bw === undefined ? {} : { captureBandwidthBps: over.bw }),
    },
  };
}

Deno.test("computeLicensing() with no license: nothing enabled, a notice says so", () => {
  const s = computeLicensing([], T0);
  assert.equal(s.enabled.size, 0);
  assert.equal(s.modules.network_monitoring.status, "unlicensed");
  assert.deepEqual(s.limits, { appliances: 0 });
  assert.equal(s.notices.length, 1);
  assert.equal(s.notices[0]!.kind, "no_license");
});

Deno.test("computeLicensing() follows one license from not-yet-valid to active, grace and off", () => {
  const l = terms("A", ["network_monitoring"], T0, 90, { graceDays: 14 });
  const at = (ms: number) => computeLicensing([l], ms).modules.network_monitoring;
  assert.deepEqual(at(T0 - 1), {
    module: "network_monitoring",
    enabled: false,
    status: "pending",
    licenseIds: [],
    startsAt: T0,
  });
  const active = at(T0);
  assert.equal(active.status, "active");
  assert.equal(active.enabled, true);
  assert.deepEqual(active.licenseIds, ["A"]);
  assert.equal(active.daysLeft, 90);
  assert.equal(active.warning, undefined);
  const end = T0 + 90 * DAY_MS;
  assert.equal(at(end - 1).status, "active");
  const grace = at(end);
  assert.equal(grace.status, "grace");
  assert.equal(grace.enabled, true);
  assert.equal(grace.graceEndsAt, end + 14 * DAY_MS);
  assert.equal(at(end + 14 * DAY_MS - 1).enabled, true);
  const off = at(end + 14 * DAY_MS);
  assert.equal(off.status, "expired");
  assert.equal(off.enabled, false);
  assert.equal(off.disabledAt, end + 14 * DAY_MS);
  // Other modules were never licensed.
  assert.equal(computeLicensing([l], T0).modules.db_monitoring.status, "unlicensed");
});

Deno.test("computeLicensing() warns 30, 7 and 1 days before expiry, then in grace, then off", () => {
  const l = terms("A", ["call_monitoring", "log_monitoring"], T0, 100, { graceDays: 5 });
  const end = T0 + 100 * DAY_MS;
  const notice = (ms: number) => computeLicensing([l], ms).notices;
  assert.deepEqual(notice(end - 31 * DAY_MS), []);
  const cases: [number, string, string, number][] = [
    [end - 30 * DAY_MS, "expires_in_30d", "warning", 30],
    [end - 8 * DAY_MS, "expires_in_30d", "warning", 8],
    [end - 7 * DAY_MS, "expires_in_7d", "warning", 7],
    [end - DAY_MS - 1, "expires_in_7d", "warning", 2],
    [end - DAY_MS, "expires_in_1d", "critical", 1],
    [end - 1, "expires_in_1d", "critical", 1],
  ];
  for (const [ms, kind, severity, daysLeft] of cases) {
    const [n, ...more] = notice(ms);
    assert.equal(more.length, 0);
    assert.equal(n?.kind, kind, new Date(ms).toISOString());
    assert.equal(n?.severity, severity);
    assert.equal(n?.daysLeft, daysLeft);
    assert.equal(n?.at, end);
    // Modules expiring together make one notice.
    assert.deepEqual(n?.modules, ["call_monitoring", "log_monitoring"]);
    assert.deepEqual(n?.licenseIds, ["A"]);
  }
  const [grace] = notice(end + DAY_MS);
  assert.equal(grace?.kind, "grace");
  assert.equal(grace?.graceEndsAt, end + 5 * DAY_MS);
  assert.equal(grace?.daysLeft, 4);
  const [off] = notice(end + 5 * DAY_MS);
  assert.equal(off?.kind, "disabled");
  assert.equal(off?.at, end + 5 * DAY_MS);
});

Deno.test("computeLicensing() combines licenses: union of modules, sum of limits in effect", () => {
  const a = terms("A", ["network_monitoring"], T0, 30, { appliances: 2, bw: 1_000 });
  const b = terms("B", ["network_monitoring", "db_monitoring"], T0, 60, { appliances: 3 });
  const c = terms("C", ["app_monitoring"], T0 + 10 * DAY_MS, 30, { appliances: 4, bw: 500 });
  const old = terms("D", ["log_monitoring"], T0 - 100 * DAY_MS, 30, { appliances: 50, bw: 9 });
  const s = computeLicensing([a, b, c, old], T0 + DAY_MS);
  assert.deepEqual([...s.enabled].sort(), ["db_monitoring", "network_monitoring"]);
  assert.deepEqual(s.modules.network_monitoring.licenseIds, ["A", "B"]);
  // Covered until the later of the two.
  assert.equal(s.modules.network_monitoring.expiresAt, T0 + 60 * DAY_MS);
  assert.equal(s.modules.app_monitoring.status, "pending");
  assert.equal(s.modules.log_monitoring.status, "expired");
  // Only licenses in effect count; a license without a bandwidth limit adds none.
  assert.deepEqual(s.limits, { appliances: 5, captureBandwidthBps: 1_000 });
  const later = computeLicensing([a, b, c, old], T0 + 11 * DAY_MS);
  assert.deepEqual(later.limits, { appliances: 9, captureBandwidthBps: 1_500 });
  assert.deepEqual(
    later.licenses.map((l) => [l.terms.id, l.status, l.daysLeft]),
    [["A", "active", 19], ["B", "active", 49], ["C", "active", 29], ["D", "expired", undefined]],
  );
  // A license in grace still counts towards the limits.
  const inGrace = computeLicensing([a, b], T0 + 31 * DAY_MS);
  assert.equal(inGrace.licenses[0]!.status, "grace");
  assert.equal(inGrace.limits.appliances, 5);
});

Deno.test("computeLicensing() counts a renewal that starts before the current license ends", () => {
  const current = terms("OLD", ["network_monitoring"], T0, 30);
  const renewal = terms("NEW", ["network_monitoring"], T0 + 29 * DAY_MS, 365);
  const gap = terms("GAP", ["network_monitoring"], T0 + 31 * DAY_MS, 365);
  const chained = computeLicensing([current, renewal], T0 + 20 * DAY_MS).modules.network_monitoring;
  assert.equal(chained.expiresAt, T0 + 394 * DAY_MS);
  assert.equal(chained.warning, undefined);
  assert.deepEqual(chained.licenseIds, ["OLD"]);
  // A renewal that leaves a gap does not extend coverage: the warning stays.
  const gapped = computeLicensing([current, gap], T0 + 20 * DAY_MS).modules.network_monitoring;
  assert.equal(gapped.expiresAt, T0 + 30 * DAY_MS);
  assert.equal(gapped.warning, 30);
});

Deno.test("computeLicensing() brings a module back when a valid license joins an expired one", () => {
  const expired = terms("OLD", ["network_monitoring"], T0 - 200 * DAY_MS, 30);
  const now = T0;
  assert.equal(computeLicensing([expired], now).enabled.has("network_monitoring"), false);
  const fresh = terms("NEW", ["network_monitoring"], T0 - DAY_MS, 30);
  const s = computeLicensing([expired, fresh], now);
  assert.equal(s.enabled.has("network_monitoring"), true);
  assert.equal(s.modules.network_monitoring.status, "active");
  assert.deepEqual(s.notices.map((n) => n.kind), ["expires_in_30d"]);
});

Deno.test("mayEnrollAppliance() allows enrollment up to the licensed appliance count", () => {
  const s = computeLicensing([terms("A", ["network_monitoring"], T0, 30, { appliances: 2 })], T0);
  assert.equal(mayEnrollAppliance(s, 0), true);
  assert.equal(mayEnrollAppliance(s, 1), true);
  assert.equal(mayEnrollAppliance(s, 2), false);
  assert.equal(mayEnrollAppliance(computeLicensing([], T0), 0), false);
});
