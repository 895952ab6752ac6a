import { Hono } from "hono";
import { readStatic } from "../ui/mod.ts";
import { appliedMigrations, type Database, type PartitionManager, readJournal } from "./db/mod.ts";
import { type Auth, authMiddleware, createAuth } from "./auth/mod.ts";
import { auditRoutes } from "./http/audit.ts";
import { authRoutes } from "./http/auth.ts";
import { HttpError, onError } from "./http/errors.ts";
import type { WriteQueue } from "./ingest/mod.ts";
import { flowRoutes } from "./http/flows.ts";
import { netmonRoutes } from "./http/netmon.ts";
import { rollupRange } from "./netmon/mod.ts";
import { requestRoutes } from "./http/requests.ts";
import { inventoryRoutes } from "./http/inventory.ts";
import { InventoryService, Retagger } from "./inventory/mod.ts";
import { fleetRoutes } from "./http/fleet.ts";
import { FleetService } from "./fleet/mod.ts";
import { pcapRoutes } from "./http/pcap.ts";
import { PcapPolicyService, PcapService } from "./pcap/mod.ts";
import { userRoutes } from "./http/users.ts";
import { ingestRoutes } from "./http/ingest.ts";
import { licenseGate } from "./http/gating.ts";
import { licenseRoutes } from "./http/licenses.ts";
import { DEV_PUBLIC_KEY_PATH, LicenseService, loadTrustedKeys } from "./license/mod.ts";
import { INGEST_PATH } from "../appliance/wire/mod.ts";
import { distributionRoutes } from "./http/distribution.ts";
import { DistributionService } from "./distribution/mod.ts";
import { pcapAnalysisRoutes } from "./http/pcap_analysis.ts";

export interface AppDeps {
  database: Database;
  partitions: PartitionManager;
  /** Largest accepted report batch, bytes. */
  maxBatchBytes: number;
  /** Ingest write queue (429 when full); by default 4 writing and 16 waiting. */
  writeQueue?: WriteQueue;
  /** Rows per page in the UI and the default for the API. */
  pageSize: number;
  /** Licenses and gating; by default the development key is trusted (main.ts passes its own). */
  licenses?: LicenseService;
  /** The appliance fleet; built from the database, licenses and audit log when absent. */
  fleet?: FleetService;
  /** Access control (users, sessions, tokens, audit); default settings when absent. */
  auth?: Auth;
  /** The AutoTagging inventory; ingest tags rows with `(await inventory.tagger()).tagRow(row)`. */
  inventory?: InventoryService;
  /** PCAP analysis: the task channel to appliances and the decoders (defaults when absent). */
  pcap?: PcapService;
}

/** Builds the manager's HTTP app; `main.ts` serves it, tests call `app.request()`. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(onError);
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  // Before every route: who is calling, CSRF, and the role each route needs (auth/policy.ts).
  const auth = deps.auth ?? createAuth(deps.database);
  const licenses = deps.licenses ??
    new LicenseService({ database: deps.database, keys: loadTrustedKeys([DEV_PUBLIC_KEY_PATH]) });
  licenses.setAudit(auth.audit.record);
  const fleet = deps.fleet ??
    new FleetService({ database: deps.database, licenses, audit: auth.audit.record });
  app.use("*", authMiddleware(auth, (credential) => fleet.authenticate(credential)));

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      const [applied, journal] = await Promise.all([
        appliedMigrations(deps.database),
        readJournal(),
      ]);
      const expected = journal.entries.length;
      if (applied < expected) {
        return c.json(
          { status: "not ready", reason: `migrations applied ${applied} of ${expected}` },
          503,
        );
      }
      return c.json({ status: "ready", database: deps.database.kind, migrations: applied });
    } catch (err) {
      return c.json({
        status: "not ready",
        reason: `database unreachable: ${(err as Error).message}`,
      }, 503);
    }
  });

  // After authentication: every other route is license-gated per manager/license/modules.ts.
  app.use("*", licenseGate(licenses));
  const licensePages = licenseRoutes(licenses);
  app.route("/admin/licenses", licensePages.page);
  app.route("/api/v1/licenses", licensePages.api);

  app.route("/", authRoutes(auth));
  app.route("/", userRoutes(auth));
  app.route("/", auditRoutes(auth));
  app.route("/", fleetRoutes(fleet, auth));
  // Set before the ingest routes are built: they tag rows with its tagger.
  deps.inventory ??= new InventoryService(deps.database, { audit: auth.audit.record });
  const inventory = inventoryRoutes(
    deps.inventory,
    new Retagger(deps.database, () => deps.inventory!.tagger(), {
      // The network metrics carry the tags too: roll each re-tagged slice again.
      afterSlice: async (range) => void await rollupRange(deps.database, range),
    }),
  );
  app.route("/admin/inventory", inventory.page);
  app.route("/api/v1/inventory", inventory.api);
  app.route(INGEST_PATH, ingestRoutes(deps));
  const flows = flowRoutes(deps);
  app.route("/flows", flows.page);
  app.route("/api/v1/flows", flows.api);
  const netmon = netmonRoutes(deps);
  app.route("/network", netmon.page);
  app.route("/api/v1/netmon", netmon.api);
  app.route("/", requestRoutes(deps));
  const pcap = new PcapPolicyService({ database: deps.database, audit: auth.audit.record });
  fleet.setPcapSource((id, group) => pcap.configFor(id, group));
  app.route("/", pcapRoutes(pcap, fleet));
  const distribution = distributionRoutes(
    new DistributionService({ database: deps.database, audit: auth.audit.record }),
    deps.database,
  );
  app.route("/distribution", distribution.page);
  app.route("/api/v1/distribution", distribution.api);
  app.route(
    "/",
    pcapAnalysisRoutes({ fleet, service: deps.pcap ??= new PcapService(), policies: pcap }),
  );
  app.get("/", (c) => c.redirect("/flows"));

  app.get("/static/:name", async (c) => {
    const file = await readStatic(c.req.param("name"));
    if (!file) throw new HttpError(404, `no static file ${c.req.param("name")}`);
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
      "content-type": file.type,
      "cache-control": "public, max-age=3600",
    });
  });
  return app;
}
