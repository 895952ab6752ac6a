import assert from "node:assert/strict";
import { entitles, signEntitlement, verifyEntitlement } from "./entitlement.ts";
import {
  DEV_PRIVATE_KEY_PATH,
  DEV_PUBLIC_KEY_PATH,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
} from "./keys.ts";

const NOW = Date.parse("2026-11-25T12:00:00Z");

async function setup() {
  const priv = await importPrivateKey(await Deno.readTextFile(DEV_PRIVATE_KEY_PATH), "dev");
  const pub = await importPublicKey(await Deno.readTextFile(DEV_PUBLIC_KEY_PATH), "dev");
  const doc = await signEntitlement({
    applianceId: "box-1",
    modules: ["traffic_distribution", "network_monitoring"],
    issuedAt: NOW,
    notAfter: NOW + 3_600_000,
  }, priv);
  return { pub, doc, options: { keys: [pub], applianceId: "box-1", now: NOW } };
}

Deno.test("verifyEntitlement() accepts a signed entitlement; entitles() reads its modules", async () => {
  const { doc, options } = await setup();
  const check = await verifyEntitlement(JSON.parse(JSON.stringify(doc)), options);
  assert.equal(check.ok, true);
  assert.equal(entitles(check, "traffic_distribution"), true);
  assert.equal(entitles(check, "db_monitoring"), false);
});

Deno.test("verifyEntitlement() refuses a changed, foreign, misdirected or expired entitlement", async () => {
  const { doc, options } = await setup();
  const other = await importPrivateKey((await generateKeyPair()).privatePem, "other");
  const foreign = await signEntitlement({ ...doc, modules: doc.modules }, other);
  const cases: [unknown, Partial<typeof options>, RegExp][] = [
    [{ ...doc, modules: [...doc.modules, "db_monitoring"] }, {}, /signature does not match/],
    [{ ...doc, notAfter: doc.notAfter + 1 }, {}, /signature does not match/],
    [{ ...doc, notAfter: doc.notAfter + 0.5 }, {}, /malformed/],
    [foreign, {}, /untrusted key/],
    [doc, { applianceId: "box-2" }, /issued for appliance box-1/],
    [doc, { now: doc.notAfter }, /expired/],
    [{ ...doc, extra: true }, {}, /unknown field "extra"/],
    [{ ...doc, modules: ["warp_drive"] }, {}, /malformed/],
    [null, {}, /expected an object/],
    ["text", {}, /expected an object/],
  ];
  for (const [input, over, reason] of cases) {
    const check = await verifyEntitlement(input, { ...options, ...over });
    assert.equal(check.ok, false, JSON.stringify(input)?.slice(0, 60));
    assert.match(check.ok ? "" : check.reason, reason);
    assert.equal(entitles(check, "traffic_distribution"), false);
  }
});
