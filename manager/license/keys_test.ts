import assert from "node:assert/strict";
import {
  DEV_KEY_ID,
  DEV_PRIVATE_KEY_PATH,
  DEV_PUBLIC_KEY_PATH,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  KeyError,
  loadTrustedKeys,
  pemDecode,
  signBytes,
  verifyBytes,
} from "./keys.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("the development key pair is labelled, matches DEV_KEY_ID, and signs for itself", async () => {
  const pubPem = await Deno.readTextFile(DEV_PUBLIC_KEY_PATH);
  const privPem = await Deno.readTextFile(DEV_PRIVATE_KEY_PATH);
  for (const pem of [pubPem, privPem]) assert.match(pem, /^DEVELOPMENT ONLY/);
  const pub = await importPublicKey(pubPem, "dev");
  const priv = await importPrivateKey(privPem, "dev");
  assert.equal(pub.id, DEV_KEY_ID);
  assert.equal(priv.id, DEV_KEY_ID);
  const sig = await signBytes(priv, bytes("hello"));
  assert.equal(await verifyBytes(pub, { bytes: bytes("hello"), signature: sig }), true);
  assert.equal(await verifyBytes(pub, { bytes: bytes("hellO"), signature: sig }), false);
});

Deno.test("generateKeyPair() makes a fresh pair whose halves share an id", async () => {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  assert.notEqual(a.id, b.id);
  assert.match(a.id, /^[0-9a-f]{16}$/);
  assert.equal((await importPublicKey(a.publicPem, "a")).id, a.id);
  assert.equal((await importPrivateKey(a.privatePem, "a")).id, a.id);
  const sig = await signBytes(await importPrivateKey(a.privatePem, "a"), bytes("x"));
  assert.equal(
    await verifyBytes(await importPublicKey(b.publicPem, "b"), {
      bytes: bytes("x"),
      signature: sig,
    }),
    false,
  );
});

Deno.test("verifyBytes() accepts only the canonical spelling of a signature", async () => {
  const priv = await importPrivateKey(await Deno.readTextFile(DEV_PRIVATE_KEY_PATH), "dev");
  const pub = await importPublicKey(await Deno.readTextFile(DEV_PUBLIC_KEY_PATH), "dev");
  const sig = await signBytes(priv, bytes("x"));
  assert.equal(sig.length, 86);
  // The last character carries 4 unused bits: any other spelling of the same bytes is refused.
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (const ch of alphabet) {
    if (ch === sig.at(-1)) continue;
    assert.equal(
      await verifyBytes(pub, { bytes: bytes("x"), signature: sig.slice(0, -1) + ch }),
      false,
      ch,
    );
  }
  for (const bad of ["", sig + "A", sig.slice(1), sig.replace(/.$/, "=")]) {
    assert.equal(await verifyBytes(pub, { bytes: bytes("x"), signature: bad }), false);
  }
});

Deno.test("pemDecode() and importPublicKey() name the file and the problem", async () => {
  assert.throws(
    () => pemDecode("nothing here", { label: "PUBLIC KEY", source: "k.pem" }),
    /k\.pem: no "-----BEGIN PUBLIC KEY-----"/,
  );
  assert.throws(
    () =>
      pemDecode("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----", {
        label: "PUBLIC KEY",
        source: "k.pem",
      }),
    /not base64/,
  );
  const priv = await Deno.readTextFile(DEV_PRIVATE_KEY_PATH);
  await assert.rejects(
    importPublicKey(priv.replaceAll("PRIVATE KEY", "PUBLIC KEY"), "swapped.pem"),
    /swapped\.pem: not an Ed25519 public key/,
  );
});

Deno.test("loadTrustedKeys() takes paths and inline PEMs, and reports every bad entry at once", async () => {
  const inline = (await generateKeyPair()).publicPem;
  const keys = await loadTrustedKeys([DEV_PUBLIC_KEY_PATH, inline]);
  assert.deepEqual(keys.map((k) => k.source), [DEV_PUBLIC_KEY_PATH, "inline key"]);
  try {
    await loadTrustedKeys([
      "/nonexistent/a.pem",
      DEV_PUBLIC_KEY_PATH,
      "-----BEGIN PUBLIC KEY-----x",
    ]);
    assert.fail("expected a KeyError");
  } catch (err) {
    assert.ok(err instanceof KeyError);
    assert.match(err.message, /\/nonexistent\/a\.pem: no such file/);
    assert.match(err.message, /; inline key: no "-----BEGIN PUBLIC KEY-----" block$/);
  }
});
