/**
 * Licenses for tests: issue one with the repository's development key (DEVELOPMENT ONLY) and
 * install it in an in-process database or, through `manager license install`, for a manager
 * that a test starts as a process.
 */
import type { Database } from "../../manager/db/mod.ts";
import {
  DEV_PRIVATE_KEY_PATH,
  DEV_PUBLIC_KEY_PATH,
  importPrivateKey,
  type License,
  licenseFileText,
  LicenseService,
  loadTrustedKeys,
  MODULE_KEYS,
  type ModuleKey,
  type PrivateKey,
  signLicense,
} from "../../manager/license/mod.ts";
import { runDeno } from "./procs.ts";

const DAY_MS = 86_400_000;

let devKey: Promise<PrivateKey> | undefined;

/** The development signing key. */
export function devSigningKey(): Promise<PrivateKey> {
  devKey ??= Deno.readTextFile(DEV_PRIVATE_KEY_PATH).then((pem) =>
    importPrivateKey(pem, DEV_PRIVATE_KEY_PATH)
  );
  return devKey;
}

export interface TestLicenseOptions {
  id?: string;
  customer?: string;
  modules?: readonly ModuleKey[];
  /** Start, ms since the epoch; default: a minute before `now`. */
  notBefore?: number;
  /** Length in days from notBefore; default 30. */
  days?: number;
  graceDays?: number;
  appliances?: number;
  captureBandwidthBps?: number;
  /** The clock the dates are computed from (default Date.now()). */
  now?: number;
  /** Sign with another key (tamper tests). */
  key?: PrivateKey;
}

let counter = 0;

/** A signed license (all modules, 30 days, 10 appliances unless told) and its file text. */
export async function issueTestLicense(
  options: TestLicenseOptions = {},
): Promise<{ license: License; text: string }> {
  const now = options.now ?? Date.now();
  const notBefore = options.notBefore ?? now - 60_000;
  const license = await signLicense({
    id: options.id ?? `TEST-${now}-${++counter}`,
    customer: options.customer ?? "Test customer",
    issuedAt: new Date(Math.min(now, notBefore)).toISOString(),
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notBefore + (options.days ?? 30) * DAY_MS).toISOString(),
    graceDays: options.graceDays ?? 7,
    modules: [...(options.modules ?? MODULE_KEYS)],
    limits: {
      appliances: options.appliances ?? 10,
      ...(options.captureBandwidthBps === undefined
        ? {}
        : { captureBandwidthBps: options.captureBandwidthBps }),
    },
  }, options.key ?? await devSigningKey());
  return { license, text: licenseFileText(license) };
}

/** A license service over `database` trusting the development key, as createApp() defaults to. */
export function devLicenseService(database: Database, now?: () => number): LicenseService {
  return new LicenseService({
    database,
    keys: loadTrustedKeys([DEV_PUBLIC_KEY_PATH]),
    ...(now ? { now } : {}),
    cacheMs: 0,
  });
}

/** Installs a test license straight into a database (for apps driven with app.request()). */
export async function installTestLicense(
  database: Database,
  options: TestLicenseOptions = {},
): Promise<License> {
  const { text } = await issueTestLicense(options);
  return await devLicenseService(database).install(text, { kind: "cli", name: "test" });
}

/**
 * Installs a test license with `manager license install` for a manager started with `env`
 * (run it before `startManager`: a PGlite folder is locked while a manager runs).
 */
export async function installLicenseWithCli(
  env: Record<string, string>,
  options: TestLicenseOptions = {},
): Promise<License> {
  const { license, text } = await issueTestLicense(options);
  const file = await Deno.makeTempFile({ prefix: "tapline-license-", suffix: ".json" });
  try {
    await Deno.writeTextFile(file, text);
    const out = await runDeno("manager/main.ts", ["license", "install", file], env);
    if (out.code !== 0) {
      throw new Error(`manager license install failed:\n${out.stderr}${out.stdout}`);
    }
  } finally {
    await Deno.remove(file);
  }
  return license;
}
