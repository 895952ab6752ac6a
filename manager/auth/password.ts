// Password hashing with PBKDF2-HMAC-SHA256 from WebCrypto (no dependency). OWASP's Password
// Storage Cheat Sheet asks for at least 600,000 iterations with SHA-256; the stored text carries
// the algorithm, cost and salt, so raising the cost only needs a re-hash at the next sign-in.
import { base64url, fromBase64url, timingSafeEqualBytes } from "./secrets.ts";

/** OWASP's current minimum for PBKDF2-HMAC-SHA256. */
export const PBKDF2_ITERATIONS = 600_000;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

const ALGORITHM = "pbkdf2-sha256";
const SALT_BYTES = 16;
const HASH_BITS = 256;
const encoder = new TextEncoder();

export interface HashOptions {
  /** PBKDF2 iterations; defaults to PBKDF2_ITERATIONS. */
  iterations?: number;
}

async function derive(password: string, salt: Uint8Array, iterations: number) {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password.normalize("NFC")),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    HASH_BITS,
  );
  return new Uint8Array(bits);
}

/** Hashes with a fresh random salt: `pbkdf2-sha256$ITERATIONS$SALT$HASH` (base64url). */
export async function hashPassword(password: string, options: HashOptions = {}): Promise<string> {
  const iterations = options.iterations ?? PBKDF2_ITERATIONS;
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `${ALGORITHM}$${iterations}$${base64url(salt)}$${base64url(hash)}`;
}

interface Parsed {
  iterations: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parse(stored: string): Parsed | undefined {
  const [algorithm, cost, salt, hash, extra] = stored.split("$");
  if (algorithm !== ALGORITHM || extra !== undefined || !/^\d{1,9}$/.test(cost ?? "")) {
    return undefined;
  }
  const iterations = Number(cost);
  const saltBytes = fromBase64url(salt ?? "");
  const hashBytes = fromBase64url(hash ?? "");
  if (iterations < 1 || !saltBytes?.length || hashBytes?.length !== HASH_BITS / 8) return undefined;
  return { iterations, salt: saltBytes, hash: hashBytes };
}

// Verifying against this when the account does not exist (or has no password) costs the same
// time as a real check, so response times do not reveal which user names exist.
const DUMMY: Parsed = {
  iterations: PBKDF2_ITERATIONS,
  salt: new Uint8Array(SALT_BYTES),
  hash: new Uint8Array(HASH_BITS / 8),
};

/**
 * True when `password` matches `stored`. A missing or unreadable `stored` costs a full hash and
 * answers false; the comparison is constant-time.
 */
export async function verifyPassword(
  password: string,
  stored: string | null | undefined,
): Promise<boolean> {
  const parsed = stored ? parse(stored) : undefined;
  const target = parsed ?? DUMMY;
  const actual = await derive(password, target.salt, target.iterations);
  return timingSafeEqualBytes(actual, target.hash) && parsed !== undefined;
}

/** True when `stored` was hashed with fewer iterations than `wanted` (re-hash at sign-in). */
export function needsRehash(stored: string, wanted = PBKDF2_ITERATIONS): boolean {
  const parsed = parse(stored);
  return parsed === undefined || parsed.iterations < wanted;
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return `must be at least ${MIN_PASSWORD_LENGTH} characters (got ${length})`;
  }
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.trim() === "") return "must not be only spaces";
  return undefined;
}
