// The manager's license administration: install, list, inspect and remove licenses in the
// database, and the licensing state every request is gated by. Stored documents are verified
// again each time they are loaded, so that a changed row grants nothing.
import { eq, sql } from "drizzle-orm";
import type { Database, Drizzle } from "../db/mod.ts";
import { license as licenseTable, licenseNotice } from "../db/schema/license.ts";
import {
  checkInstallable,
  type License,
  LicenseError,
  parseLicense,
  parseTime,
  termsOf,
  verifyLicense,
} from "./document.ts";
import type { PublicKey } from "./keys.ts";
import type { ModuleKey } from "./modules.ts";
import { computeLicensing, type LicensingState, type Notice } from "./state.ts";

/** Who acted, in the shape of the audit log's actor (manager/auth/audit.ts). */
export interface LicenseActor {
  kind: "user" | "token" | "cli" | "system" | "appliance";
  id?: number;
  name: string;
  ip?: string;
}

/** One audit entry: `license.install`, `license.remove` or `license.notice`. */
export interface LicenseAuditEntry {
  action: "license.install" | "license.remove" | "license.notice";
  target: { type: "license" | "module"; id?: string };
  before?: unknown;
  after?: unknown;
}

/**
 * Writes audit entries; the access-control side connects its audit log here (its `record` has
 * this shape). `tx` is the transaction of the change, so that both land together.
 */
export type LicenseAuditHook = (
  actor: LicenseActor,
  entry: LicenseAuditEntry,
  tx?: Drizzle,
) => Promise<void>;

export type LicenseEvent =
  | { type: "license.installed"; actor: LicenseActor; license: LicenseSummary }
  | { type: "license.removed"; actor: LicenseActor; license: LicenseSummary }
  | { type: "license.warning"; notice: Notice };

/** A license without its signature: what lists, events and the audit log show. */
export type LicenseSummary = Omit<License, "signature">;

export interface InstalledLicense {
  license: License;
  installedAt: Date;
  installedBy: string | null;
  /** The file as it was installed. */
  document: string;
  /** Set when the stored document no longer verifies (changed row, key no longer trusted). */
  invalid?: string;
}

export interface LicenseServiceOptions {
  database: Database;
  /** The public keys licenses must be signed with (a promise while they load). */
  keys: readonly PublicKey[] | Promise<readonly PublicKey[]>;
  /** The clock; tests move it. */
  now?: () => number;
  audit?: LicenseAuditHook;
  /** How long loaded licenses are reused before the table is read again (other managers). */
  cacheMs?: number;
}

const SYSTEM: LicenseActor = { kind: "system", name: "license-monitor" };

export function summaryOf(license: License): LicenseSummary {
  const { signature: _, ...rest } = license;
  return rest;
}

export class LicenseService {
  readonly #database: Database;
  readonly #keys: Promise<readonly PublicKey[]>;
  readonly #now: () => number;
  readonly #cacheMs: number;
  #audit: LicenseAuditHook | undefined;
  #listeners = new Set<(event: LicenseEvent) => void>();
  #cache: { at: number; installed: InstalledLicense[] } | undefined;

  constructor(options: LicenseServiceOptions) {
    this.#database = options.database;
    this.#keys = Promise.resolve(options.keys);
    this.#now = options.now ?? Date.now;
    this.#cacheMs = options.cacheMs ?? 5_000;
    this.#audit = options.audit;
  }

  /** The public keys this manager trusts. */
  keys(): Promise<readonly PublicKey[]> {
    return this.#keys;
  }

  /** Connects the audit log (access control creates it after this service). */
  setAudit(audit: LicenseAuditHook | undefined): void {
    this.#audit = audit;
  }

  /** Calls `listener` for every license event; returns the function that stops it. */
  subscribe(listener: (event: LicenseEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: LicenseEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        console.error(
          JSON.stringify({ level: "error", msg: "license event listener", error: String(err) }),
        );
      }
    }
  }

  /** Parses and verifies a license file without installing it. */
  async check(text: string): Promise<License> {
    const license = parseLicense(text);
    await verifyLicense(license, await this.#keys);
    checkInstallable(license, this.#now());
    return license;
  }

  /** Verifies and stores a license; throws LicenseError naming the reason it is refused. */
  async install(text: string, actor: LicenseActor): Promise<License> {
    const license = await this.check(text);
    try {
      await this.#database.db.transaction(async (tx) => {
        const existing = await tx.select({ id: licenseTable.id }).from(licenseTable)
          .where(eq(licenseTable.id, license.id));
        if (existing.length > 0) throw duplicate(license.id);
        await tx.insert(licenseTable).values({
          id: license.id,
          customer: license.customer,
          keyId: license.keyId,
          modules: license.modules,
          appliances: license.limits.appliances,
          notBefore: new Date(parseTime(license.notBefore)),
          notAfter: new Date(parseTime(license.notAfter)),
          graceDays: license.graceDays,
          document: text,
          installedBy: actor.name,
        });
        await this.#audit?.(actor, {
          action: "license.install",
          target: { type: "license", id: license.id },
          after: summaryOf(license),
        }, tx as unknown as Drizzle);
      });
    } catch (err) {
      // Two installs of one id at once: the primary key decides.
      if (!(err instanceof LicenseError) && /duplicate key|unique/i.test(errorText(err))) {
        throw duplicate(license.id);
      }
      throw err;
    } finally {
      this.#cache = undefined;
    }
    this.#emit({ type: "license.installed", actor, license: summaryOf(license) });
    return license;
  }

  /** Removes an installed license; throws LicenseError "not_found" when there is none. */
  async remove(id: string, actor: LicenseActor): Promise<LicenseSummary> {
    let removed: LicenseSummary | undefined;
    try {
      await this.#database.db.transaction(async (tx) => {
        const rows = await tx.delete(licenseTable).where(eq(licenseTable.id, id))
          .returning({ document: licenseTable.document });
        const row = rows[0];
        if (!row) {
          throw new LicenseError("not_found", `no installed license with id ${JSON.stringify(id)}`);
        }
        removed = summaryFromStored(row.document, id);
        await this.#audit?.(actor, {
          action: "license.remove",
          target: { type: "license", id },
          before: removed,
        }, tx as unknown as Drizzle);
      });
    } finally {
      this.#cache = undefined;
    }
    this.#emit({ type: "license.removed", actor, license: removed! });
    return removed!;
  }

  /** Every installed license, each verified again; a failing one is listed with `invalid`. */
  async list(): Promise<InstalledLicense[]> {
    // Cached on the wall clock (not the injectable one): what is installed does not depend on time.
    if (this.#cache && Math.abs(Date.now() - this.#cache.at) < this.#cacheMs) {
      return this.#cache.installed;
    }
    const rows = await this.#database.db.select().from(licenseTable).orderBy(
      licenseTable.installedAt,
    );
    const installed: InstalledLicense[] = [];
    for (const row of rows) {
      const entry = {
        installedAt: row.installedAt,
        installedBy: row.installedBy,
        document: row.document,
      };
      try {
        const license = parseLicense(row.document);
        if (license.id !== row.id) {
          throw new LicenseError(
            "bad_signature",
            `stored under id ${row.id} but the document says ${license.id}`,
          );
        }
        await verifyLicense(license, await this.#keys);
        installed.push({ ...entry, license });
      } catch (err) {
        installed.push({
          ...entry,
          license: placeholder(row.id, row.customer),
          invalid: (err as Error).message,
        });
      }
    }
    this.#cache = { at: Date.now(), installed };
    return installed;
  }

  async get(id: string): Promise<InstalledLicense | undefined> {
    return (await this.list()).find((l) => l.license.id === id);
  }

  /** The licensing state now, from the verified licenses. */
  async state(): Promise<LicensingState> {
    const valid = (await this.list()).filter((l) => l.invalid === undefined);
    return computeLicensing(valid.map((l) => termsOf(l.license)), this.#now());
  }

  /**
   * Sends each current expiry notice once (per module, kind and date, across restarts and
   * managers): an event and an audit entry. The manager calls it hourly and after changes.
   */
  async announceNotices(): Promise<Notice[]> {
    const state = await this.state();
    const sent: Notice[] = [];
    for (const notice of state.notices) {
      if (notice.kind === "no_license" || notice.at === undefined) continue;
      const fresh: ModuleKey[] = [];
      for (const module of notice.modules) {
        const inserted = await this.#database.db.insert(licenseNotice)
          .values({ module, kind: notice.kind, at: new Date(notice.at) })
          .onConflictDoNothing()
          .returning({ module: licenseNotice.module });
        if (inserted.length > 0) fresh.push(module);
      }
      if (fresh.length === 0) continue;
      const announced = { ...notice, modules: fresh };
      sent.push(announced);
      await this.#audit?.(SYSTEM, {
        action: "license.notice",
        target: { type: "module", id: fresh.join(",") },
        after: announced,
      });
      this.#emit({ type: "license.warning", notice: announced });
    }
    return sent;
  }

  /** Enrolled, non-revoked appliances: usage against the appliance limit. */
  async appliancesInUse(): Promise<number> {
    const [row] = await this.#database.rows<{ n: number | string }>(
      sql`select count(*) as n from appliance where revoked_at is null`,
    );
    return Number(row?.n ?? 0);
  }
}

function duplicate(id: string): LicenseError {
  return new LicenseError("duplicate", `license ${id} is already installed (duplicate id)`);
}

function errorText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return `${e?.message ?? ""} ${e?.cause?.message ?? ""}`;
}

function summaryFromStored(document: string, id: string): LicenseSummary {
  try {
    return summaryOf(parseLicense(document));
  } catch {
    return summaryOf(placeholder(id, ""));
  }
}

/** Stands in for a stored license that no longer parses or verifies: it grants nothing. */
function placeholder(id: string, customer: string): License {
  return {
    format: "tapline-license/1",
    id,
    customer,
    issuedAt: "1970-01-01T00:00:00.000Z",
    notBefore: "1970-01-01T00:00:00.000Z",
    notAfter: "1970-01-01T00:00:00.000Z",
    graceDays: 0,
    modules: [],
    limits: { appliances: 0 },
    keyId: "",
    signature: "",
  };
}
