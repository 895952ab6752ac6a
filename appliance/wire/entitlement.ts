// A signed entitlement: the small document an appliance's config will carry to say which modules
// it may use (DESIGN §3: it refuses to distribute traffic unless traffic_distribution is in it).
// Same key machinery and canonical encoding as licenses.
// The manager signs one per appliance into its config document (manager/fleet/); the appliance
// verifies it with the manager key it pinned at enrollment.
import { signedBytes } from "./canonical.ts";
import { type PrivateKey, type PublicKey, signBytes, verifyBytes } from "./keys.ts";
import { isModuleKey, type ModuleKey } from "./modules.ts";

export const ENTITLEMENT_FORMAT = "tapline-entitlement/1";

export interface Entitlement {
  format: typeof ENTITLEMENT_FORMAT;
  /** The appliance it is for: another appliance must refuse it. */
  applianceId: string;
  modules: ModuleKey[];
  /** ms since the epoch. */
  issuedAt: number;
  /** ms since the epoch; the appliance stops using the modules after it. */
  notAfter: number;
  keyId: string;
  signature: string;
}

export type EntitlementCheck =
  | { ok: true; entitlement: Entitlement }
  | { ok: false; reason: string };

export async function signEntitlement(
  fields: {
    applianceId: string;
    modules: readonly ModuleKey[];
    issuedAt: number;
    notAfter: number;
  },
  key: PrivateKey,
): Promise<Entitlement> {
  const unsigned = {
    format: ENTITLEMENT_FORMAT as typeof ENTITLEMENT_FORMAT,
    applianceId: fields.applianceId,
    modules: [...fields.modules],
    issuedAt: fields.issuedAt,
    notAfter: fields.notAfter,
    keyId: key.id,
  };
  return { ...unsigned, signature: await signBytes(key, signedBytes(unsigned)) };
}

/**
 * Checks an entitlement as the appliance will: a trusted signature, for this appliance, not
 * expired. Returns a reason instead of throwing, since it runs on every config pull.
 */
export async function verifyEntitlement(
  doc: unknown,
  options: { keys: readonly PublicKey[]; applianceId: string; now: number },
): Promise<EntitlementCheck> {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { ok: false, reason: "entitlement: expected an object" };
  }
  const e = doc as Record<string, unknown>;
  const fields = ["format", "applianceId", "modules", "issuedAt", "notAfter", "keyId", "signature"];
  const unknown = Object.keys(e).filter((k) => !fields.includes(k));
  if (unknown.length > 0) {
    return { ok: false, reason: `entitlement: unknown field "${unknown[0]}"` };
  }
  if (e.format !== ENTITLEMENT_FORMAT) return { ok: false, reason: "entitlement: wrong format" };
  if (
    typeof e.applianceId !== "string" || !Array.isArray(e.modules) ||
    !e.modules.every((m) => typeof m === "string" && isModuleKey(m)) ||
    !Number.isSafeInteger(e.issuedAt) || !Number.isSafeInteger(e.notAfter) ||
    typeof e.keyId !== "string" || typeof e.signature !== "string"
  ) {
    return { ok: false, reason: "entitlement: malformed" };
  }
  const key = options.keys.find((k) => k.id === e.keyId);
  if (!key) return { ok: false, reason: `entitlement: signed with untrusted key ${e.keyId}` };
  let valid = false;
  try {
    valid = await verifyBytes(key, { bytes: signedBytes(e), signature: e.signature });
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: "entitlement: the signature does not match its content" };
  if (e.applianceId !== options.applianceId) {
    return { ok: false, reason: `entitlement: issued for appliance ${e.applianceId}` };
  }
  if ((e.notAfter as number) <= options.now) return { ok: false, reason: "entitlement: expired" };
  return { ok: true, entitlement: e as unknown as Entitlement };
}

/** Whether a verified entitlement grants `module`. */
export function entitles(check: EntitlementCheck, module: ModuleKey): boolean {
  return check.ok && check.entitlement.modules.includes(module);
}
