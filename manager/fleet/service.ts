// The fleet on the manager's side: enrollment tokens, enrollment, appliance credentials,
// heartbeats, each appliance's versioned config document with its signed entitlement, and the
// admin changes (rename, group, capture points, reporting, revoke), each audited.
import { and, asc, count, desc, eq, gte, isNull, lt, sql } from "drizzle-orm";
import { type Entitlement, type ModuleKey, signEntitlement } from "../../appliance/wire/mod.ts";
import type { Database, Drizzle } from "../db/mod.ts";
import {
  appliance,
  applianceConfig,
  applianceHeartbeat,
  enrollmentToken,
} from "../db/schema/fleet.ts";
import { type LicenseService, mayEnrollAppliance } from "../license/mod.ts";
import type { Actor, AuditRecorder } from "../auth/mod.ts";
import { randomSecret, sha256Hex } from "../auth/mod.ts";
import {
  type CapturePoint,
  checkCapturePoints,
  checkReporting,
  type ConfigDocument,
  DEFAULT_REPORTING,
  type Heartbeat,
  labelProblem,
  type ReportingSettings,
} from "./documents.ts";
import { loadManagerKey, type ManagerKey } from "./manager_key.ts";
import { distributionFor } from "../distribution/mod.ts";
import { type ApplianceStatus, type Health, healthAfter, statusAt } from "./status.ts";

export const ENROLLMENT_TOKEN_PREFIX = "tple_";
export const CREDENTIAL_PREFIX = "tpla_";
const ENROLLMENT_FORMAT = /^tple_[A-Za-z0-9_-]{43}$/;
const CREDENTIAL_FORMAT = /^tpla_[A-Za-z0-9_-]{43}$/;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const DEFAULT_TOKEN_TTL_HOURS = 24;
export const MAX_TOKEN_TTL_HOURS = 24 * 30;
/** Heartbeats older than this are pruned. */
export const HEARTBEAT_RETENTION_MS = 7 * DAY_MS;
/** An entitlement is valid for at most this long (and never past the licenses' end). */
export const ENTITLEMENT_TTL_MS = 7 * DAY_MS;
/** Re-signed when less than this is left (and a later end is possible). */
const ENTITLEMENT_RENEW_MS = 6 * DAY_MS;

export type FleetErrorKind = "invalid" | "unauthorized" | "limit" | "not_found" | "conflict";

export class FleetError extends Error {
  override name = "FleetError";
  constructor(readonly kind: FleetErrorKind, message: string, readonly field?: string) {
    super(message);
  }
}

export function fleetStatus(kind: FleetErrorKind): 401 | 403 | 404 | 409 | 422 {
  return ({ invalid: 422, unauthorized: 401, limit: 403, not_found: 404, conflict: 409 } as const)[
    kind
  ];
}

/** One appliance as lists, pages and the API show it. */
export interface ApplianceView {
  id: string;
  name: string;
  group: string | null;
  hostname: string;
  credentialPrefix: string;
  enrolledAt: number;
  revokedAt: number | null;
  version: string;
  lastSeenAt: number | null;
  status: ApplianceStatus;
  health: Health | null;
  lastHeartbeat: Heartbeat | null;
  config: { version: number; capturePoints: CapturePoint[]; reporting: ReportingSettings };
}

export interface EnrollmentTokenView {
  id: number;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedBy: string | null;
  createdBy: string;
  note: string;
}

export interface FleetOptions {
  database: Database;
  licenses: LicenseService;
  audit: AuditRecorder;
  now?: () => number;
}

interface EntitlementTerms {
  modules: ModuleKey[];
  issuedAt: number;
  notAfter: number;
}

type ApplianceRow = typeof appliance.$inferSelect;
/** The PCAP part of an appliance's config document. */
export type PcapSource = (
  applianceId: string,
  group: string | null,
) => Promise<{ pcap: unknown[]; storage: ConfigDocument["pcapStorage"] }>;
type ConfigRow = typeof applianceConfig.$inferSelect;

function snapshot(row: { name: string; groupName: string | null }) {
  return { name: row.name, group: row.groupName };
}

export class FleetService {
  readonly #database: Database;
  readonly #licenses: LicenseService;
  readonly #audit: AuditRecorder;
  readonly #now: () => number;
  #key: Promise<ManagerKey> | undefined;
  #lastPrune = 0;
  /** Where `policies.pcap` and `pcapStorage` come from (set by the PCAP policy module). */
  #pcap: PcapSource | undefined;

  constructor(options: FleetOptions) {
    this.#database = options.database;
    this.#licenses = options.licenses;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
  }

  /** Sets where each config document's PCAP policies and global PCAP quota come from. */
  setPcapSource(source: PcapSource): void {
    this.#pcap = source;
  }

  /** The manager key (created on first use; main.ts calls this at start). */
  managerKey(): Promise<ManagerKey> {
    this.#key ??= loadManagerKey(this.#database).catch((err) => {
      this.#key = undefined;
      throw err;
    });
    return this.#key;
  }

  /** A one-time enrollment token; the secret is returned once and stored only as a hash. */
  async createEnrollmentToken(
    actor: Actor,
    input: { ttlHours?: number; note?: string } = {},
  ): Promise<{ id: number; token: string; expiresAt: Date }> {
    const ttl = input.ttlHours ?? DEFAULT_TOKEN_TTL_HOURS;
    if (!Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TOKEN_TTL_HOURS) {
      throw new FleetError(
        "invalid",
        `ttlHours must be a number above 0 and at most ${MAX_TOKEN_TTL_HOURS}`,
        "ttlHours",
      );
    }
    const note = (input.note ?? "").trim();
    if (note.length > 200) throw new FleetError("invalid", "note: at most 200 characters", "note");
    const token = ENROLLMENT_TOKEN_PREFIX + randomSecret(32);
    const expiresAt = new Date(this.#now() + ttl * HOUR_MS);
    return await this.#database.db.transaction(async (tx) => {
      const [row] = await tx.insert(enrollmentToken).values({
        tokenHash: await sha256Hex(token),
        expiresAt,
        createdBy: actor.name,
        note,
      }).returning({ id: enrollmentToken.id });
      await this.#audit(actor, {
        action: "appliance.token.create",
        target: { type: "enrollment_token", id: row!.id },
        after: { expiresAt: expiresAt.toISOString(), note },
      }, tx);
      return { id: row!.id, token, expiresAt };
    });
  }

  /** Tokens not used and not expired, newest first. */
  async pendingTokens(): Promise<EnrollmentTokenView[]> {
    const rows = await this.#database.db.select().from(enrollmentToken)
      .where(
        and(isNull(enrollmentToken.usedAt), gte(enrollmentToken.expiresAt, new Date(this.#now()))),
      )
      .orderBy(desc(enrollmentToken.id)).limit(50);
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.createdAt.getTime(),
      expiresAt: r.expiresAt.getTime(),
      usedAt: r.usedAt?.getTime() ?? null,
      usedBy: r.usedBy,
      createdBy: r.createdBy,
      note: r.note,
    }));
  }

  /**
   * Exchanges an enrollment token for an appliance id and credential. The token is consumed in
   * the transaction that creates the appliance; the license's appliance limit applies.
   */
  async enroll(
    input: { token: string; name?: string; hostname: string; version: string },
    ip?: string,
  ): Promise<{
    applianceId: string;
    credential: string;
    name: string;
    managerKey: { id: string; publicKey: string };
  }> {
    const unusable = new FleetError(
      "unauthorized",
      "enrollment token unknown, already used or expired",
    );
    if (!ENROLLMENT_FORMAT.test(input.token)) throw unusable;
    const key = await this.managerKey();
    const state = await this.#licenses.state();
    const now = this.#now();
    const applianceId = crypto.randomUUID();
    const credential = CREDENTIAL_PREFIX + randomSecret(32);
    const name = input.name ?? input.hostname;
    const tokenHash = await sha256Hex(input.token);
    const credentialHash = await sha256Hex(credential);
    const entitlement = await this.#entitlementFor(applianceId, key);
    await this.#database.db.transaction(async (tx) => {
      const claimed = await tx.update(enrollmentToken)
        .set({ usedAt: new Date(now), usedBy: applianceId })
        .where(and(
          eq(enrollmentToken.tokenHash, tokenHash),
          isNull(enrollmentToken.usedAt),
          gte(enrollmentToken.expiresAt, new Date(now)),
        )).returning({ id: enrollmentToken.id });
      if (claimed.length === 0) throw unusable;
      const [active] = await tx.select({ n: count() }).from(appliance)
        .where(isNull(appliance.revokedAt));
      const enrolled = Number(active?.n ?? 0);
      if (!mayEnrollAppliance(state, enrolled)) {
        throw new FleetError(
          "limit",
          `the license allows ${state.limits.appliances} appliance(s) and ${enrolled} are ` +
            "enrolled: revoke one or install a license with a higher appliance limit",
        );
      }
      await tx.insert(appliance).values({
        id: applianceId,
        name,
        hostname: input.hostname,
        credentialHash,
        credentialPrefix: credential.slice(0, CREDENTIAL_PREFIX.length + 6),
        enrolledAt: new Date(now),
        version: input.version,
      });
      await tx.insert(applianceConfig).values({
        applianceId,
        version: 1,
        capturePoints: [],
        reporting: DEFAULT_REPORTING,
        entitlement,
      });
      await this.#audit({ kind: "appliance", name, ip }, {
        action: "appliance.enroll",
        target: { type: "appliance", id: applianceId },
        after: { name, hostname: input.hostname, version: input.version, token: claimed[0]!.id },
      }, tx);
    });
    return {
      applianceId,
      credential,
      name,
      managerKey: { id: key.id, publicKey: key.publicPem },
    };
  }

  /** The appliance a credential belongs to; undefined when unknown or revoked. */
  async authenticate(credential: string): Promise<{ applianceId: string } | undefined> {
    if (!CREDENTIAL_FORMAT.test(credential)) return undefined;
    const [row] = await this.#database.db.select({
      id: appliance.id,
      revokedAt: appliance.revokedAt,
    }).from(appliance).where(eq(appliance.credentialHash, await sha256Hex(credential)));
    if (!row || row.revokedAt) return undefined;
    return { applianceId: row.id };
  }

  /** Every appliance, revoked ones last, then by name. */
  async list(): Promise<ApplianceView[]> {
    const rows = await this.#database.db.select().from(appliance)
      .leftJoin(applianceConfig, eq(applianceConfig.applianceId, appliance.id))
      .orderBy(sql`${appliance.revokedAt} is not null`, asc(appliance.name), asc(appliance.id));
    return rows.map((r) => this.#view(r.appliance, r.appliance_config));
  }

  async get(id: string): Promise<ApplianceView | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const [r] = await this.#database.db.select().from(appliance)
      .leftJoin(applianceConfig, eq(applianceConfig.applianceId, appliance.id))
      .where(eq(appliance.id, id));
    return r && this.#view(r.appliance, r.appliance_config);
  }

  #view(row: ApplianceRow, config: ConfigRow | null): ApplianceView {
    const reporting = (config?.reporting as ReportingSettings | undefined) ?? DEFAULT_REPORTING;
    const health = (row.health as Health | null) ?? null;
    const revokedAt = row.revokedAt?.getTime() ?? null;
    const lastSeenAt = row.lastSeenAt?.getTime() ?? null;
    return {
      id: row.id,
      name: row.name,
      group: row.groupName,
      hostname: row.hostname,
      credentialPrefix: row.credentialPrefix,
      enrolledAt: row.enrolledAt.getTime(),
      revokedAt,
      version: row.version,
      lastSeenAt,
      status: statusAt({ revokedAt, lastSeenAt, health }, this.#now(), reporting.heartbeatSeconds),
      health,
      lastHeartbeat: (row.lastHeartbeat as Heartbeat | null) ?? null,
      config: {
        version: config?.version ?? 0,
        capturePoints: (config?.capturePoints as CapturePoint[] | undefined) ?? [],
        reporting,
      },
    };
  }

  /**
   * Changes what an admin may change; every accepted change bumps the config version once and
   * is audited with the state before and after. Unknown fields and bad values → FleetError.
   */
  async update(
    actor: Actor,
    id: string,
    changes: Record<string, unknown>,
  ): Promise<ApplianceView> {
    const known = ["name", "group", "capturePoints", "reporting"];
    const extra = Object.keys(changes).find((k) => !known.includes(k));
    if (extra) throw new FleetError("invalid", `${extra}: unknown field`, extra);
    const current = await this.get(id);
    if (!current) throw new FleetError("not_found", `no appliance with id ${id}`);
    if (current.revokedAt !== null) {
      throw new FleetError("conflict", `appliance ${current.name} is revoked and cannot change`);
    }
    const next: Partial<typeof appliance.$inferInsert> = {};
    const config: Partial<typeof applianceConfig.$inferInsert> = {};
    if (changes.name !== undefined) {
      const name = typeof changes.name === "string" ? changes.name.trim() : "";
      const bad = labelProblem(name, "name");
      if (bad) throw new FleetError("invalid", `name: ${bad}`, "name");
      next.name = name;
    }
    if (changes.group !== undefined) {
      if (changes.group !== null && typeof changes.group !== "string") {
        throw new FleetError("invalid", "group: expected a string or null", "group");
      }
      const group = (changes.group ?? "").trim();
      const bad = group === "" ? undefined : labelProblem(group, "group");
      if (bad) throw new FleetError("invalid", `group: ${bad}`, "group");
      next.groupName = group === "" ? null : group;
    }
    if (changes.capturePoints !== undefined) {
      const checked = checkCapturePoints(changes.capturePoints);
      if (!checked.ok) throw new FleetError("invalid", checked.error, "capturePoints");
      config.capturePoints = checked.value;
    }
    if (changes.reporting !== undefined) {
      const checked = checkReporting(changes.reporting, current.config.reporting);
      if (!checked.ok) throw new FleetError("invalid", checked.error, "reporting");
      config.reporting = checked.value;
    }
    const before = {
      ...snapshot({ name: current.name, groupName: current.group }),
      capturePoints: current.config.capturePoints,
      reporting: current.config.reporting,
    };
    const after = {
      name: next.name ?? before.name,
      group: next.groupName === undefined ? before.group : next.groupName,
      capturePoints: config.capturePoints ?? before.capturePoints,
      reporting: config.reporting ?? before.reporting,
    };
    if (JSON.stringify(before) === JSON.stringify(after)) return current;
    await this.#database.db.transaction(async (tx) => {
      if (Object.keys(next).length > 0) {
        await tx.update(appliance).set(next).where(eq(appliance.id, id));
      }
      await tx.update(applianceConfig).set({
        ...config,
        version: sql`${applianceConfig.version} + 1`,
        updatedAt: new Date(this.#now()),
      }).where(eq(applianceConfig.applianceId, id));
      await this.#audit(actor, {
        action: "appliance.update",
        target: { type: "appliance", id },
        before,
        after,
      }, tx);
    });
    return (await this.get(id))!;
  }

  /** Revokes an appliance: its credential stops working on the next request. */
  async revoke(actor: Actor, id: string): Promise<ApplianceView> {
    const current = await this.get(id);
    if (!current) throw new FleetError("not_found", `no appliance with id ${id}`);
    if (current.revokedAt !== null) return current;
    await this.#database.db.transaction(async (tx) => {
      await tx.update(appliance).set({ revokedAt: new Date(this.#now()) })
        .where(and(eq(appliance.id, id), isNull(appliance.revokedAt)));
      await this.#audit(actor, {
        action: "appliance.revoke",
        target: { type: "appliance", id },
        before: { name: current.name, revoked: false },
        after: { name: current.name, revoked: true },
      }, tx);
    });
    return (await this.get(id))!;
  }

  /** Stores a heartbeat and the health it implies; answers the current config version. */
  async heartbeat(id: string, hb: Heartbeat): Promise<{ configVersion: number }> {
    const now = this.#now();
    const [row] = await this.#database.db.select({
      lastHeartbeat: appliance.lastHeartbeat,
      health: appliance.health,
      reporting: applianceConfig.reporting,
    }).from(appliance).leftJoin(applianceConfig, eq(applianceConfig.applianceId, appliance.id))
      .where(eq(appliance.id, id));
    if (!row) throw new FleetError("not_found", `no appliance with id ${id}`);
    const reporting = (row.reporting as ReportingSettings | null) ?? DEFAULT_REPORTING;
    const health = healthAfter(hb, {
      previous: (row.lastHeartbeat as Heartbeat | null) ?? undefined,
      previousHealth: (row.health as Health | null) ?? undefined,
      now,
      heartbeatSeconds: reporting.heartbeatSeconds,
    });
    await this.#database.db.transaction(async (tx) => {
      await tx.update(appliance).set({
        lastSeenAt: new Date(now),
        lastHeartbeat: hb,
        health,
        version: hb.version,
      }).where(eq(appliance.id, id));
      await tx.insert(applianceHeartbeat).values({
        applianceId: id,
        at: new Date(now),
        sentAt: hb.sentAt,
        counters: hb,
      }).onConflictDoNothing();
    });
    if (now - this.#lastPrune > HOUR_MS) {
      this.#lastPrune = now;
      await this.#database.db.delete(applianceHeartbeat)
        .where(lt(applianceHeartbeat.at, new Date(now - HEARTBEAT_RETENTION_MS)));
    }
    // Only the version: the distribution policies are not read on every heartbeat.
    const config = await this.config(id, { policies: false });
    return { configVersion: config.version };
  }

  /** Heartbeats of one appliance since `sinceMs`, oldest first (at most `limit`, newest kept). */
  async heartbeats(
    id: string,
    options: { sinceMs: number; limit?: number },
  ): Promise<{ at: number; hb: Heartbeat }[]> {
    const rows = await this.#database.db.select({
      at: applianceHeartbeat.at,
      counters: applianceHeartbeat.counters,
    }).from(applianceHeartbeat)
      .where(and(
        eq(applianceHeartbeat.applianceId, id),
        gte(applianceHeartbeat.at, new Date(options.sinceMs)),
      ))
      .orderBy(desc(applianceHeartbeat.at)).limit(options.limit ?? 2000);
    return rows.reverse().map((r) => ({ at: r.at.getTime(), hb: r.counters as Heartbeat }));
  }

  /**
   * The config document of an appliance. Its entitlement is re-signed (and the version bumped)
   * when the licensed modules changed or it nears its end, so that the ETag stays truthful.
   */
  async config(id: string, options: { policies?: boolean } = {}): Promise<ConfigDocument> {
    for (let attempt = 0;; attempt++) {
      const [r] = await this.#database.db.select().from(appliance)
        .innerJoin(applianceConfig, eq(applianceConfig.applianceId, appliance.id))
        .where(eq(appliance.id, id));
      if (!r) throw new FleetError("not_found", `no appliance with id ${id}`);
      const cfg = r.appliance_config;
      const stored = (cfg.entitlement as Entitlement | null) ?? null;
      const key = await this.managerKey();
      const wanted = await this.#entitlementTerms();
      if (attempt < 3 && this.#needsRenewal(stored, wanted, key.id)) {
        // Only the request that saw this version renews; a racing one reads its result.
        await this.#database.db.update(applianceConfig).set({
          entitlement: wanted &&
            await signEntitlement({ applianceId: id, ...wanted }, key.privateKey),
          version: cfg.version + 1,
          updatedAt: new Date(this.#now()),
        }).where(and(
          eq(applianceConfig.applianceId, id),
          eq(applianceConfig.version, cfg.version),
        ));
        continue;
      }
      return {
        version: cfg.version,
        applianceId: id,
        name: r.appliance.name,
        group: r.appliance.groupName,
        capturePoints: cfg.capturePoints as CapturePoint[],
        reporting: cfg.reporting as ReportingSettings,
        ...(options.policies === false
          ? {
            policies: { distribution: [], pcap: [] },
            pcapStorage: { quotaBytes: null, quotaPercent: null },
          }
          : await this.#pcapParts(id, r.appliance.groupName, stored)),
        entitlement: stored,
      };
    }
  }

  /** An appliance's global PCAP quota (undefined without the PCAP module). */
  async pcapStorage(id: string): Promise<ConfigDocument["pcapStorage"] | undefined> {
    return (await this.#pcap?.(id, null))?.storage;
  }

  /** PCAP policies go only to appliances whose entitlement has network monitoring. */
  async #pcapParts(
    id: string,
    group: string | null,
    entitlement: Entitlement | null,
  ): Promise<Pick<ConfigDocument, "policies" | "pcapStorage">> {
    const licensed = entitlement?.modules.includes("network_monitoring") ?? false;
    const pcap = licensed ? await this.#pcap?.(id, group) : undefined;
    return {
      policies: {
        distribution: await distributionFor(this.#database.db, id, group),
        pcap: pcap?.pcap ?? [],
      },
      pcapStorage: pcap?.storage ?? { quotaBytes: null, quotaPercent: null },
    };
  }

  #needsRenewal(
    stored: Entitlement | null,
    wanted: EntitlementTerms | null,
    keyId: string,
  ): boolean {
    if (stored === null || wanted === null) return stored !== wanted;
    if (stored.keyId !== keyId) return true;
    if ([...stored.modules].sort().join() !== [...wanted.modules].sort().join()) return true;
    return wanted.notAfter > stored.notAfter &&
      stored.notAfter - this.#now() < ENTITLEMENT_RENEW_MS;
  }

  /** What the licenses allow now; null when no module is licensed. */
  async #entitlementTerms(): Promise<EntitlementTerms | null> {
    const state = await this.#licenses.state();
    const now = this.#now();
    const modules = [...state.enabled] as ModuleKey[];
    if (modules.length === 0) return null;
    let notAfter = now + ENTITLEMENT_TTL_MS;
    for (const m of modules) {
      const s = state.modules[m];
      const end = s.graceEndsAt ?? s.expiresAt;
      if (end !== undefined && end < notAfter) notAfter = end;
    }
    return { modules, issuedAt: now, notAfter };
  }

  async #entitlementFor(applianceId: string, key: ManagerKey): Promise<Entitlement | null> {
    const terms = await this.#entitlementTerms();
    return terms && await signEntitlement({ applianceId, ...terms }, key.privateKey);
  }

  /** Enrolled, non-revoked appliances: usage against the license's appliance limit. */
  async enrolledCount(tx?: Drizzle): Promise<number> {
    const db = tx ?? this.#database.db;
    const [row] = await db.select({ n: count() }).from(appliance).where(
      isNull(appliance.revokedAt),
    );
    return Number(row?.n ?? 0);
  }
}
