// License gating of routes and pages (the first of DESIGN §1's three layers): every request of a
// path registered in manager/license/modules.ts needs its module enabled, or it is answered 403
// naming the module. The licensing state is left on the context for the page frame (locked
// navigation, banners) and for data filters.
import type { Context, MiddlewareHandler } from "hono";
import { ModuleLockedPage, renderPage } from "../../ui/mod.ts";
import { INGEST_PATH } from "../../appliance/wire/mod.ts";
import {
  type LicenseService,
  type LicensingState,
  moduleForPath,
  type ModuleKey,
  MODULES,
} from "../license/mod.ts";
import { LICENSES_PATH, pageFrame } from "./page_frame.ts";

/** Paths that need no licensing state: probes, static files, and ingest (never gated: data is kept). */
function ungated(path: string): boolean {
  return path === "/healthz" || path === "/readyz" || path.startsWith("/static/") ||
    path === INGEST_PATH || path.startsWith(`${INGEST_PATH}/`);
}

function day(ms: number | undefined): string {
  return ms === undefined ? "?" : new Date(ms).toISOString().slice(0, 10);
}

/** What happened to a module that is off, for the 403 message; undefined if never licensed. */
function whyOff(state: LicensingState, module: ModuleKey): string | undefined {
  const m = state.modules[module];
  if (m.status === "expired") return `expired; the module turned off on ${day(m.disabledAt)}`;
  if (m.status === "pending") return `is not valid before ${day(m.startsAt)}`;
  return undefined;
}

/** The 403 of a gated route: JSON under /api/, else the page. */
export function moduleNotLicensed(c: Context, module: ModuleKey): Response {
  const state = c.get("licensing");
  const detail = state ? whyOff(state, module) : undefined;
  const message = `module ${module} is not licensed${detail ? ` (license ${detail})` : ""}`;
  if (c.req.path.startsWith("/api/")) return c.json({ error: message, module }, 403);
  const page = ModuleLockedPage({
    moduleKey: module,
    moduleLabel: MODULES[module].label,
    path: c.req.path,
    detail,
    licensesPath: LICENSES_PATH,
  });
  return c.html(renderPage(page, pageFrame(c)), 403);
}

/**
 * Loads the licensing state for every request but probes, static files and ingest, and refuses
 * requests to a gated path whose module is not enabled. Registered after authentication, so that
 * an anonymous caller learns nothing about licensing.
 */
export function licenseGate(licenses: LicenseService): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (ungated(path)) return await next();
    const state = await licenses.state();
    c.set("licensing", state);
    const module = moduleForPath(path);
    if (module !== undefined && !state.enabled.has(module)) return moduleNotLicensed(c, module);
    await next();
  };
}
