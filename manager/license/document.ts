// The license document: a JSON file a person can read, signed with Ed25519 over the canonical
// encoding (canonical.ts) of every field but `signature`. Parsing checks the shape; verifying
// checks the key and the signature; `checkInstallable` checks the dates at install time.
import { canonicalJson, signedBytes } from "./canonical.ts";
import { type PrivateKey, type PublicKey, signBytes, verifyBytes } from "./keys.ts";
import { isModuleKey, MODULE_KEYS, type ModuleKey } from "./modules.ts";

export const LICENSE_FORMAT = "tapline-license/1";
/** Larger uploads are refused before parsing. */
export const MAX_LICENSE_BYTES = 64 * 1024;
const DAY_MS = 86_400_000;
/** A license whose start is this close ahead of the manager's clock is not "for the future". */
export const CLOCK_SKEW_MS = 5 * 60_000;

export interface LicenseLimits {
  /** Appliances this license allows (summed over licenses in effect). */
  appliances: number;
  /** Capture bandwidth in bits per second; absent when the license states none. */
  captureBandwidthBps?: number;
}

export interface License {
  format: typeof LICENSE_FORMAT;
  id: string;
  customer: string;
  /** RFC 3339 UTC timestamps, e.g. "2026-11-25T12:00:00.000Z". */
  issuedAt: string;
  notBefore: string;
  notAfter: string;
  /** Days after notAfter during which the modules stay enabled. */
  graceDays: number;
  modules: ModuleKey[];
  limits: LicenseLimits;
  /** Id of the public key that verifies the signature (keys.ts). */
  keyId: string;
  /** Ed25519 signature, unpadded base64url, over canonicalJson(everything but signature). */
  signature: string;
}

export type LicensePayload = Omit<License, "format" | "keyId" | "signature">;

export type LicenseErrorReason =
  | "too_large"
  | "malformed"
  | "untrusted_key"
  | "bad_signature"
  | "not_yet_valid"
  | "expired"
  | "duplicate"
  | "not_found";

/** Why a license was refused; the message names the reason and the license. */
export class LicenseError extends Error {
  override name = "LicenseError";
  constructor(readonly reason: LicenseErrorReason, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
const FIELDS = new Set([
  "format",
  "id",
  "customer",
  "issuedAt",
  "notBefore",
  "notAfter",
  "graceDays",
  "modules",
  "limits",
  "keyId",
  "signature",
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Milliseconds of an RFC 3339 UTC timestamp as licenses write them; NaN when it is not one. */
export function parseTime(text: string): number {
  if (!TIME_RE.test(text)) return NaN;
  const ms = Date.parse(text);
  // Date.parse accepts "2026-02-30": require the round trip to land on the same day and time.
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== text.slice(0, 19)
    ? NaN
    : ms;
}

function intIn(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
}

/** Every shape problem of a parsed document, each naming its field. */
function shapeProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(doc)) if (!FIELDS.has(key)) problems.push(`unknown field "${key}"`);
  if (doc.format !== LICENSE_FORMAT) {
    problems.push(`format: expected "${LICENSE_FORMAT}", got ${JSON.stringify(doc.format)}`);
  }
  if (typeof doc.id !== "string" || !ID_RE.test(doc.id)) {
    problems.push("id: expected 1–64 letters, digits, '.', '_' or '-'");
  }
  if (
    typeof doc.customer !== "string" || doc.customer.trim() === "" || doc.customer.length > 200 ||
    /\p{Cc}/u.test(doc.customer)
  ) {
    problems.push("customer: expected a name of 1–200 printable characters");
  }
  for (const field of ["issuedAt", "notBefore", "notAfter"] as const) {
    if (typeof doc[field] !== "string" || Number.isNaN(parseTime(doc[field] as string))) {
      problems.push(`${field}: expected an RFC 3339 UTC time like 2026-11-25T12:00:00.000Z`);
    }
  }
  const from = parseTime(String(doc.notBefore)), to = parseTime(String(doc.notAfter));
  if (!Number.isNaN(from) && !Number.isNaN(to) && to <= from) {
    problems.push("notAfter: must be later than notBefore");
  }
  if (!intIn(doc.graceDays, 0, 365)) problems.push("graceDays: expected an integer from 0 to 365");
  if (!Array.isArray(doc.modules) || doc.modules.length === 0) {
    problems.push("modules: expected a non-empty list of module keys");
  } else {
    const seen = new Set<string>();
    for (const m of doc.modules) {
      if (typeof m !== "string" || !isModuleKey(m)) {
        problems.push(
          `modules: unknown module ${JSON.stringify(m)} (known: ${MODULE_KEYS.join(", ")})`,
        );
      } else if (seen.has(m)) problems.push(`modules: ${m} is listed twice`);
      else seen.add(m);
    }
  }
  if (!isObject(doc.limits)) {
    problems.push("limits: expected an object with appliances");
  } else {
    for (const key of Object.keys(doc.limits)) {
      if (key !== "appliances" && key !== "captureBandwidthBps") {
        problems.push(`limits: unknown field "${key}"`);
      }
    }
    if (!intIn(doc.limits.appliances, 0, 1_000_000)) {
      problems.push("limits.appliances: expected an integer from 0 to 1000000");
    }
    const bw = doc.limits.captureBandwidthBps;
    if (bw !== undefined && !intIn(bw, 1, Number.MAX_SAFE_INTEGER)) {
      problems.push("limits.captureBandwidthBps: expected a positive integer (bits per second)");
    }
  }
  if (typeof doc.keyId !== "string" || !/^[0-9a-f]{16}$/.test(doc.keyId)) {
    problems.push("keyId: expected 16 lowercase hex digits");
  }
  if (typeof doc.signature !== "string" || !/^[A-Za-z0-9_-]{86}$/.test(doc.signature)) {
    problems.push("signature: expected an Ed25519 signature in base64url (86 characters)");
  }
  return problems;
}

/** Parses a license file's text and checks its shape (not its signature): see verifyLicense. */
export function parseLicense(text: string): License {
  if (new TextEncoder().encode(text).length > MAX_LICENSE_BYTES) {
    throw new LicenseError("too_large", `license file larger than ${MAX_LICENSE_BYTES} bytes`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new LicenseError("malformed", `not a license file: ${(err as Error).message}`);
  }
  if (!isObject(doc)) {
    throw new LicenseError("malformed", "not a license file: expected a JSON object");
  }
  const problems = shapeProblems(doc);
  if (problems.length > 0) {
    const id = typeof doc.id === "string" && ID_RE.test(doc.id) ? ` ${doc.id}` : "";
    throw new LicenseError("malformed", `malformed license${id}: ${problems.join("; ")}`);
  }
  return doc as unknown as License;
}

/** Parses a license from bytes that must be UTF-8. */
export function parseLicenseBytes(bytes: Uint8Array): License {
  if (bytes.length > MAX_LICENSE_BYTES) {
    throw new LicenseError("too_large", `license file larger than ${MAX_LICENSE_BYTES} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new LicenseError("malformed", "not a license file: not UTF-8 text");
  }
  return parseLicense(text);
}

/**
 * Checks that a trusted key signed exactly this license. Throws LicenseError "untrusted_key"
 * when no trusted key has its keyId, "bad_signature" when the content was changed after signing.
 */
export async function verifyLicense(
  license: License,
  trusted: readonly PublicKey[],
): Promise<void> {
  const key = trusted.find((k) => k.id === license.keyId);
  if (!key) {
    throw new LicenseError(
      "untrusted_key",
      `license ${license.id} is signed with key ${license.keyId}, which this manager does not trust`,
    );
  }
  const ok = await verifyBytes(key, {
    bytes: signedBytes(license as unknown as Record<string, unknown>),
    signature: license.signature,
  });
  if (!ok) {
    throw new LicenseError(
      "bad_signature",
      `license ${license.id}: the signature does not match its content (the file was changed after signing)`,
    );
  }
}

/** Refuses, at install time, a license for the future or the past. */
export function checkInstallable(license: License, nowMs: number): void {
  const from = parseTime(license.notBefore);
  const to = parseTime(license.notAfter);
  if (from > nowMs + CLOCK_SKEW_MS) {
    throw new LicenseError(
      "not_yet_valid",
      `license ${license.id} is not valid yet: it starts ${license.notBefore}`,
    );
  }
  if (to <= nowMs) {
    throw new LicenseError(
      "expired",
      `license ${license.id} has expired: it ended ${license.notAfter}`,
    );
  }
}

/** Signs a payload into a license document. */
export async function signLicense(payload: LicensePayload, key: PrivateKey): Promise<License> {
  const unsigned = { format: LICENSE_FORMAT, ...payload, keyId: key.id };
  const signature = await signBytes(key, signedBytes(unsigned));
  const license = { ...unsigned, signature } as License;
  // The payload must pass the same checks a manager applies.
  parseLicense(JSON.stringify(license));
  return license;
}

/** The file text the license tool writes: sorted keys, two-space indents, a final newline. */
export function licenseFileText(license: License): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(license)), null, 2)}\n`;
}

export interface LicenseTerms {
  id: string;
  customer: string;
  modules: readonly ModuleKey[];
  notBeforeMs: number;
  notAfterMs: number;
  /** notAfter + graceDays: when the license stops enabling anything. */
  graceEndsMs: number;
  graceDays: number;
  limits: LicenseLimits;
}

/** The dates and grants of a (verified) license, in the form computeLicensing() takes. */
export function termsOf(license: License): LicenseTerms {
  const notAfterMs = parseTime(license.notAfter);
  return {
    id: license.id,
    customer: license.customer,
    modules: license.modules,
    notBeforeMs: parseTime(license.notBefore),
    notAfterMs,
    graceEndsMs: notAfterMs + license.graceDays * DAY_MS,
    graceDays: license.graceDays,
    limits: license.limits,
  };
}
