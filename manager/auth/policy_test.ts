import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import type { Database, PartitionManager } from "../db/mod.ts";
import {
  DEFAULT_ACCESS,
  maxScopeFor,
  roleAllows,
  ROUTE_RULES,
  RoutePolicy,
  scopeFor,
} from "./policy.ts";

Deno.test("RoutePolicy.match() matches methods, parameters and trailing slashes", () => {
  const policy = new RoutePolicy();
  assert.equal(policy.match("GET", "/flows")?.access, "viewer");
  assert.equal(policy.match("GET", "/flows/")?.access, "viewer");
  assert.equal(policy.match("HEAD", "/flows")?.access, "viewer");
  assert.equal(policy.match("POST", "/admin/users/17/role")?.access, "admin");
  assert.equal(policy.match("POST", "/admin/users/17/role/x"), undefined);
  assert.equal(policy.match("POST", "/admin/users//role"), undefined);
  assert.equal(policy.match("GET", "/static/tapline.css")?.access, "public");
  assert.equal(policy.match("POST", "/api/v1/ingest")?.access, "appliance");
  // Method matters: GET /api/v1/ingest is not the appliance route.
  assert.equal(policy.match("GET", "/api/v1/ingest"), undefined);
});

Deno.test("RoutePolicy.accessFor() needs an admin for routes missing from the table", () => {
  const policy = new RoutePolicy();
  assert.equal(DEFAULT_ACCESS, "admin");
  assert.equal(policy.accessFor("GET", "/no/such/route"), "admin");
  assert.equal(policy.accessFor("DELETE", "/api/v1/audit"), "admin");
  // Regular-expression characters in a path are literal.
  assert.equal(
    new RoutePolicy([{ method: "GET", path: "/a.b", access: "public" }])
      .match("GET", "/aXb"),
    undefined,
  );
});

Deno.test("roleAllows() orders viewer < operator < admin", () => {
  assert.equal(roleAllows("admin", "viewer"), true);
  assert.equal(roleAllows("operator", "operator"), true);
  assert.equal(roleAllows("operator", "admin"), false);
  assert.equal(roleAllows("viewer", "operator"), false);
});

Deno.test("scopeFor() asks read for reads, write for changes, admin for admin routes", () => {
  assert.equal(scopeFor("GET", "viewer"), "read");
  assert.equal(scopeFor("POST", "viewer"), "write");
  assert.equal(scopeFor("DELETE", "operator"), "write");
  assert.equal(scopeFor("GET", "admin"), "admin");
  assert.equal(maxScopeFor("viewer"), "read");
  assert.equal(maxScopeFor("operator"), "write");
  assert.equal(maxScopeFor("admin"), "admin");
});

Deno.test("ROUTE_RULES has a row for every route of createApp(), and no row twice", () => {
  // Building the app touches no database: a stand-in is enough to list its routes.
  const app = createApp({
    database: { kind: "pglite" } as Database,
    partitions: {} as PartitionManager,
    maxBatchBytes: 1024,
    pageSize: 50,
  });
  const policy = new RoutePolicy();
  const missing: string[] = [];
  for (const route of app.routes) {
    if (route.method === "ALL") continue; // middleware
    const path = route.path.replace(/:(\w+)\{[^}]*\}/g, ":$1");
    const known = ROUTE_RULES.some((r) => r.method === route.method && r.path === path);
    if (!known) missing.push(`${route.method} ${route.path}`);
    else assert.ok(policy.match(route.method, path.replaceAll(/:\w+/g, "1")), path);
  }
  assert.deepEqual(missing, [], "add these routes to ROUTE_RULES in manager/auth/policy.ts");
  const keys = ROUTE_RULES.map((r) => `${r.method} ${r.path}`);
  assert.equal(new Set(keys).size, keys.length);
});
