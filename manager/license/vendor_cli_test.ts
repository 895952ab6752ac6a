import assert from "node:assert/strict";
import { parseLicense } from "./document.ts";
import { DEV_PRIVATE_KEY_PATH, DEV_PUBLIC_KEY_PATH } from "./keys.ts";
import { vendorMain } from "./vendor_cli.ts";

function capture() {
  const out: string[] = [], err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

Deno.test("vendorMain() keygen → issue → verify, and the license names what was asked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tapline-vendor-" });
  try {
    const c = capture();
    assert.equal(await vendorMain(["keygen", "--out", `${dir}/keys`], c.io), 0);
    assert.match(c.out[0]!, /^key [0-9a-f]{16}: private /);
    assert.equal((await Deno.stat(`${dir}/keys/license.private.pem`)).mode! & 0o777, 0o600);
    // An existing key is never overwritten.
    assert.equal(await vendorMain(["keygen", "--out", `${dir}/keys`], c.io), 2);
    assert.match(c.err[0]!, /exists; not overwriting a key/);

    const file = `${dir}/acme.json`;
    const code = await vendorMain([
      "issue",
      "--key",
      `${dir}/keys/license.private.pem`,
      "--modules",
      "db_monitoring,network_monitoring",
      "--customer",
      "ACME Networks",
      "--days",
      "365",
      "--not-before",
      "2026-12-01",
      "--grace-days",
      "10",
      "--appliances",
      "4",
      "--bandwidth",
      "10000000000",
      "--id",
      "ACME-2026",
      "--out",
      file,
    ], c.io);
    assert.equal(code, 0, c.err.join("\n"));
    const license = parseLicense(await Deno.readTextFile(file));
    assert.equal(license.id, "ACME-2026");
    assert.deepEqual(license.modules, ["network_monitoring", "db_monitoring"]);
    assert.equal(license.notBefore, "2026-12-01T00:00:00.000Z");
    assert.equal(license.notAfter, "2027-12-01T00:00:00.000Z");
    assert.equal(license.graceDays, 10);
    assert.deepEqual(license.limits, { appliances: 4, captureBandwidthBps: 10_000_000_000 });

    const v = capture();
    assert.equal(
      await vendorMain(["verify", file, "--pub", `${dir}/keys/license.public.pem`], v.io),
      0,
    );
    assert.match(v.out[0]!, /valid signature by key/);
    // The development key did not sign it.
    const w = capture();
    assert.equal(await vendorMain(["verify", file, "--pub", DEV_PUBLIC_KEY_PATH], w.io), 1);
    assert.match(w.err[0]!, /signed with key [0-9a-f]{16}, which this manager does not trust/);
    // A changed byte.
    await Deno.writeTextFile(
      file,
      (await Deno.readTextFile(file)).replace("ACME Networks", "ACME Networkz"),
    );
    const x = capture();
    assert.equal(
      await vendorMain(["verify", file, "--pub", `${dir}/keys/license.public.pem`], x.io),
      1,
    );
    assert.match(x.err[0]!, /signature does not match/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vendorMain() issue --modules all grants the eight modules; bad options exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tapline-vendor-" });
  try {
    const base = [
      "issue",
      "--key",
      DEV_PRIVATE_KEY_PATH,
      "--customer",
      "Demo",
      "--out",
      `${dir}/l.json`,
    ];
    const c = capture();
    assert.equal(await vendorMain([...base, "--modules", "all", "--days", "30"], c.io), 0);
    const license = parseLicense(await Deno.readTextFile(`${dir}/l.json`));
    assert.equal(license.modules.length, 8);
    assert.equal(Date.parse(license.notAfter) - Date.parse(license.notBefore), 30 * 86_400_000);
    assert.match(license.id, /^TL-\d{8}-[0-9a-f]{8}$/);
    const bad: [string[], RegExp][] = [
      [[...base, "--modules", "warp", "--days", "30"], /--modules: unknown warp/],
      [[...base, "--modules", "all", "--days", "0"], /--days: expected an integer from 1/],
      [[...base, "--modules", "all"], /--days required/],
      [[...base, "--modules", "all", "--days", "3", "--not-before", "soon"], /--not-before/],
      [[
        "issue",
        "--key",
        "/nope.pem",
        "--modules",
        "all",
        "--customer",
        "x",
        "--days",
        "1",
        "--out",
        "/dev/null",
      ], /--key \/nope\.pem: no such file/],
      [["frobnicate"], /unknown command "frobnicate"/],
      [["verify", "x.json"], /FILE and --pub KEY are required/],
      [["issue", "--bogus"], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of bad) {
      const b = capture();
      assert.equal(await vendorMain(args, b.io), 2, args.join(" "));
      assert.match(b.err[0]!, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
