// Ed25519 keys for licenses and entitlements, through WebCrypto only (shared by the manager,
// which signs, and the appliance, which verifies entitlements). Public keys are SPKI and
// private keys PKCS #8, both PEM (RFC 7468); text outside the BEGIN/END lines is ignored, so a key
// file can carry a label such as "DEVELOPMENT ONLY". A key id names a public key: the first 16 hex
// digits of SHA-256 over its 32 raw bytes, so an id cannot point at a key it was not derived from.

const ALGORITHM = { name: "Ed25519" } as const;

export class KeyError extends Error {
  override name = "KeyError";
}

export interface PublicKey {
  id: string;
  key: CryptoKey;
  /** Where it came from, for logs: a path or "inline". */
  source: string;
}

export interface PrivateKey {
  /** The id of the matching public key. */
  id: string;
  key: CryptoKey;
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** RFC 7468 text: `label` is "PUBLIC KEY" or "PRIVATE KEY"; lines of 64 base64 characters. */
export function pemEncode(der: Uint8Array, options: { label: string; comment?: string }): string {
  const { label, comment = "" } = options;
  const body = toBase64(der).match(/.{1,64}/g)?.join("\n") ?? "";
  const head = comment ? `${comment.trimEnd()}\n` : "";
  return `${head}-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** The DER bytes between the BEGIN/END lines of `label`; throws KeyError when absent. */
export function pemDecode(
  text: string,
  options: { label: string; source: string },
): Uint8Array<ArrayBuffer> {
  const { label, source } = options;
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text);
  if (!match) throw new KeyError(`${source}: no "-----BEGIN ${label}-----" block`);
  const body = match[1]!.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
    throw new KeyError(`${source}: the ${label} block is not base64`);
  }
  return fromBase64(body);
}

async function idOf(publicKey: CryptoKey): Promise<string> {
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", publicKey));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new key pair as PEM texts, with the public key's id. */
export async function generateKeyPair(): Promise<
  { id: string; publicPem: string; privatePem: string }
> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const id = await idOf(pair.publicKey);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return {
    id,
    publicPem: pemEncode(spki, {
      label: "PUBLIC KEY",
      comment: `Tapline license public key ${id}`,
    }),
    privatePem: pemEncode(pkcs8, {
      label: "PRIVATE KEY",
      comment: `Tapline license SIGNING key ${id}: keep secret, never give it to a manager`,
    }),
  };
}

/** Imports an SPKI PEM public key. */
export async function importPublicKey(pem: string, source: string): Promise<PublicKey> {
  const der = pemDecode(pem, { label: "PUBLIC KEY", source });
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("spki", der, ALGORITHM, true, ["verify"]);
  } catch (err) {
    throw new KeyError(`${source}: not an Ed25519 public key`, { cause: err });
  }
  return { id: await idOf(key), key, source };
}

/** Imports a PKCS #8 PEM private key and works out the id of its public half. */
export async function importPrivateKey(pem: string, source: string): Promise<PrivateKey> {
  const der = pemDecode(pem, { label: "PRIVATE KEY", source });
  let key: CryptoKey;
  try {
    // Extractable only long enough to derive the public key (its JWK carries `x`).
    key = await crypto.subtle.importKey("pkcs8", der, ALGORITHM, true, ["sign"]);
  } catch (err) {
    throw new KeyError(`${source}: not an Ed25519 private key`, { cause: err });
  }
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const publicKey = await crypto.subtle.importKey(
    "jwk",
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x },
    ALGORITHM,
    true,
    ["verify"],
  );
  const signing = await crypto.subtle.importKey("pkcs8", der, ALGORITHM, false, ["sign"]);
  return { id: await idOf(publicKey), key: signing };
}

/** Signs `bytes`; the signature as unpadded base64url. */
export async function signBytes(key: PrivateKey, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.sign("Ed25519", key.key, bytes)));
}

function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Checks an unpadded base64url Ed25519 signature; false (not an exception) when it fails. */
export async function verifyBytes(
  key: PublicKey,
  signed: { bytes: Uint8Array<ArrayBuffer>; signature: string },
): Promise<boolean> {
  const { bytes, signature } = signed;
  if (!/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
  const sig = fromBase64(signature.replaceAll("-", "+").replaceAll("_", "/") + "==");
  // The last character carries 4 unused bits: only the canonical spelling is accepted, so that
  // no changed character of a license file goes unnoticed.
  if (toBase64Url(sig) !== signature) return false;
  return await crypto.subtle.verify("Ed25519", key.key, sig, bytes);
}
