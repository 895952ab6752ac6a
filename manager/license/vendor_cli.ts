/**
 * The vendor's license tool (`deno task license …`): makes signing keys, issues licenses, checks
 * a license file. It runs where the private key lives, never on a customer's manager.
 *
 * ```sh
 * deno task license keygen --out keys/
 * deno task license issue --key keys/license.private.pem --modules all --customer "ACME" \
 *   --days 365 --appliances 4 --out acme.license.json
 * deno task license verify acme.license.json --pub keys/license.public.pem
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  type License,
  LicenseError,
  licenseFileText,
  parseLicense,
  signLicense,
  verifyLicense,
} from "./document.ts";
import { generateKeyPair, importPrivateKey, importPublicKey, KeyError } from "./keys.ts";
import { isModuleKey, MODULE_KEYS, type ModuleKey } from "./modules.ts";

export const VENDOR_USAGE = `usage: license <command> [options]

commands:
  keygen --out DIR                   write license.private.pem and license.public.pem into DIR
  issue  --key PRIVATE.pem --modules a,b|all --customer NAME --days N --out FILE
         [--not-before DATE] [--grace-days N] [--appliances N] [--bandwidth BPS] [--id ID]
                                     sign a license valid N days from --not-before (default now)
  verify FILE --pub PUBLIC.pem       check a license's signature and print its terms

modules: ${MODULE_KEYS.join(", ")}
defaults: --grace-days 14, --appliances 1, --id TL-<date>-<random>`;

const DAY_MS = 86_400_000;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const STDIO: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

class UsageError extends Error {
  override name = "UsageError";
}

function int(
  raw: string | undefined,
  name: string,
  fallback: number,
  [min, max]: [number, number],
) {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

function modulesOf(raw: string): ModuleKey[] {
  if (raw.trim() === "all") return [...MODULE_KEYS];
  const names = raw.split(",").map((m) => m.trim()).filter((m) => m !== "");
  const unknown = names.filter((m) => !isModuleKey(m));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--modules: unknown ${unknown.join(", ") || "(empty)"}; use "all" or some of ${
        MODULE_KEYS.join(", ")
      }`,
    );
  }
  // In the table's order, once each, so that two issues of the same set read the same.
  return MODULE_KEYS.filter((k) => names.includes(k));
}

function dateOf(raw: string | undefined, now: number): number {
  if (raw === undefined) return now;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? Date.parse(`${raw}T00:00:00Z`) : Date.parse(raw);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(raw)) {
    throw new UsageError(`--not-before: expected a date like 2026-12-01 or 2026-12-01T00:00:00Z`);
  }
  return ms;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new UsageError(`${what} ${path}: no such file`);
    throw err;
  }
}

async function keygen(values: Record<string, unknown>, io: CliIo): Promise<number> {
  const dir = values.out as string | undefined;
  if (!dir) throw new UsageError("keygen: --out DIR is required");
  await Deno.mkdir(dir, { recursive: true });
  const pair = await generateKeyPair();
  const priv = `${dir}/license.private.pem`, pub = `${dir}/license.public.pem`;
  // createNew: an existing signing key is never overwritten.
  for (
    const [path, text, mode] of [[priv, pair.privatePem, 0o600], [
      pub,
      pair.publicPem,
      0o644,
    ]] as const
  ) {
    try {
      await Deno.writeTextFile(path, text, { createNew: true, mode });
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) {
        throw new UsageError(`keygen: ${path} exists; not overwriting a key`);
      }
      throw err;
    }
  }
  io.out(`key ${pair.id}: private ${priv} (keep it secret), public ${pub} (give it to managers)`);
  return 0;
}

export function defaultLicenseId(now: number): string {
  const day = new Date(now).toISOString().slice(0, 10).replaceAll("-", "");
  const random = crypto.getRandomValues(new Uint8Array(4));
  return `TL-${day}-${[...random].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Issues a license from the tool's options (also used by tests and the demo). */
export async function issue(
  values: Record<string, string | boolean | undefined>,
  now = Date.now(),
): Promise<License> {
  const missing = ["key", "modules", "customer", "days"].filter((k) => values[k] === undefined);
  if (missing.length > 0) {
    throw new UsageError(`issue: ${missing.map((m) => `--${m}`).join(", ")} required`);
  }
  const key = await importPrivateKey(
    await readText(values.key as string, "--key"),
    values.key as string,
  );
  const notBefore = dateOf(values["not-before"] as string | undefined, now);
  const days = int(values.days as string, "days", 0, [1, 36500]);
  const bandwidth = values.bandwidth === undefined
    ? undefined
    : int(values.bandwidth as string, "bandwidth", 0, [1, Number.MAX_SAFE_INTEGER]);
  return await signLicense({
    id: (values.id as string | undefined) ?? defaultLicenseId(now),
    customer: values.customer as string,
    issuedAt: new Date(now).toISOString(),
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notBefore + days * DAY_MS).toISOString(),
    graceDays: int(values["grace-days"] as string | undefined, "grace-days", 14, [0, 365]),
    modules: modulesOf(values.modules as string),
    limits: {
      appliances: int(values.appliances as string | undefined, "appliances", 1, [0, 1_000_000]),
      ...(bandwidth === undefined ? {} : { captureBandwidthBps: bandwidth }),
    },
  }, key);
}

async function verify(
  file: string | undefined,
  pubPath: string | undefined,
  io: CliIo,
): Promise<number> {
  if (!file || !pubPath) throw new UsageError("verify: FILE and --pub KEY are required");
  const key = await importPublicKey(await readText(pubPath, "--pub"), pubPath);
  const license = parseLicense(await readText(file, "license"));
  await verifyLicense(license, [key]);
  io.out(`${file}: valid signature by key ${key.id}`);
  io.out(`  id ${license.id}, customer ${license.customer}`);
  io.out(`  valid ${license.notBefore} → ${license.notAfter} (+${license.graceDays} days grace)`);
  io.out(`  modules ${license.modules.join(", ")}`);
  const bw = license.limits.captureBandwidthBps;
  io.out(
    `  appliances ${license.limits.appliances}${bw === undefined ? "" : `, capture ${bw} bit/s`}`,
  );
  return 0;
}

/** Runs the tool; returns the exit code (0 done, 1 refused, 2 usage). */
export async function vendorMain(args: string[], io: CliIo = STDIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: "string" },
        key: { type: "string" },
        pub: { type: "string" },
        modules: { type: "string" },
        customer: { type: "string" },
        days: { type: "string" },
        "not-before": { type: "string" },
        "grace-days": { type: "string" },
        appliances: { type: "string" },
        bandwidth: { type: "string" },
        id: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    io.err(`license: ${(err as Error).message}`);
    io.err(VENDOR_USAGE);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  try {
    if (values.help || command === undefined || command === "help") {
      io.out(VENDOR_USAGE);
      return 0;
    }
    if (command === "keygen") return await keygen(values, io);
    if (command === "issue") {
      if (!values.out) throw new UsageError("issue: --out FILE is required");
      const license = await issue(values);
      await Deno.writeTextFile(values.out, licenseFileText(license));
      io.out(`license ${license.id} for ${license.customer}: ${license.modules.join(", ")}`);
      io.out(
        `  valid ${license.notBefore} → ${license.notAfter}, signed by key ${license.keyId} → ${values.out}`,
      );
      return 0;
    }
    if (command === "verify") return await verify(rest[0], values.pub, io);
    throw new UsageError(
      `unknown command ${JSON.stringify(command)} (expected keygen, issue or verify)`,
    );
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`license: ${err.message}`);
      io.err(VENDOR_USAGE);
      return 2;
    }
    if (err instanceof LicenseError || err instanceof KeyError) {
      io.err(`license: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.main) Deno.exit(await vendorMain(Deno.args));
