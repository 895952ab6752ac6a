// The page frame of a request: what the Layout shows around every page. Access control adds who
// is signed in and the CSRF token; licensing adds the locked navigation sections and banners.
// Every handler that renders a full page passes `pageFrame(c)` to renderPage().
import type { Context } from "hono";
import type { LicenseNoticeView, PageFrame } from "../../ui/mod.ts";
import { frameOf } from "../auth/mod.ts";
import { type LicensingState, MODULE_KEYS, MODULES } from "../license/mod.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Set by the license gate (gating.ts) on every request but probes, static files, ingest. */
    licensing: LicensingState | undefined;
  }
}

export const LICENSES_PATH = "/admin/licenses";

export function pageFrame(c: Context): PageFrame {
  return { ...frameOf(c), ...licenseFrame(c) };
}

/** The licensing part of the page frame: locked navigation sections and banners. */
export function licenseFrame(c: Context): PageFrame {
  const state = c.get("licensing");
  if (!state) return {};
  const notices: LicenseNoticeView[] = state.notices.map((n) => ({
    kind: n.kind,
    severity: n.severity,
    modules: n.modules.map((m) => MODULES[m].label),
    ...(n.at === undefined ? {} : { at: n.at }),
    ...(n.graceEndsAt === undefined ? {} : { graceEndsAt: n.graceEndsAt }),
    ...(n.daysLeft === undefined ? {} : { daysLeft: n.daysLeft }),
  }));
  return {
    lockedModules: MODULE_KEYS.filter((k) => !state.enabled.has(k)),
    licenseNotices: notices,
    licensesPath: LICENSES_PATH,
  };
}
