// `manager license install FILE | list | verify FILE | remove ID`: license administration from
// the manager's command line (main.ts opens the database and hands over the service).
import { checkInstallable, LicenseError, parseLicense, verifyLicense } from "./document.ts";
import {
  DEV_KEY_ID,
  DEV_PUBLIC_KEY_PATH,
  KeyError,
  loadTrustedKeys,
  type PublicKey,
} from "./keys.ts";
import type { LicenseService } from "./service.ts";

export interface AdminIo {
  out(line: string): void;
  err(line: string): void;
}

const CLI_ACTOR = { kind: "cli", name: "cli" } as const;

/**
 * The keys a manager trusts: TAPLINE_LICENSE_KEYS when set, else the development key, announced
 * through `warn` because anyone can sign licenses with it.
 */
export async function trustedKeys(
  specs: readonly string[] | undefined,
  warn: (message: string) => void,
): Promise<PublicKey[]> {
  if (specs && specs.length > 0) {
    const keys = await loadTrustedKeys(specs);
    if (keys.some((k) => k.id === DEV_KEY_ID)) {
      warn(
        `TAPLINE_LICENSE_KEYS includes the DEVELOPMENT license key ${DEV_KEY_ID}: anyone can issue licenses for this manager`,
      );
    }
    return keys;
  }
  warn(
    `trusting the DEVELOPMENT license key ${DEV_KEY_ID} (${DEV_PUBLIC_KEY_PATH}): anyone can issue licenses for this manager; set TAPLINE_LICENSE_KEYS in production`,
  );
  return await loadTrustedKeys([DEV_PUBLIC_KEY_PATH]);
}

async function readLicenseFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new LicenseError("malformed", `${path}: no such file`);
    }
    throw err;
  }
}

/** `license verify FILE`: signature by a trusted key and dates, without a database. */
export async function verifyLicenseFile(
  path: string,
  options: { keys: readonly PublicKey[]; io: AdminIo; now?: number },
): Promise<number> {
  const { keys, io, now = Date.now() } = options;
  try {
    const license = parseLicense(await readLicenseFile(path));
    await verifyLicense(license, keys);
    checkInstallable(license, now);
    io.out(
      `${path}: license ${license.id} for ${license.customer} is valid (key ${license.keyId}), ` +
        `${license.notBefore} → ${license.notAfter}: ${license.modules.join(", ")}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof LicenseError || err instanceof KeyError) {
      io.err(`manager: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** Runs install / list / remove against the database; returns the exit code. */
export async function runLicenseCommand(
  command: { action: "install" | "list" | "remove"; arg?: string },
  options: { licenses: LicenseService; io: AdminIo },
): Promise<number> {
  const { licenses, io } = options;
  try {
    if (command.action === "install") {
      const license = await licenses.install(await readLicenseFile(command.arg!), CLI_ACTOR);
      await licenses.announceNotices();
      io.out(
        `installed license ${license.id} for ${license.customer}: ${license.modules.join(", ")}`,
      );
      return 0;
    }
    if (command.action === "remove") {
      const removed = await licenses.remove(command.arg!, CLI_ACTOR);
      io.out(`removed license ${removed.id}`);
      return 0;
    }
    const [installed, state] = await Promise.all([licenses.list(), licenses.state()]);
    if (installed.length === 0) io.out("no license installed");
    for (const entry of installed) {
      const l = entry.license;
      const status = entry.invalid
        ? `INVALID (${entry.invalid})`
        : state.licenses.find((s) => s.terms.id === l.id)?.status ?? "?";
      io.out(
        `${l.id}\t${status}\t${l.notBefore} → ${l.notAfter}\t${l.customer}\t${l.modules.join(",")}`,
      );
    }
    const enabled = [...state.enabled];
    io.out(
      `enabled modules: ${
        enabled.length > 0 ? enabled.join(", ") : "none"
      }; appliances allowed: ${state.limits.appliances}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof LicenseError) {
      io.err(`manager: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
