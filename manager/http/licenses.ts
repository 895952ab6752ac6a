// License administration over HTTP: the `/admin/licenses` page (upload form, inspect, remove)
// and its API twin `/api/v1/licenses`. Refusals name their reason (LicenseError) with a 4xx.
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  LicenseDetailPage,
  type LicenseModuleView,
  LicensesPage,
  type LicensesPageProps,
  type LicenseView,
  renderPage,
} from "../../ui/mod.ts";
import { actorOf } from "../auth/mod.ts";
import {
  DEV_KEY_ID,
  type InstalledLicense,
  type LicenseActor,
  LicenseError,
  type LicenseErrorReason,
  type LicenseService,
  type LicensingState,
  MAX_LICENSE_BYTES,
  MODULE_KEYS,
  MODULES,
  summaryOf,
} from "../license/mod.ts";
import { HttpError } from "./errors.ts";
import { LICENSES_PATH, pageFrame } from "./page_frame.ts";

const STATUS: Record<LicenseErrorReason, ContentfulStatusCode> = {
  too_large: 413,
  malformed: 400,
  untrusted_key: 422,
  bad_signature: 422,
  not_yet_valid: 422,
  expired: 422,
  duplicate: 409,
  not_found: 404,
};

function actor(c: Context, via: string): LicenseActor {
  // Until a principal is known (access control off in a test), name the channel.
  return actorOf(c) ?? { kind: "system", name: `anonymous (${via})` };
}

function licenseView(entry: InstalledLicense, state: LicensingState): LicenseView {
  const l = entry.license;
  const s = state.licenses.find((x) => x.terms.id === l.id);
  return {
    id: l.id,
    customer: l.customer,
    modules: [...l.modules],
    issuedAt: l.issuedAt,
    notBefore: l.notBefore,
    notAfter: l.notAfter,
    graceDays: l.graceDays,
    appliances: l.limits.appliances,
    ...(l.limits.captureBandwidthBps === undefined
      ? {}
      : { captureBandwidthBps: l.limits.captureBandwidthBps }),
    keyId: l.keyId,
    status: entry.invalid !== undefined ? "invalid" : s?.status ?? "expired",
    ...(s?.daysLeft === undefined || entry.invalid !== undefined ? {} : { daysLeft: s.daysLeft }),
    installedAt: entry.installedAt.getTime(),
    ...(entry.installedBy ? { installedBy: entry.installedBy } : {}),
    ...(entry.invalid ? { invalid: entry.invalid } : {}),
  };
}

function moduleViews(state: LicensingState): LicenseModuleView[] {
  return MODULE_KEYS.map((key) => {
    const m = state.modules[key];
    const { module: _, enabled: __, warning: ___, ...rest } = m;
    return { key, label: MODULES[key].label, ...rest };
  });
}

async function pageProps(
  licenses: LicenseService,
  extra: Pick<LicensesPageProps, "notice" | "uploadError">,
): Promise<LicensesPageProps> {
  const [installed, state, used, keys] = await Promise.all([
    licenses.list(),
    licenses.state(),
    licenses.appliancesInUse(),
    licenses.keys(),
  ]);
  return {
    modules: moduleViews(state),
    licenses: installed.map((e) => licenseView(e, state)),
    usage: {
      appliances: used,
      applianceLimit: state.limits.appliances,
      ...(state.limits.captureBandwidthBps === undefined
        ? {}
        : { captureBandwidthBps: state.limits.captureBandwidthBps }),
    },
    trustedKeys: keys.map((k) => ({ id: k.id, development: k.id === DEV_KEY_ID })),
    basePath: LICENSES_PATH,
    ...extra,
  };
}

/** The license text of an upload: the file field, else the pasted text. */
async function uploadedText(c: Context): Promise<string> {
  const form = await c.req.parseBody();
  const file = form["license"];
  if (file instanceof File && file.size > 0) {
    if (file.size > MAX_LICENSE_BYTES) {
      throw new LicenseError("too_large", `license file larger than ${MAX_LICENSE_BYTES} bytes`);
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new LicenseError("malformed", "not a license file: not UTF-8 text");
    }
  }
  const text = form["text"];
  if (typeof text === "string" && text.trim() !== "") return text;
  throw new LicenseError("malformed", "choose a license file (or paste its text)");
}

const limitUpload = (size: number) =>
  bodyLimit({
    maxSize: size,
    onError: () => {
      throw new LicenseError("too_large", `license file larger than ${MAX_LICENSE_BYTES} bytes`);
    },
  });

export function licenseRoutes(licenses: LicenseService): { page: Hono; api: Hono } {
  const page = new Hono();
  page.onError((err, c) => {
    if (!(err instanceof LicenseError)) throw err;
    return (async () => {
      const props = await pageProps(licenses, { uploadError: err.message });
      return c.html(renderPage(LicensesPage(props), pageFrame(c)), STATUS[err.reason]);
    })();
  });

  page.get("/", async (c) => {
    const installed = c.req.query("installed");
    const removed = c.req.query("removed");
    // Only ids that look like license ids are echoed back.
    const ok = (id: string | undefined) => id !== undefined && /^[A-Za-z0-9._-]{1,64}$/.test(id);
    const notice = ok(installed)
      ? `License ${installed} installed.`
      : ok(removed)
      ? `License ${removed} removed.`
      : undefined;
    const props = await pageProps(licenses, notice ? { notice } : {});
    return c.html(renderPage(LicensesPage(props), pageFrame(c)));
  });

  // Multipart adds headers and boundaries around the file: allow some room over the file limit.
  page.post("/", limitUpload(MAX_LICENSE_BYTES * 2 + 16_384), async (c) => {
    const license = await licenses.install(await uploadedText(c), actor(c, "ui"));
    await licenses.announceNotices();
    return c.redirect(`${LICENSES_PATH}?installed=${encodeURIComponent(license.id)}`, 303);
  });

  page.get("/:id", async (c) => {
    const entry = await licenses.get(c.req.param("id"));
    if (!entry) {
      throw new HttpError(404, `no installed license with id ${JSON.stringify(c.req.param("id"))}`);
    }
    const state = await licenses.state();
    const view = licenseView(entry, state);
    return c.html(
      renderPage(
        LicenseDetailPage({ license: view, document: entry.document, basePath: LICENSES_PATH }),
        pageFrame(c),
      ),
    );
  });

  page.post("/:id/remove", async (c) => {
    const id = c.req.param("id");
    await licenses.remove(id, actor(c, "ui"));
    return c.redirect(`${LICENSES_PATH}?removed=${encodeURIComponent(id)}`, 303);
  });

  const api = new Hono();
  api.onError((err, c) => {
    if (!(err instanceof LicenseError)) throw err;
    return c.json({ error: err.message, reason: err.reason }, STATUS[err.reason]);
  });

  api.get("/", async (c) => {
    const [installed, state, used, keys] = await Promise.all([
      licenses.list(),
      licenses.state(),
      licenses.appliancesInUse(),
      licenses.keys(),
    ]);
    return c.json({
      modules: state.modules,
      limits: state.limits,
      usage: { appliances: used },
      licenses: installed.map((e) => licenseView(e, state)),
      notices: state.notices,
      trustedKeys: keys.map((k) => ({ id: k.id, development: k.id === DEV_KEY_ID })),
    });
  });

  api.get("/:id", async (c) => {
    const entry = await licenses.get(c.req.param("id"));
    if (!entry) {
      throw new LicenseError(
        "not_found",
        `no installed license with id ${JSON.stringify(c.req.param("id"))}`,
      );
    }
    const view = licenseView(entry, await licenses.state());
    return c.json({ license: view, document: entry.document });
  });

  api.post("/", limitUpload(MAX_LICENSE_BYTES), async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new LicenseError("malformed", "not a license file: not UTF-8 text");
    }
    const license = await licenses.install(text, actor(c, "api"));
    await licenses.announceNotices();
    return c.json({ installed: summaryOf(license) }, 201);
  });

  api.delete("/:id", async (c) => {
    const removed = await licenses.remove(c.req.param("id"), actor(c, "api"));
    return c.json({ removed });
  });
  return { page, api };
}
