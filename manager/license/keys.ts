// The manager's side of the license keys: the repository's development key pair and loading the
// trusted public keys. The WebCrypto key machinery lives in appliance/wire/keys.ts, shared with
// the appliance (which verifies entitlements), and is re-exported here.
import { importPublicKey, KeyError, type PublicKey } from "../../appliance/wire/mod.ts";

export {
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  KeyError,
  pemDecode,
  pemEncode,
  type PrivateKey,
  type PublicKey,
  signBytes,
  verifyBytes,
} from "../../appliance/wire/mod.ts";

/** The repository's development key pair: tests and the demo only, never production. */
export const DEV_KEYS_DIR = new URL("./dev_keys/", import.meta.url).pathname;
export const DEV_PUBLIC_KEY_PATH = `${DEV_KEYS_DIR}dev.public.pem`;
export const DEV_PRIVATE_KEY_PATH = `${DEV_KEYS_DIR}dev.private.pem`;
/** The id of the development public key (keys_test.ts checks it against the file). */
export const DEV_KEY_ID = "bdacfa99f8d39fd0";

/**
 * The public keys a manager trusts, from `TAPLINE_LICENSE_KEYS` entries: each is a path to a
 * PEM file or an inline PEM. Every unreadable entry is reported at once.
 */
export async function loadTrustedKeys(specs: readonly string[]): Promise<PublicKey[]> {
  const problems: string[] = [];
  const keys: PublicKey[] = [];
  for (const spec of specs) {
    const inline = spec.includes("-----BEGIN");
    try {
      const text = inline ? spec : await Deno.readTextFile(spec);
      keys.push(await importPublicKey(text, inline ? "inline key" : spec));
    } catch (err) {
      problems.push(
        err instanceof Deno.errors.NotFound ? `${spec}: no such file` : (err as Error).message,
      );
    }
  }
  if (problems.length > 0) throw new KeyError(`cannot load license keys: ${problems.join("; ")}`);
  return keys;
}
