// The canonical encoding that signatures cover (documented in README "Licenses"):
// JSON with the keys of every object sorted by UTF-16 code unit order (plain `<` on strings), no
// whitespace, strings escaped as JSON.stringify escapes them, numbers only as safe integers, no
// null / undefined / floats. For ASCII documents this is what `jq -cS` prints.

export type CanonicalValue =
  | string
  | number
  | boolean
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue };

export class CanonicalError extends Error {
  override name = "CanonicalError";
}

/** The canonical text of `value`; throws CanonicalError on a value it cannot encode. */
export function canonicalJson(value: unknown, path = "$"): string {
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new CanonicalError(`${path}: only safe integers can be signed, got ${value}`);
    }
    return String(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(",")}]`;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const body = entries.map(([k, v]) =>
      `${JSON.stringify(k)}:${canonicalJson(v, `${path}.${k}`)}`
    );
    return `{${body.join(",")}}`;
  }
  throw new CanonicalError(`${path}: ${value === null ? "null" : typeof value} cannot be signed`);
}

/** The bytes a signature covers: the canonical JSON of `doc` without its `signature` field. */
export function signedBytes(doc: Record<string, unknown>): Uint8Array<ArrayBuffer> {
  const { signature: _, ...payload } = doc;
  return new TextEncoder().encode(canonicalJson(payload));
}
