// What the auth middleware leaves on the request context, and the request facts it relies on:
// the client address, whether the connection is HTTPS, the cookies it sets.
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { Role, TokenScope } from "../db/schema/auth.ts";
import type { Actor } from "./audit.ts";
import type { ActiveSession } from "./sessions.ts";

export const SESSION_COOKIE = "tapline_session";
/** The double-submit cookie of the sign-in forms (there is no session to bind a token to yet). */
export const LOGIN_COOKIE = "tapline_login";
export const CSRF_HEADER = "X-CSRF-Token";
export const CSRF_FIELD = "_csrf";

/** Who is calling. */
export type Principal =
  | { kind: "session"; user: ActiveSession["user"]; session: ActiveSession }
  | {
    kind: "token";
    user: { id: number; name: string; role: Role };
    scope: TokenScope;
    tokenId: number;
  }
  | { kind: "appliance"; applianceId: string };

declare module "hono" {
  interface ContextVariableMap {
    principal: Principal | undefined;
    clientIp: string | undefined;
  }
}

const ADDRESS = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * The client's address: the socket's peer, or behind a trusted proxy the last X-Forwarded-For
 * entry (the one the proxy itself appended; earlier entries are the client's to invent).
 */
export function clientIp(c: Context, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",").pop()?.trim();
    if (forwarded && ADDRESS.test(forwarded)) return forwarded;
  }
  const env = c.env as { remoteAddr?: { hostname?: unknown } } | undefined;
  const peer = env?.remoteAddr?.hostname;
  return typeof peer === "string" && ADDRESS.test(peer) ? peer : undefined;
}

/** HTTPS, directly or (when trusted) as the proxy reports it: decides the `Secure` flag. */
export function isHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  if (!trustProxy) return false;
  return c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
}

/** The origin users reach this manager at, for links shown to them. */
export function publicOrigin(c: Context, trustProxy: boolean): string {
  const url = new URL(c.req.url);
  if (!trustProxy) return url.origin;
  const host = c.req.header("x-forwarded-host")?.split(",")[0]?.trim();
  const scheme = isHttps(c, true) ? "https" : url.protocol.slice(0, -1);
  return host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? `${scheme}://${host}` : url.origin;
}

/** Sets a cookie HttpOnly, SameSite=Strict, and Secure when the request came over HTTPS. */
export function setStrictCookie(
  c: Context,
  trustProxy: boolean,
  name: string,
  value: string,
  options: { path?: string; maxAgeSeconds?: number } = {},
): void {
  setCookie(c, name, value, {
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c, trustProxy),
    path: options.path ?? "/",
    maxAge: options.maxAgeSeconds,
  });
}

export function clearCookie(c: Context, trustProxy: boolean, name: string, path = "/"): void {
  deleteCookie(c, name, {
    path,
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c, trustProxy),
  });
}

/** The audit actor of the request's principal (undefined for anonymous requests). */
export function actorOf(c: Context): Actor | undefined {
  const p = c.get("principal");
  const ip = c.get("clientIp");
  if (!p) return undefined;
  if (p.kind === "appliance") return { kind: "appliance", name: p.applianceId, ip };
  return { kind: p.kind === "session" ? "user" : "token", id: p.user.id, name: p.user.name, ip };
}

/** The user behind a session or token principal. */
export function userOf(c: Context): { id: number; name: string; role: Role } | undefined {
  const p = c.get("principal");
  return p && p.kind !== "appliance" ? p.user : undefined;
}

/** What the page frame shows for a signed-in browser: who, and the CSRF token for forms. */
export interface FrameInfo {
  user: { name: string; role: Role };
  csrfToken: string;
}

export function frameOf(c: Context): FrameInfo | undefined {
  const p = c.get("principal");
  if (p?.kind !== "session") return undefined;
  return { user: { name: p.user.name, role: p.user.role }, csrfToken: p.session.csrfToken };
}

/** A same-site path to return to after sign-in; anything else (`//evil`, `https:`) becomes "/flows". */
export function safeNext(raw: string | undefined | null): string {
  if (!raw || raw.length > 2048) return "/flows";
  if (!raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return "/flows";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\\]/.test(raw) || raw.startsWith("/login")) return "/flows";
  return raw;
}
