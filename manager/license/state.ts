// Licensing state = f(installed licenses, now), in one pure function. A module is enabled while
// some license that lists it is between its notBefore and notAfter + graceDays; licenses combine
// by union of modules and sum of limits, each on its own dates.
import type { LicenseTerms } from "./document.ts";
import { MODULE_KEYS, type ModuleKey } from "./modules.ts";

export const DAY_MS = 86_400_000;
/** Days before the end of a module's coverage at which a warning starts (DESIGN: 30/7/1). */
export const WARNING_DAYS = [30, 7, 1] as const;
export type WarningDays = typeof WARNING_DAYS[number];

export type LicenseStatus = "pending" | "active" | "grace" | "expired";
export type ModuleStatus = LicenseStatus | "unlicensed";

export interface ModuleState {
  module: ModuleKey;
  /** Routes, pages and data of the module are available. */
  enabled: boolean;
  status: ModuleStatus;
  /** Licenses enabling it now (active, or in grace when none is active). */
  licenseIds: string[];
  /** Active: end of the unbroken coverage by its licenses. Grace: when that coverage ended. */
  expiresAt?: number;
  /** Active or grace: when the module turns off unless a license is installed. */
  graceEndsAt?: number;
  /** Pending: the earliest notBefore. */
  startsAt?: number;
  /** Expired: when it turned off. */
  disabledAt?: number;
  /** Active: whole days left before expiresAt, rounded up. */
  daysLeft?: number;
  /** Active: the smallest warning threshold (days) the remaining time is within. */
  warning?: WarningDays;
}

export interface LicenseState {
  terms: LicenseTerms;
  status: LicenseStatus;
  /** Pending or active: whole days until notAfter, rounded up; grace: until the grace ends. */
  daysLeft?: number;
}

export type NoticeKind =
  | "no_license"
  | "expires_in_30d"
  | "expires_in_7d"
  | "expires_in_1d"
  | "grace"
  | "disabled";

/** Something an administrator must know, shown as a banner on every page and sent as an event. */
export interface Notice {
  kind: NoticeKind;
  severity: "warning" | "critical";
  modules: ModuleKey[];
  /** The end of coverage (expires_in_*, grace) or when the modules turned off (disabled). */
  at?: number;
  /** Grace: when the modules turn off. */
  graceEndsAt?: number;
  daysLeft?: number;
  licenseIds: string[];
}

export interface LicensingState {
  /** The instant the state describes, ms since the epoch. */
  now: number;
  modules: Record<ModuleKey, ModuleState>;
  enabled: ReadonlySet<ModuleKey>;
  licenses: LicenseState[];
  /** Sums over the licenses in effect (active or in grace). */
  limits: { appliances: number; captureBandwidthBps?: number };
  notices: Notice[];
}

function daysUntil(ms: number, now: number): number {
  return Math.max(0, Math.ceil((ms - now) / DAY_MS));
}

function licenseStatus(t: LicenseTerms, now: number): LicenseStatus {
  if (now < t.notBeforeMs) return "pending";
  if (now < t.notAfterMs) return "active";
  if (now < t.graceEndsMs) return "grace";
  return "expired";
}

function moduleState(module: ModuleKey, all: readonly LicenseTerms[], now: number): ModuleState {
  const covering = all.filter((t) => t.modules.includes(module));
  if (covering.length === 0) {
    return { module, enabled: false, status: "unlicensed", licenseIds: [] };
  }
  const active = covering.filter((t) => licenseStatus(t, now) === "active");
  if (active.length > 0) {
    // Follow the chain of licenses that start before the previous one ends (renewals).
    let end = Math.max(...active.map((t) => t.notAfterMs));
    const chain = new Set(active);
    for (let grown = true; grown;) {
      grown = false;
      for (const t of covering) {
        if (!chain.has(t) && t.notBeforeMs <= end && t.notAfterMs > now) {
          chain.add(t);
          end = Math.max(end, t.notAfterMs);
          grown = true;
        }
      }
    }
    const remaining = end - now;
    const warning = [...WARNING_DAYS].reverse().find((d) => remaining <= d * DAY_MS);
    return {
      module,
      enabled: true,
      status: "active",
      licenseIds: active.map((t) => t.id),
      expiresAt: end,
      graceEndsAt: Math.max(...[...chain].map((t) => t.graceEndsMs)),
      daysLeft: daysUntil(end, now),
      ...(warning === undefined ? {} : { warning }),
    };
  }
  const grace = covering.filter((t) => licenseStatus(t, now) === "grace");
  if (grace.length > 0) {
    return {
      module,
      enabled: true,
      status: "grace",
      licenseIds: grace.map((t) => t.id),
      expiresAt: Math.max(...grace.map((t) => t.notAfterMs)),
      graceEndsAt: Math.max(...grace.map((t) => t.graceEndsMs)),
    };
  }
  const pending = covering.filter((t) => licenseStatus(t, now) === "pending");
  if (pending.length > 0) {
    return {
      module,
      enabled: false,
      status: "pending",
      licenseIds: [],
      startsAt: Math.min(...pending.map((t) => t.notBeforeMs)),
    };
  }
  return {
    module,
    enabled: false,
    status: "expired",
    licenseIds: [],
    disabledAt: Math.max(...covering.map((t) => t.graceEndsMs)),
  };
}

function noticeKind(m: ModuleState): NoticeKind | undefined {
  if (m.status === "active" && m.warning !== undefined) return `expires_in_${m.warning}d`;
  if (m.status === "grace") return "grace";
  if (m.status === "expired") return "disabled";
  return undefined;
}

/** Modules that share a kind and a date make one notice. */
function noticesOf(modules: readonly ModuleState[], anyLicense: boolean, now: number): Notice[] {
  if (!anyLicense) {
    return [{ kind: "no_license", severity: "warning", modules: [...MODULE_KEYS], licenseIds: [] }];
  }
  const byKey = new Map<string, Notice>();
  for (const m of modules) {
    const kind = noticeKind(m);
    if (kind === undefined) continue;
    const at = kind === "disabled" ? m.disabledAt : m.expiresAt;
    const key = `${kind}@${at}`;
    const existing = byKey.get(key);
    if (existing) {
      existing.modules.push(m.module);
      for (const id of m.licenseIds) {
        if (!existing.licenseIds.includes(id)) existing.licenseIds.push(id);
      }
      continue;
    }
    const severe = kind === "expires_in_1d" || kind === "grace" || kind === "disabled";
    byKey.set(key, {
      kind,
      severity: severe ? "critical" : "warning",
      modules: [m.module],
      licenseIds: [...m.licenseIds],
      ...(at === undefined ? {} : { at }),
      ...(kind === "grace"
        ? { graceEndsAt: m.graceEndsAt, daysLeft: daysUntil(m.graceEndsAt!, now) }
        : {}),
      ...(m.daysLeft === undefined ? {} : { daysLeft: m.daysLeft }),
    });
  }
  return [...byKey.values()];
}

/** The licensing state at `now` from every installed (and verified) license. */
export function computeLicensing(licenses: readonly LicenseTerms[], now: number): LicensingState {
  const modules = {} as Record<ModuleKey, ModuleState>;
  for (const key of MODULE_KEYS) modules[key] = moduleState(key, licenses, now);
  const enabled = new Set(MODULE_KEYS.filter((k) => modules[k].enabled));

  let appliances = 0;
  let bandwidth: number | undefined;
  const states: LicenseState[] = [];
  for (const terms of licenses) {
    const status = licenseStatus(terms, now);
    const until = status === "grace" ? terms.graceEndsMs : terms.notAfterMs;
    states.push({
      terms,
      status,
      ...(status === "expired" ? {} : { daysLeft: daysUntil(until, now) }),
    });
    if (status === "active" || status === "grace") {
      appliances += terms.limits.appliances;
      const bw = terms.limits.captureBandwidthBps;
      if (bw !== undefined) bandwidth = (bandwidth ?? 0) + bw;
    }
  }
  return {
    now,
    modules,
    enabled,
    licenses: states,
    limits: { appliances, ...(bandwidth === undefined ? {} : { captureBandwidthBps: bandwidth }) },
    notices: noticesOf(MODULE_KEYS.map((k) => modules[k]), licenses.length > 0, now),
  };
}

/**
 * Whether one more appliance may enroll: the licenses in effect allow `limits.appliances`;
 * `enrolled` counts enrolled, non-revoked appliances (manager/fleet enrollment).
 */
export function mayEnrollAppliance(state: LicensingState, enrolled: number): boolean {
  return enrolled < state.limits.appliances;
}
