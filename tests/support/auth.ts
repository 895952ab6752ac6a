/**
 * Signing in for tests: users, sessions and API tokens created straight in the database for
 * apps driven with `app.request()`, and a real sign-in over HTTP for spawned managers (which
 * start with `TAPLINE_ADMIN_PASSWORD`, see `managerAuthEnv()`).
 */
import type { Hono } from "hono";
import type { Database } from "../../manager/db/mod.ts";
import { type Auth, createAuth, type Role, type TokenScope } from "../../manager/auth/mod.ts";

/** The admin password test managers start with (development only). */
export const TEST_ADMIN_PASSWORD = "test-admin-password-42";

/** Environment for a spawned manager whose admin signs in with TEST_ADMIN_PASSWORD. */
export function managerAuthEnv(): Record<string, string> {
  return { TAPLINE_ADMIN_USER: "admin", TAPLINE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD };
}

const SYSTEM = { kind: "system" as const, name: "test" };
let counter = 0;

/** A user of `role` (no password unless given: creating one costs a full PBKDF2 hash). */
export async function createTestUser(
  auth: Auth,
  role: Role,
  options: { name?: string; password?: string } = {},
): Promise<{ id: number; name: string; role: Role }> {
  const name = options.name ?? `${role}-${++counter}-${crypto.randomUUID().slice(0, 8)}`;
  const user = await auth.users.create(SYSTEM, { name, role, password: options.password });
  return { id: user.id, name: user.name, role: user.role };
}

/** A signed-in browser: its session cookie, CSRF token, and headers for `app.request()`. */
export interface TestSession {
  cookie: string;
  csrf: string;
  /** Cookie (and, for state-changing requests, the CSRF header) plus `extra`. */
  headers(extra?: Record<string, string>): Record<string, string>;
}

function sessionOf(cookie: string, csrf: string): TestSession {
  return {
    cookie,
    csrf,
    headers: (extra = {}) => ({ cookie, "x-csrf-token": csrf, ...extra }),
  };
}

/** A session for `userId`, as a sign-in would create it. */
export async function sessionFor(auth: Auth, userId: number): Promise<TestSession> {
  const s = await auth.sessions.create(userId);
  return sessionOf(`tapline_session=${s.id}`, s.csrfToken);
}

/** An API token of `user` with `scope`, and its Authorization header. */
export async function tokenFor(
  auth: Auth,
  user: { id: number; role: Role },
  scope: TokenScope,
): Promise<{ token: string; id: number; headers: Record<string, string> }> {
  const { token, view } = await auth.tokens.create(SYSTEM, user, { name: `test-${scope}`, scope });
  return { token, id: view.id, headers: { authorization: `Bearer ${token}` } };
}

/**
 * Headers that let an in-process test read and write like an admin API client: a fresh admin
 * and an admin-scope token in `database` (for tests whose subject is not access control).
 */
export async function adminApiHeaders(database: Database): Promise<Record<string, string>> {
  const auth = createAuth(database);
  const admin = await createTestUser(auth, "admin");
  return (await tokenFor(auth, admin, "admin")).headers;
}

/**
 * Signs in to a running manager through its sign-in form, like a browser: returns the session
 * cookie and the CSRF token of its pages.
 */
export async function signInOverHttp(
  baseUrl: string,
  name = "admin",
  password = TEST_ADMIN_PASSWORD,
): Promise<TestSession> {
  const form = await fetch(`${baseUrl}/login`);
  const formCookie = cookieValue(form.headers, "tapline_login");
  const formToken = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!formCookie || !formToken) throw new Error("the sign-in page has no form token");
  const res = await fetch(`${baseUrl}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      cookie: `tapline_login=${formCookie}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ _csrf: formToken, name, password, next: "/account" }),
  });
  await res.body?.cancel();
  const session = cookieValue(res.headers, "tapline_session");
  if (res.status !== 303 || !session) throw new Error(`sign-in failed: HTTP ${res.status}`);
  const cookie = `tapline_session=${session}`;
  const page = await (await fetch(`${baseUrl}/account`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error("the account page has no CSRF token");
  return sessionOf(cookie, csrf);
}

/** The value a response's Set-Cookie gives `name` (undefined when it is not set). */
export function cookieValue(headers: Headers, name: string): string | undefined {
  for (const line of headers.getSetCookie()) {
    const [pair] = line.split(";");
    const eq = pair!.indexOf("=");
    if (pair!.slice(0, eq).trim() === name) return pair!.slice(eq + 1);
  }
  return undefined;
}

/** A POST of form fields, as a browser submits a form. */
export function formPost(
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  };
}

/** A JSON request with `method`. */
export function jsonRequest(
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** Requests to an in-process app from a client address (for throttling and the audit log). */
export type AppRequest = (path: string, init?: RequestInit, ip?: string) => Promise<Response>;

export function inProcess(app: { request: Hono["request"] }, defaultIp = "192.0.2.10"): AppRequest {
  return (path, init = {}, ip = defaultIp) =>
    Promise.resolve(app.request(`http://manager${path}`, init, { remoteAddr: { hostname: ip } }));
}

/** Signs in through the sign-in form of an in-process app; `session` is set when it worked. */
export async function signInForm(
  request: AppRequest,
  name: string,
  password: string,
  options: { ip?: string; cookie?: string; next?: string } = {},
): Promise<{ res: Response; session?: TestSession }> {
  const page = await request("/login", {}, options.ip);
  const formCookie = cookieValue(page.headers, "tapline_login")!;
  const formToken = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const cookie = [`tapline_login=${formCookie}`, options.cookie].filter(Boolean).join("; ");
  const res = await request(
    "/login",
    formPost({ _csrf: formToken, name, password, next: options.next ?? "/account" }, { cookie }),
    options.ip,
  );
  const id = cookieValue(res.headers, "tapline_session");
  if (res.status !== 303 || !id) return { res };
  const session = `tapline_session=${id}`;
  const account = await (await request("/account", { headers: { cookie: session } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(account)?.[1] ?? "";
  return { res, session: sessionOf(session, csrf) };
}

/** The session of `signInOverHttp()` as Playwright cookies, for `context.addCookies()`. */
export function browserCookies(
  baseUrl: string,
  session: TestSession,
): { name: string; value: string; url: string }[] {
  const [name, value] = session.cookie.split("=") as [string, string];
  return [{ name, value, url: baseUrl }];
}
