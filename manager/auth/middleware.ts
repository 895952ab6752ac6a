// The one access-control middleware, in front of every route:
//   1. look the route up in the authorization table (policy.ts);
//   2. public → pass; appliance → the appliance seam; otherwise identify the caller: a Bearer
//      API token (only under /api/v1/) or the session cookie;
//   3. session + state-changing method → the CSRF token must match (header or form field);
//   4. the caller's role (and a token's scope) must reach the route's minimum.
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { AccessDeniedPage, renderPage } from "../../ui/mod.ts";
import type { Role } from "../db/schema/auth.ts";
import { APPLIANCE_TOKEN_PREFIX, USER_TOKEN_PREFIX } from "./api_tokens.ts";
import { roleAllows, SAFE_METHODS, scopeFor, scopeRank } from "./policy.ts";
import {
  clearCookie,
  clientIp,
  CSRF_FIELD,
  CSRF_HEADER,
  frameOf,
  type Principal,
  SESSION_COOKIE,
} from "./request.ts";
import { timingSafeEqual } from "./secrets.ts";
import type { Auth } from "./service.ts";

const API_PREFIX = "/api/v1/";
/** Larger form posts (uploads) must send the CSRF token in the header. */
const MAX_FORM_BYTES = 1024 * 1024;
const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i;

function isApi(c: Context): boolean {
  return c.req.path.startsWith(API_PREFIX);
}

function isHtmx(c: Context): boolean {
  return c.req.header("hx-request") === "true";
}

/** A refusal in the form the caller reads: JSON for the API, a page for browsers. */
function deny(c: Context, status: 401 | 403, message: string): Response {
  c.header("Cache-Control", "no-store");
  if (isApi(c) || !(c.req.header("accept") ?? "").includes("text/html")) {
    if (status === 401 && isApi(c)) c.header("WWW-Authenticate", 'Bearer realm="tapline"');
    return c.json({ error: message }, status);
  }
  return c.html(renderPage(AccessDeniedPage({ message }), frameOf(c)), status);
}

/** No valid session: the API says 401, a browser goes to the sign-in page and comes back. */
function signInFirst(c: Context): Response {
  if (isApi(c) || !(c.req.header("accept") ?? "").includes("text/html") && !isHtmx(c)) {
    return deny(c, 401, "sign in, or send an API token (Authorization: Bearer tplu_…)");
  }
  const url = new URL(c.req.url);
  const back = c.req.method === "GET" ? url.pathname + url.search : url.pathname;
  const target = `/login?next=${encodeURIComponent(back)}`;
  if (isHtmx(c)) {
    // htmx follows HX-Redirect with a full page load, whatever the status.
    c.header("HX-Redirect", target);
    return c.body(null, 401);
  }
  return c.redirect(target, 303);
}

/** The CSRF token a state-changing request carries: the htmx header, or a form's hidden field. */
async function submittedCsrf(c: Context): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/")) {
    return undefined;
  }
  // Large forms are not read here, before the route's own body limit has had its say.
  if (Number(c.req.header("content-length") ?? 0) > MAX_FORM_BYTES) return undefined;
  try {
    // Hono keeps the parsed body, so the handler can read the form again.
    const value = (await c.req.parseBody())[CSRF_FIELD];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Looks an appliance credential up (manager/fleet): its appliance, or undefined when unknown or revoked. */
export type ApplianceAuthenticator = (
  credential: string,
) => Promise<{ applianceId: string } | undefined>;

const APPLIANCE_REFUSED = "appliance credential unknown or revoked";

/**
 * Appliance routes accept only an appliance credential (`Bearer tpla_…`), checked against the
 * appliance table on every request so that a revocation takes effect at once. User credentials
 * are refused (403) so that a user's token can never pass for an appliance; cookies are ignored.
 */
async function appliancePrincipal(
  c: Context,
  appliances: ApplianceAuthenticator | undefined,
): Promise<Principal | { status: 401 | 403; refused: string }> {
  const authorization = c.req.header("authorization");
  if (authorization === undefined) {
    return {
      status: 401,
      refused: "appliance routes need the appliance's credential (Authorization: Bearer tpla_…)",
    };
  }
  const token = BEARER.exec(authorization)?.[1] ?? "";
  if (token.startsWith(APPLIANCE_TOKEN_PREFIX)) {
    const found = appliances ? await appliances(token) : undefined;
    if (!found) return { status: 401, refused: APPLIANCE_REFUSED };
    return { kind: "appliance", applianceId: found.applianceId };
  }
  const what = token.startsWith(USER_TOKEN_PREFIX) ? "user API tokens" : "this credential";
  return {
    status: 403,
    refused: `${what} cannot be used for appliance routes; appliances use their own credential`,
  };
}

/** `appliances` checks appliance credentials; without it every appliance route answers 401. */
export function authMiddleware(
  auth: Auth,
  appliances?: ApplianceAuthenticator,
): MiddlewareHandler {
  const { policy, settings } = auth;
  return async (c, next) => {
    c.set("clientIp", clientIp(c, settings.trustProxy));
    securityHeaders(c, false);
    const method = c.req.method;
    const access = policy.accessFor(method, c.req.path);
    if (access === "public") {
      await next();
      return securityHeaders(c, true);
    }
    if (access === "appliance") {
      const principal = await appliancePrincipal(c, appliances);
      if ("refused" in principal) return deny(c, principal.status, principal.refused);
      c.set("principal", principal);
      return await next();
    }

    let principal: Principal;
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      if (!isApi(c)) {
        return deny(c, 401, "API tokens are accepted only under /api/v1/; sign in to use pages");
      }
      const token = BEARER.exec(authorization)?.[1];
      if (!token) return deny(c, 401, 'the Authorization header must be "Bearer <token>"');
      const check = await auth.tokens.authenticate(token);
      if (!check.ok) return deny(c, 401, check.reason);
      principal = { kind: "token", ...check.identity };
    } else {
      const id = getCookie(c, SESSION_COOKIE);
      const session = id ? await auth.sessions.lookup(id) : undefined;
      if (!session) {
        if (id) clearCookie(c, settings.trustProxy, SESSION_COOKIE);
        return signInFirst(c);
      }
      principal = { kind: "session", user: session.user, session };
      c.set("principal", principal);
      if (!SAFE_METHODS.has(method)) {
        const sent = await submittedCsrf(c);
        if (!sent || !timingSafeEqual(sent, session.csrfToken)) {
          return deny(c, 403, "missing or invalid CSRF token: reload the page and try again");
        }
      }
    }
    c.set("principal", principal);

    const needed: Role = access;
    if (!roleAllows(principal.user.role, needed)) {
      return deny(
        c,
        403,
        `this needs the ${needed} role; ${principal.user.name} is ${principal.user.role}`,
      );
    }
    if (principal.kind === "token") {
      const scope = scopeFor(method, needed);
      if (scopeRank(principal.scope) < scopeRank(scope)) {
        return deny(
          c,
          403,
          `this API token has the ${principal.scope} scope; ${method} ${c.req.path} needs ${scope}`,
        );
      }
    }
    await next();
    securityHeaders(c, true, true);
  };
}

/**
 * Headers every answer carries (refusals too); signed-in answers are never cached. Called before
 * the handler (for refusals) and after it (for responses it built itself), never overriding
 * what a route chose (e.g. `Referrer-Policy: no-referrer` on the one-time sign-in page).
 */
function securityHeaders(c: Context, after: boolean, signedIn = false): void {
  const defaults: [string, string][] = [
    ["X-Content-Type-Options", "nosniff"],
    ["X-Frame-Options", "DENY"],
    ["Referrer-Policy", "same-origin"],
    [
      "Content-Security-Policy",
      "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'",
    ],
  ];
  if (signedIn) defaults.push(["Cache-Control", "no-store"]);
  try {
    for (const [name, value] of defaults) {
      if (!after || !c.res.headers.has(name)) c.header(name, value);
    }
  } catch {
    // Immutable headers (a Response passed through from fetch): leave them as they are.
  }
}
