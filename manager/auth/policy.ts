// The authorization table: every route of the manager and who may call it. The middleware
// (middleware.ts) looks each request up here; a route missing from the table needs an admin
// (fail closed), and `policy_test.ts` checks that every route of createApp() has a row.
import { type Role, ROLES, TOKEN_SCOPES, type TokenScope } from "../db/schema/auth.ts";

/** Who may call a route: anyone, an appliance (ingest, config), or a user of at least a role. */
export type Access = "public" | "appliance" | Role;

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteRule {
  method: Method;
  /** Hono-style pattern: `:name` matches one segment, a trailing `*` the rest. */
  path: string;
  access: Access;
}

/**
 * Route → minimum access. Viewers read; operators also change policies, distribution points
 * and appliances; admins also users, licenses and settings. Add a row with every new route.
 */
export const ROUTE_RULES: readonly RouteRule[] = [
  { method: "GET", path: "/healthz", access: "public" },
  { method: "GET", path: "/readyz", access: "public" },
  { method: "GET", path: "/static/:name", access: "public" },
  // Sign-in forms carry their own CSRF defence (a double-submit cookie): there is no session yet.
  { method: "GET", path: "/login", access: "public" },
  { method: "POST", path: "/login", access: "public" },
  { method: "GET", path: "/login/once", access: "public" },
  { method: "POST", path: "/login/once", access: "public" },
  { method: "POST", path: "/api/v1/ingest", access: "appliance" },
  // Enrollment carries its own secret (the one-time token); failures are throttled per address.
  { method: "POST", path: "/api/v1/appliances/enroll", access: "public" },
  { method: "GET", path: "/api/v1/appliances/self/config", access: "appliance" },
  { method: "POST", path: "/api/v1/appliances/self/heartbeat", access: "appliance" },
  // PCAP analysis: the appliance's task channel (it answers only its own tasks).
  { method: "GET", path: "/api/v1/appliances/self/tasks", access: "appliance" },
  { method: "POST", path: "/api/v1/appliances/self/tasks/:id/result", access: "appliance" },

  { method: "GET", path: "/", access: "viewer" },
  { method: "GET", path: "/flows", access: "viewer" },
  { method: "GET", path: "/api/v1/flows", access: "viewer" },
  { method: "GET", path: "/flows/detail", access: "viewer" },
  { method: "GET", path: "/flows/export", access: "viewer" },
  { method: "GET", path: "/api/v1/flows/export", access: "viewer" },
  { method: "GET", path: "/api/v1/flows/row", access: "viewer" },
  { method: "GET", path: "/network", access: "viewer" },
  { method: "GET", path: "/network/resource", access: "viewer" },
  { method: "GET", path: "/network/path", access: "viewer" },
  { method: "GET", path: "/network/topology", access: "viewer" },
  { method: "GET", path: "/network/nat", access: "viewer" },
  { method: "GET", path: "/api/v1/netmon/resource", access: "viewer" },
  { method: "GET", path: "/api/v1/netmon/path", access: "viewer" },
  { method: "GET", path: "/api/v1/netmon/topology", access: "viewer" },
  { method: "GET", path: "/api/v1/netmon/nat", access: "viewer" },
  { method: "GET", path: "/requests", access: "viewer" },
  { method: "GET", path: "/network/requests", access: "viewer" },
  { method: "GET", path: "/api/v1/netmon/requests", access: "viewer" },
  { method: "GET", path: "/api/v1/netmon/requests/row", access: "viewer" },
  { method: "GET", path: "/api/v1/requests", access: "viewer" },
  { method: "GET", path: "/api/v1/requests/row", access: "viewer" },
  { method: "GET", path: "/app/resource", access: "viewer" },
  { method: "GET", path: "/app/path", access: "viewer" },
  { method: "GET", path: "/app/topology", access: "viewer" },
  { method: "GET", path: "/api/v1/app/resource", access: "viewer" },
  { method: "GET", path: "/api/v1/app/path", access: "viewer" },
  { method: "GET", path: "/api/v1/app/topology", access: "viewer" },
  { method: "GET", path: "/db", access: "viewer" },
  // PCAP policies (issue #7): everyone reads them; operators and admins change them.
  { method: "GET", path: "/pcap/policies", access: "viewer" },
  { method: "GET", path: "/pcap/policies/new", access: "viewer" },
  { method: "GET", path: "/pcap/policies/:id", access: "viewer" },
  { method: "POST", path: "/pcap/policies", access: "operator" },
  { method: "POST", path: "/pcap/policies/:id", access: "operator" },
  { method: "POST", path: "/pcap/policies/:id/delete", access: "operator" },
  { method: "POST", path: "/pcap/storage/:appliance", access: "operator" },
  { method: "GET", path: "/api/v1/pcap/policies", access: "viewer" },
  { method: "GET", path: "/api/v1/pcap/policies/:id", access: "viewer" },
  { method: "POST", path: "/api/v1/pcap/policies", access: "operator" },
  { method: "PUT", path: "/api/v1/pcap/policies/:id", access: "operator" },
  { method: "DELETE", path: "/api/v1/pcap/policies/:id", access: "operator" },
  { method: "GET", path: "/api/v1/pcap/storage/:appliance", access: "viewer" },
  { method: "PUT", path: "/api/v1/pcap/storage/:appliance", access: "operator" },
  { method: "GET", path: "/api/v1/db", access: "viewer" },
  // Stored packets carry payloads: reading them needs an operator.
  { method: "GET", path: "/pcap/analysis", access: "operator" },
  { method: "GET", path: "/pcap/analysis/packet", access: "operator" },
  { method: "GET", path: "/api/v1/pcap/search", access: "operator" },
  { method: "GET", path: "/api/v1/pcap/sessions", access: "operator" },
  { method: "GET", path: "/api/v1/pcap/packets", access: "operator" },
  { method: "GET", path: "/api/v1/pcap/decode", access: "operator" },
  { method: "GET", path: "/api/v1/pcap/sequence", access: "operator" },
  { method: "GET", path: "/api/v1/pcap/stream", access: "operator" },
  { method: "GET", path: "/api/v1/pcap/download", access: "operator" },
  { method: "GET", path: "/api/v1/me", access: "viewer" },
  { method: "POST", path: "/logout", access: "viewer" },
  { method: "GET", path: "/account", access: "viewer" },
  { method: "POST", path: "/account/password", access: "viewer" },
  { method: "POST", path: "/account/tokens", access: "viewer" },
  { method: "POST", path: "/account/tokens/:id/revoke", access: "viewer" },
  { method: "GET", path: "/api/v1/tokens", access: "viewer" },
  { method: "POST", path: "/api/v1/tokens", access: "viewer" },
  { method: "DELETE", path: "/api/v1/tokens/:id", access: "viewer" },

  { method: "GET", path: "/admin/users", access: "admin" },
  { method: "POST", path: "/admin/users", access: "admin" },
  { method: "POST", path: "/admin/users/:id/role", access: "admin" },
  { method: "POST", path: "/admin/users/:id/link", access: "admin" },
  { method: "POST", path: "/admin/users/:id/delete", access: "admin" },
  { method: "GET", path: "/api/v1/users", access: "admin" },
  { method: "POST", path: "/api/v1/users", access: "admin" },
  { method: "PATCH", path: "/api/v1/users/:id", access: "admin" },
  { method: "DELETE", path: "/api/v1/users/:id", access: "admin" },
  { method: "GET", path: "/admin/audit", access: "admin" },
  // The AutoTagging inventory: everyone reads it (tags name its items); admins change it.
  { method: "GET", path: "/admin/inventory", access: "viewer" },
  { method: "GET", path: "/admin/inventory/export", access: "viewer" },
  { method: "GET", path: "/admin/inventory/retag", access: "viewer" },
  { method: "POST", path: "/admin/inventory/retag", access: "admin" },
  { method: "POST", path: "/admin/inventory/import", access: "admin" },
  { method: "GET", path: "/admin/inventory/:kind", access: "viewer" },
  { method: "POST", path: "/admin/inventory/:kind", access: "admin" },
  { method: "POST", path: "/admin/inventory/:kind/:id", access: "admin" },
  { method: "POST", path: "/admin/inventory/:kind/:id/delete", access: "admin" },
  { method: "GET", path: "/api/v1/inventory", access: "viewer" },
  { method: "GET", path: "/api/v1/inventory/export", access: "viewer" },
  { method: "GET", path: "/api/v1/inventory/tag", access: "viewer" },
  { method: "GET", path: "/api/v1/inventory/retag", access: "viewer" },
  { method: "POST", path: "/api/v1/inventory/retag", access: "admin" },
  { method: "POST", path: "/api/v1/inventory/import", access: "admin" },
  { method: "GET", path: "/api/v1/inventory/:kind", access: "viewer" },
  { method: "GET", path: "/api/v1/inventory/:kind/:id", access: "viewer" },
  { method: "POST", path: "/api/v1/inventory/:kind", access: "admin" },
  { method: "PUT", path: "/api/v1/inventory/:kind/:id", access: "admin" },
  { method: "DELETE", path: "/api/v1/inventory/:kind/:id", access: "admin" },
  { method: "GET", path: "/api/v1/audit", access: "admin" },

  // The fleet: everyone sees the appliances; only admins enroll, change or revoke them.
  { method: "GET", path: "/admin/appliances", access: "viewer" },
  { method: "GET", path: "/admin/appliances/:id", access: "viewer" },
  { method: "POST", path: "/admin/appliances/tokens", access: "admin" },
  { method: "POST", path: "/admin/appliances/:id/settings", access: "admin" },
  { method: "POST", path: "/admin/appliances/:id/capture-points", access: "admin" },
  { method: "POST", path: "/admin/appliances/:id/reporting", access: "admin" },
  { method: "POST", path: "/admin/appliances/:id/revoke", access: "admin" },
  { method: "GET", path: "/api/v1/appliances/enrollment-tokens", access: "admin" },
  { method: "POST", path: "/api/v1/appliances/enrollment-tokens", access: "admin" },
  { method: "GET", path: "/api/v1/appliances", access: "viewer" },
  { method: "GET", path: "/api/v1/appliances/:id", access: "viewer" },
  { method: "GET", path: "/api/v1/appliances/:id/heartbeats", access: "viewer" },
  { method: "PATCH", path: "/api/v1/appliances/:id", access: "admin" },
  { method: "POST", path: "/api/v1/appliances/:id/revoke", access: "admin" },

  // Traffic distribution: everyone reads points and policies; operators and admins change them.
  { method: "GET", path: "/distribution/policies", access: "viewer" },
  { method: "GET", path: "/distribution/policies/new", access: "viewer" },
  { method: "GET", path: "/distribution/policies/:id", access: "viewer" },
  { method: "POST", path: "/distribution/policies", access: "operator" },
  { method: "POST", path: "/distribution/policies/:id", access: "operator" },
  { method: "POST", path: "/distribution/policies/:id/delete", access: "operator" },
  { method: "GET", path: "/api/v1/distribution/policies", access: "viewer" },
  { method: "GET", path: "/api/v1/distribution/policies/:id", access: "viewer" },
  { method: "GET", path: "/api/v1/distribution/policies/:id/counters", access: "viewer" },
  { method: "POST", path: "/api/v1/distribution/policies", access: "operator" },
  { method: "PUT", path: "/api/v1/distribution/policies/:id", access: "operator" },
  { method: "DELETE", path: "/api/v1/distribution/policies/:id", access: "operator" },
  { method: "GET", path: "/distribution/points", access: "viewer" },
  { method: "GET", path: "/distribution/points/new", access: "viewer" },
  { method: "GET", path: "/distribution/points/:id", access: "viewer" },
  { method: "POST", path: "/distribution/points", access: "operator" },
  { method: "POST", path: "/distribution/points/:id", access: "operator" },
  { method: "POST", path: "/distribution/points/:id/delete", access: "operator" },
  { method: "GET", path: "/api/v1/distribution/points", access: "viewer" },
  { method: "GET", path: "/api/v1/distribution/points/:id", access: "viewer" },
  { method: "GET", path: "/api/v1/distribution/points/:id/counters", access: "viewer" },
  { method: "POST", path: "/api/v1/distribution/points", access: "operator" },
  { method: "PUT", path: "/api/v1/distribution/points/:id", access: "operator" },
  { method: "DELETE", path: "/api/v1/distribution/points/:id", access: "operator" },

  // Everyone may see what is licensed (the banner links here); only admins change it.
  { method: "GET", path: "/admin/licenses", access: "viewer" },
  { method: "GET", path: "/admin/licenses/:id", access: "viewer" },
  { method: "POST", path: "/admin/licenses", access: "admin" },
  { method: "POST", path: "/admin/licenses/:id/remove", access: "admin" },
  { method: "GET", path: "/api/v1/licenses", access: "viewer" },
  { method: "GET", path: "/api/v1/licenses/:id", access: "viewer" },
  { method: "POST", path: "/api/v1/licenses", access: "admin" },
  { method: "DELETE", path: "/api/v1/licenses/:id", access: "admin" },
];

/** What an unlisted route requires. */
export const DEFAULT_ACCESS: Access = "admin";

export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

interface Compiled {
  rule: RouteRule;
  pattern: RegExp;
}

function compile(path: string): RegExp {
  const parts = path.split("/").map((part) => {
    if (part === "*") return ".*";
    if (part.startsWith(":")) return "[^/]+";
    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
  return new RegExp(`^${parts.join("/")}/?$`);
}

/** Looks requests up in a rule table. */
export class RoutePolicy {
  readonly #compiled: Compiled[];

  constructor(readonly rules: readonly RouteRule[] = ROUTE_RULES) {
    this.#compiled = rules.map((rule) => ({ rule, pattern: compile(rule.path) }));
  }

  /** The rule for a request, or undefined when the route is not in the table. */
  match(method: string, path: string): RouteRule | undefined {
    const m = method === "HEAD" ? "GET" : method;
    return this.#compiled.find((c) => c.rule.method === m && c.pattern.test(path))?.rule;
  }

  /** The access a request needs: its rule's, or DEFAULT_ACCESS. */
  accessFor(method: string, path: string): Access {
    return this.match(method, path)?.access ?? DEFAULT_ACCESS;
  }
}

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function scopeRank(scope: TokenScope): number {
  return TOKEN_SCOPES.indexOf(scope);
}

/** True when `role` is at least `needed`. */
export function roleAllows(role: Role, needed: Role): boolean {
  return roleRank(role) >= roleRank(needed);
}

/**
 * The token scope a request needs: `read` for reads, `write` for changes, `admin` for
 * anything that needs the admin role.
 */
export function scopeFor(method: string, needed: Role): TokenScope {
  if (needed === "admin") return "admin";
  return SAFE_METHODS.has(method) ? "read" : "write";
}

/** The strongest scope a user of `role` may give a token. */
export function maxScopeFor(role: Role): TokenScope {
  return TOKEN_SCOPES[roleRank(role)]!;
}
