import assert from "node:assert/strict";
import { NAV } from "../../ui/mod.ts";
import { gatedRoutes, isModuleKey, MODULE_KEYS, moduleForPath, MODULES } from "./modules.ts";

Deno.test("MODULES has one entry per DESIGN §1 key, keyed by itself", () => {
  assert.deepEqual(Object.keys(MODULES), [...MODULE_KEYS]);
  for (const key of MODULE_KEYS) assert.equal(MODULES[key].key, key);
  assert.equal(isModuleKey("network_monitoring"), true);
  assert.equal(isModuleKey("admin"), false);
});

Deno.test("moduleForPath() gates a prefix and what continues it after a slash, nothing else", () => {
  assert.equal(moduleForPath("/flows"), "network_monitoring");
  assert.equal(moduleForPath("/flows/"), "network_monitoring");
  assert.equal(moduleForPath("/flows/123"), "network_monitoring");
  assert.equal(moduleForPath("/api/v1/flows"), "network_monitoring");
  assert.equal(moduleForPath("/api/v1/flows/export"), "network_monitoring");
  assert.equal(moduleForPath("/flowsx"), undefined);
  assert.equal(moduleForPath("/api/v1/ingest"), undefined);
  assert.equal(moduleForPath("/admin/licenses"), undefined);
});

Deno.test("the navigation and the module table agree on which module a page needs", () => {
  // Every navigation section is a license module (or Administration, which is never locked).
  for (const section of NAV) {
    assert.ok(section.module === "admin" || isModuleKey(section.module), section.module);
  }
  // A live page whose path is gated sits in the section of the module that gates it.
  for (const section of NAV) {
    for (const entry of section.entries) {
      if (entry.path === undefined) continue;
      const module = moduleForPath(entry.path);
      if (section.module === "admin") {
        assert.equal(module, undefined, `${entry.path} is administration, never gated`);
      } else {
        assert.equal(module, section.module, `${entry.path} is in the ${section.module} section`);
      }
    }
  }
  // Every gated page route is reachable from the navigation: a nav entry is the prefix itself,
  // or a page under it (`/network` gates /network/resource, /network/path, …).
  const navPaths = NAV.flatMap((s) => s.entries.flatMap((e) => e.path ? [e.path] : []));
  for (const { prefix } of gatedRoutes()) {
    if (prefix.startsWith("/api/")) continue;
    assert.ok(
      navPaths.some((path) => path === prefix || path.startsWith(`${prefix}/`)),
      `${prefix} has a nav entry`,
    );
  }
});
