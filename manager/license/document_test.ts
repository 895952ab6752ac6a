import assert from "node:assert/strict";
import {
  checkInstallable,
  type License,
  LicenseError,
  licenseFileText,
  type LicensePayload,
  parseLicense,
  parseLicenseBytes,
  signLicense,
  termsOf,
  verifyLicense,
} from "./document.ts";
import {
  DEV_PRIVATE_KEY_PATH,
  DEV_PUBLIC_KEY_PATH,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  type PrivateKey,
  type PublicKey,
} from "./keys.ts";

const NOW = Date.parse("2026-11-25T12:00:00.000Z");
const DAY = 86_400_000;

const payload = (over: Partial<LicensePayload> = {}): LicensePayload => ({
  id: "TL-20261125-0001",
  customer: "ACME Networks",
  issuedAt: "2026-11-25T00:00:00.000Z",
  notBefore: "2026-11-25T00:00:00.000Z",
  notAfter: "2026-12-25T00:00:00.000Z",
  graceDays: 14,
  modules: ["network_monitoring", "call_monitoring"],
  limits: { appliances: 3, captureBandwidthBps: 10_000_000_000 },
  ...over,
});

let dev: { priv: PrivateKey; pub: PublicKey } | undefined;
async function devKeys() {
  dev ??= {
    priv: await importPrivateKey(await Deno.readTextFile(DEV_PRIVATE_KEY_PATH), "dev"),
    pub: await importPublicKey(await Deno.readTextFile(DEV_PUBLIC_KEY_PATH), "dev"),
  };
  return dev;
}

async function reason(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    assert.ok(err instanceof LicenseError, String(err));
    return `${err.reason}: ${err.message}`;
  }
  return "accepted";
}

/** Parse and verify, as an install does (without the dates). */
async function accept(text: string, keys: PublicKey[]): Promise<License> {
  const license = parseLicense(text);
  await verifyLicense(license, keys);
  return license;
}

Deno.test("signLicense() output survives the file round trip and verifies", async () => {
  const { priv, pub } = await devKeys();
  const license = await signLicense(payload(), priv);
  const text = licenseFileText(license);
  assert.ok(text.startsWith(`{\n  "customer": "ACME Networks",\n`), text.slice(0, 40));
  assert.ok(text.endsWith("}\n"));
  assert.deepEqual(await accept(text, [pub]), license);
  // Whitespace is not signed: a pretty-printer's output is the same license.
  assert.deepEqual(await accept(JSON.stringify(JSON.parse(text)), [pub]), license);
});

Deno.test("a license with any single changed byte is refused, naming why", async () => {
  const { priv, pub } = await devKeys();
  const text = licenseFileText(await signLicense(payload(), priv));
  const bytes = new TextEncoder().encode(text);
  const reasons = new Map<string, number>();
  for (let i = 0; i < bytes.length; i++) {
    for (const flip of [0x01, 0x20]) {
      const changed = bytes.slice();
      changed[i] = changed[i]! ^ flip;
      let outcome: string;
      try {
        const license = parseLicenseBytes(changed);
        await verifyLicense(license, [pub]);
        outcome = "accepted";
      } catch (err) {
        assert.ok(err instanceof LicenseError, `byte ${i}: ${err}`);
        outcome = err.reason;
      }
      // Only whitespace may change without effect (space ↔ another JSON whitespace byte).
      if (outcome === "accepted") {
        assert.ok(
          /\s/.test(String.fromCharCode(bytes[i]!)) && /\s/.test(String.fromCharCode(changed[i]!)),
          `byte ${i} (${text[i]}) → accepted`,
        );
      }
      reasons.set(outcome, (reasons.get(outcome) ?? 0) + 1);
    }
  }
  assert.ok((reasons.get("bad_signature") ?? 0) > 100, JSON.stringify([...reasons]));
  assert.ok((reasons.get("malformed") ?? 0) > 100, JSON.stringify([...reasons]));
  assert.ok((reasons.get("untrusted_key") ?? 0) > 0, JSON.stringify([...reasons]));
  assert.equal(
    reasons.get("accepted") ?? 0,
    0,
    "a flip of 0x01 or 0x20 never turns whitespace into whitespace",
  );
});

Deno.test("verifyLicense() refuses a license signed by another key, or relabelled with our key id", async () => {
  const { pub } = await devKeys();
  const other = await generateKeyPair();
  const otherKey = await importPrivateKey(other.privatePem, "other");
  const foreign = await signLicense(payload(), otherKey);
  assert.match(
    await reason(accept(licenseFileText(foreign), [pub])),
    new RegExp(
      `^untrusted_key: license TL-20261125-0001 is signed with key ${other.id}, which this manager does not trust$`,
    ),
  );
  const relabelled = { ...foreign, keyId: pub.id };
  assert.match(
    await reason(accept(JSON.stringify(relabelled), [pub])),
    /^bad_signature: .*changed after signing/,
  );
});

Deno.test("verifyLicense() catches a changed field, even one a reader would think harmless", async () => {
  const { priv, pub } = await devKeys();
  const license = await signLicense(payload(), priv);
  const edits: Partial<License>[] = [
    { modules: [...license.modules, "db_monitoring"] },
    { notAfter: "2027-12-25T00:00:00.000Z" },
    { limits: { appliances: 30, captureBandwidthBps: 10_000_000_000 } },
    { limits: { appliances: 3 } },
    { customer: "ACME Networks " },
    { graceDays: 15 },
    { modules: [...license.modules].reverse() as License["modules"] },
  ];
  for (const edit of edits) {
    assert.match(
      await reason(accept(JSON.stringify({ ...license, ...edit }), [pub])),
      /^bad_signature/,
      JSON.stringify(edit),
    );
  }
});

Deno.test("parseLicense() names every malformed field", async () => {
  const { priv } = await devKeys();
  const good = await signLicense(payload(), priv);
  const cases: [unknown, RegExp][] = [
    ["not json", /^malformed: not a license file: /],
    ["[]", /expected a JSON object/],
    [{ ...good, extra: 1 }, /unknown field "extra"/],
    [{ ...good, format: "v2" }, /format: expected "tapline-license\/1"/],
    [{ ...good, id: "a b" }, /id: expected/],
    [{ ...good, customer: "x\u0007" }, /customer: expected/],
    [{ ...good, notAfter: "2026-02-30T00:00:00Z" }, /notAfter: expected an RFC 3339 UTC time/],
    [
      { ...good, notBefore: "2026-11-25T00:00:00+01:00" },
      /notBefore: expected an RFC 3339 UTC time/,
    ],
    [{ ...good, notAfter: good.notBefore }, /notAfter: must be later than notBefore/],
    [{ ...good, graceDays: -1 }, /graceDays: expected an integer from 0 to 365/],
    [{ ...good, graceDays: 1.5 }, /graceDays/],
    [{ ...good, modules: [] }, /modules: expected a non-empty list/],
    [{ ...good, modules: ["network_monitoring", "nope"] }, /modules: unknown module "nope"/],
    [
      { ...good, modules: ["network_monitoring", "network_monitoring"] },
      /network_monitoring is listed twice/,
    ],
    [{ ...good, limits: { appliances: "3" } }, /limits\.appliances: expected an integer/],
    [{ ...good, limits: { appliances: 3, seats: 1 } }, /limits: unknown field "seats"/],
    [
      { ...good, limits: { appliances: 3, captureBandwidthBps: 0 } },
      /captureBandwidthBps: expected a positive integer/,
    ],
    [{ ...good, keyId: "XYZ" }, /keyId: expected 16 lowercase hex digits/],
    [{ ...good, signature: "short" }, /signature: expected an Ed25519 signature/],
  ];
  for (const [doc, expected] of cases) {
    const text = typeof doc === "string" ? doc : JSON.stringify(doc);
    assert.match(await reason(() => parseLicense(text)), expected, text.slice(0, 80));
  }
  // All problems at once, with the id when it is readable.
  const many = await reason(() =>
    parseLicense(JSON.stringify({ ...good, graceDays: -1, modules: [] }))
  );
  assert.match(many, /^malformed: malformed license TL-20261125-0001: .*graceDays.*; modules/);
  assert.match(await reason(() => parseLicense(" ".repeat(70_000))), /^too_large/);
  assert.match(
    await reason(() => parseLicenseBytes(new Uint8Array([0x7b, 0xff, 0x7d]))),
    /not UTF-8 text/,
  );
});

Deno.test("checkInstallable() refuses a license for the future or the past", async () => {
  const { priv } = await devKeys();
  const license = await signLicense(payload(), priv);
  const start = Date.parse(license.notBefore), end = Date.parse(license.notAfter);
  checkInstallable(license, NOW);
  checkInstallable(license, start);
  // A few minutes of clock skew between vendor and manager are tolerated.
  checkInstallable(license, start - 4 * 60_000);
  assert.match(
    await reason(() => checkInstallable(license, start - DAY)),
    /^not_yet_valid: license TL-20261125-0001 is not valid yet: it starts 2026-11-25T00:00:00\.000Z$/,
  );
  assert.match(
    await reason(() => checkInstallable(license, end)),
    /^expired: license TL-20261125-0001 has expired: it ended 2026-12-25T00:00:00\.000Z$/,
  );
  checkInstallable(license, end - 1);
});

Deno.test("termsOf() turns the dates into ms and adds the grace period", async () => {
  const { priv } = await devKeys();
  const t = termsOf(await signLicense(payload(), priv));
  assert.equal(t.notBeforeMs, Date.parse("2026-11-25T00:00:00Z"));
  assert.equal(t.graceEndsMs, Date.parse("2026-12-25T00:00:00Z") + 14 * DAY);
  assert.deepEqual(t.limits, { appliances: 3, captureBandwidthBps: 10_000_000_000 });
});
