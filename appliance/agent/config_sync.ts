/**
 * The config document: pulled from the manager with ETag/If-None-Match, checked (shape, this
 * appliance's id, the entitlement signed by the pinned manager key), kept on disk as the last
 * good one, which the agent runs from while the manager is away.
 */
import { readJsonFile, writeJsonDurable } from "../spool/mod.ts";
import {
  type EntitlementCheck,
  importPublicKey,
  OBSERVATION_POINTS,
  type PublicKey,
  verifyEntitlement,
} from "../wire/mod.ts";
import type { Identity } from "./identity.ts";

export const CONFIG_PATH = "/api/v1/appliances/self/config";

export interface CapturePointConfig {
  interface: string;
  observationPoint: string;
  enabled: boolean;
}

export interface ReportingConfig {
  batchRecords: number;
  flushSeconds: number;
  spoolMaxBytes: number;
  heartbeatSeconds: number;
}

export interface ConfigDocument {
  version: number;
  applianceId: string;
  name: string;
  group: string | null;
  capturePoints: CapturePointConfig[];
  reporting: ReportingConfig;
  policies: { distribution: unknown[]; pcap: unknown[] };
  /** The global PCAP disk quota (bytes and/or % of the disk); null: no such bound. */
  pcapStorage: { quotaBytes: number | null; quotaPercent: number | null };
  entitlement: unknown;
}

/** config.json: the last good document and the ETag it came with. */
export interface CachedConfig {
  etag: string | null;
  savedAt: number;
  document: ConfigDocument;
}

export const DEFAULT_REPORTING: ReportingConfig = {
  batchRecords: 1000,
  flushSeconds: 5,
  spoolMaxBytes: 1024 ** 3,
  heartbeatSeconds: 5,
};

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function positive(x: unknown, max: number): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x > 0 && x <= max;
}

/** The document, or the first problem found (named with its path). */
export function checkConfigDocument(
  x: unknown,
  applianceId: string,
): { ok: true; document: ConfigDocument } | { ok: false; problem: string } {
  const fail = (problem: string) => ({ ok: false as const, problem });
  if (!isObject(x)) return fail("config: expected a JSON object");
  if (!Number.isSafeInteger(x.version) || (x.version as number) < 0) {
    return fail("version: expected a non-negative integer");
  }
  if (x.applianceId !== applianceId) {
    return fail(`applianceId: ${JSON.stringify(x.applianceId)} is not this appliance`);
  }
  if (typeof x.name !== "string") return fail("name: expected a string");
  if (x.group !== null && x.group !== undefined && typeof x.group !== "string") {
    return fail("group: expected a string or null");
  }
  if (!Array.isArray(x.capturePoints)) return fail("capturePoints: expected an array");
  const points: CapturePointConfig[] = [];
  for (const [i, p] of x.capturePoints.entries()) {
    if (!isObject(p) || typeof p.interface !== "string" || !/^[^\s/]{1,15}$/.test(p.interface)) {
      return fail(`capturePoints[${i}].interface: expected an interface name`);
    }
    const op = p.observationPoint ?? "rest";
    if (typeof op !== "string" || !(OBSERVATION_POINTS as readonly string[]).includes(op)) {
      return fail(`capturePoints[${i}].observationPoint: unknown ${JSON.stringify(op)}`);
    }
    points.push({ interface: p.interface, observationPoint: op, enabled: p.enabled !== false });
  }
  const r = isObject(x.reporting) ? x.reporting : {};
  const reporting = { ...DEFAULT_REPORTING };
  const limits: Record<keyof ReportingConfig, number> = {
    batchRecords: 100_000,
    flushSeconds: 3_600,
    spoolMaxBytes: 2 ** 50,
    heartbeatSeconds: 3_600,
  };
  for (const key of Object.keys(limits) as (keyof ReportingConfig)[]) {
    if (r[key] === undefined) continue;
    if (!positive(r[key], limits[key])) return fail(`reporting.${key}: out of range`);
    reporting[key] = r[key] as number;
  }
  const policies = isObject(x.policies) ? x.policies : {};
  const storage = isObject(x.pcapStorage) ? x.pcapStorage : {};
  const quotaBytes = storage.quotaBytes ?? null;
  if (quotaBytes !== null && !positive(quotaBytes, 2 ** 53 - 1)) {
    return fail("pcapStorage.quotaBytes: expected a positive integer or null");
  }
  const quotaPercent = storage.quotaPercent ?? null;
  if (quotaPercent !== null && !positive(quotaPercent, 100)) {
    return fail("pcapStorage.quotaPercent: expected 1-100 or null");
  }
  return {
    ok: true,
    document: {
      version: x.version as number,
      applianceId,
      name: x.name,
      group: typeof x.group === "string" ? x.group : null,
      capturePoints: points,
      reporting,
      policies: {
        distribution: Array.isArray(policies.distribution) ? policies.distribution : [],
        pcap: Array.isArray(policies.pcap) ? policies.pcap : [],
      },
      pcapStorage: {
        quotaBytes: quotaBytes as number | null,
        quotaPercent: quotaPercent as number | null,
      },
      entitlement: x.entitlement ?? null,
    },
  };
}

export function configPath(stateDir: string): string {
  return `${stateDir}/config.json`;
}

/** The last good document on disk, or undefined (none yet, or unreadable: it is re-pulled). */
export async function loadCachedConfig(
  stateDir: string,
  applianceId: string,
): Promise<CachedConfig | undefined> {
  let raw: unknown;
  try {
    raw = await readJsonFile(configPath(stateDir));
  } catch {
    return undefined;
  }
  if (!isObject(raw)) return undefined;
  const checked = checkConfigDocument(raw.document, applianceId);
  if (!checked.ok) return undefined;
  return {
    etag: typeof raw.etag === "string" ? raw.etag : null,
    savedAt: typeof raw.savedAt === "number" ? raw.savedAt : 0,
    document: checked.document,
  };
}

/** The entitlement check as the heartbeat reports it. */
export interface EntitlementState {
  ok: boolean;
  reason?: string;
  modules: string[];
}

export type PullResult =
  | { kind: "unchanged" }
  | { kind: "applied"; document: ConfigDocument }
  | { kind: "rejected"; problem: string; version: number | null }
  | { kind: "failed"; problem: string };

export class ConfigSync {
  current: CachedConfig | undefined;
  entitlement: EntitlementState = { ok: false, reason: "no config yet", modules: [] };
  /** Where the running config came from. */
  origin: "manager" | "cache" | "none" = "none";
  lastPullAt: number | null = null;
  lastError: string | null = null;
  rejected = 0;
  #identity: Identity;
  #stateDir: string;
  #manager: string;
  #fetch: typeof fetch;
  #key: Promise<PublicKey | undefined>;

  constructor(
    identity: Identity,
    options: { stateDir: string; manager?: string; fetch?: typeof fetch },
  ) {
    this.#identity = identity;
    this.#stateDir = options.stateDir;
    this.#manager = (options.manager ?? identity.manager).replace(/\/+$/, "");
    this.#fetch = options.fetch ?? fetch;
    this.#key = importPublicKey(identity.managerKey.publicKey, "identity.json managerKey")
      .catch(() => undefined);
  }

  /** Starts from config.json when there is one (the manager may be away at boot). */
  async loadCache(): Promise<CachedConfig | undefined> {
    const cached = await loadCachedConfig(this.#stateDir, this.#identity.applianceId);
    if (cached) {
      this.current = cached;
      this.origin = "cache";
      this.entitlement = await this.#verify(cached.document);
    }
    return cached;
  }

  async #verify(document: ConfigDocument): Promise<EntitlementState> {
    if (document.entitlement === null) {
      return { ok: false, reason: "no entitlement (is a license installed?)", modules: [] };
    }
    const key = await this.#key;
    if (key === undefined) {
      return { ok: false, reason: "the pinned manager key is not an Ed25519 key", modules: [] };
    }
    const check: EntitlementCheck = await verifyEntitlement(document.entitlement, {
      keys: [key],
      applianceId: this.#identity.applianceId,
      now: Date.now(),
    });
    return check.ok
      ? { ok: true, modules: [...check.entitlement.modules] }
      : { ok: false, reason: check.reason, modules: [] };
  }

  /** One GET with If-None-Match; a new good document is saved and becomes current. */
  async pull(): Promise<PullResult> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.#manager}${CONFIG_PATH}`, {
        headers: {
          accept: "application/json",
          authorization: `Bearer ${this.#identity.credential}`,
          ...(this.current?.etag ? { "if-none-match": this.current.etag } : {}),
        },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      let message = (err as Error).message;
      for (let c = (err as Error).cause; c instanceof Error; c = c.cause) {
        message += `: ${c.message}`;
      }
      this.lastError = /connection refused/i.test(message) ? "connection refused" : message;
      return { kind: "failed", problem: this.lastError };
    }
    this.lastPullAt = Date.now();
    if (response.status === 304) {
      await response.body?.cancel();
      this.lastError = null;
      if (this.origin === "cache") this.origin = "manager";
      // Re-checked on every pull: an entitlement expires without the document changing.
      if (this.current) this.entitlement = await this.#verify(this.current.document);
      return { kind: "unchanged" };
    }
    const text = await response.text();
    if (!response.ok) {
      this.lastError = `HTTP ${response.status}: ${text.slice(0, 200)}`;
      return { kind: "failed", problem: this.lastError };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const checked = checkConfigDocument(body, this.#identity.applianceId);
    if (!checked.ok) {
      this.rejected++;
      this.lastError = `config rejected: ${checked.problem}`;
      const version = (body as { version?: unknown } | undefined)?.version;
      return {
        kind: "rejected",
        problem: checked.problem,
        version: Number.isSafeInteger(version) ? version as number : null,
      };
    }
    const etag = response.headers.get("etag");
    const cached: CachedConfig = { etag, savedAt: Date.now(), document: checked.document };
    await writeJsonDurable(configPath(this.#stateDir), cached);
    const changed = this.current?.document.version !== checked.document.version ||
      this.origin !== "manager";
    this.current = cached;
    this.origin = "manager";
    this.lastError = null;
    this.entitlement = await this.#verify(checked.document);
    return changed ? { kind: "applied", document: checked.document } : { kind: "unchanged" };
  }
}
