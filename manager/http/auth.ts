import { type Context, Hono } from "hono";
import { getCookie } from "hono/cookie";
import {
  AccountPage,
  type AccountPageProps,
  LoginPage,
  OnceLoginPage,
  renderPage,
} from "../../ui/mod.ts";
import {
  actorOf,
  type Auth,
  AuthError,
  clearCookie,
  CSRF_FIELD,
  isScope,
  LOGIN_COOKIE,
  maxScopeFor,
  randomSecret,
  safeNext,
  SESSION_COOKIE,
  setStrictCookie,
  statusOf,
  throttleKeys,
  timingSafeEqual,
  TOKEN_SCOPES,
  type TokenView,
  userOf,
} from "../auth/mod.ts";
import { HttpError } from "./errors.ts";
import { pageFrame } from "./page_frame.ts";
import { formOf, idParam, jsonOf } from "./_input.ts";

const LOGIN_FORM_MAX_AGE_S = 3600;
const FORM_TOKEN = /^[A-Za-z0-9_-]{43}$/;

const ACCOUNT_NOTICES: Record<string, string> = {
  password: "Your password was saved. Your other sessions were signed out.",
  revoked: "The token was revoked.",
};

/** The current user, or 401 (the middleware lets no anonymous request reach these routes). */
function me(c: Context) {
  const user = userOf(c);
  if (!user) throw new HttpError(401, "sign in first");
  return user;
}

/**
 * Sign-in, sign-out, one-time links, the account page and the token API (`/api/v1/tokens`,
 * `/api/v1/me`).
 */
export function authRoutes(auth: Auth): Hono {
  const app = new Hono();
  const trust = auth.settings.trustProxy;

  /** The sign-in forms' double-submit token: reused while its cookie lives (several tabs). */
  const formToken = (c: Context): string => {
    const existing = getCookie(c, LOGIN_COOKIE);
    const token = existing && FORM_TOKEN.test(existing) ? existing : randomSecret(32);
    setStrictCookie(c, trust, LOGIN_COOKIE, token, {
      path: "/login",
      maxAgeSeconds: LOGIN_FORM_MAX_AGE_S,
    });
    return token;
  };
  const formTokenOk = (c: Context, form: Record<string, string>): boolean => {
    const cookie = getCookie(c, LOGIN_COOKIE) ?? "";
    const sent = form[CSRF_FIELD] ?? "";
    return FORM_TOKEN.test(cookie) && timingSafeEqual(cookie, sent);
  };
  const loginPage = (
    c: Context,
    status: 200 | 400 | 401 | 403 | 429,
    props: { next: string; name?: string; error?: string; notice?: string },
  ) => {
    c.header("Cache-Control", "no-store");
    return c.html(
      renderPage(LoginPage({ ...props, name: props.name ?? "", formToken: formToken(c) })),
      status,
    );
  };

  /** A new session (new id: nothing the client sent before is reused), its cookie, an entry. */
  const signIn = async (c: Context, user: { id: number; name: string }, via: string) => {
    const old = getCookie(c, SESSION_COOKIE);
    if (old) await auth.sessions.destroy(old);
    const ip = c.get("clientIp");
    const session = await auth.sessions.create(user.id, {
      ip,
      userAgent: c.req.header("user-agent"),
    });
    setStrictCookie(c, trust, SESSION_COOKIE, session.id, {
      maxAgeSeconds: Math.floor(auth.settings.sessionTtlMs / 1000),
    });
    clearCookie(c, trust, LOGIN_COOKIE, "/login");
    await auth.audit.record({ kind: "user", id: user.id, name: user.name, ip }, {
      action: "session.login",
      target: { type: "user", id: user.id },
      after: { via },
    });
  };

  app.get("/login", async (c) => {
    const next = safeNext(c.req.query("next"));
    const current = getCookie(c, SESSION_COOKIE);
    if (current && await auth.sessions.lookup(current)) return c.redirect(next, 303);
    const notice = c.req.query("signed_out") !== undefined ? "You have signed out." : undefined;
    return loginPage(c, 200, { next, notice });
  });

  app.post("/login", async (c) => {
    const form = await formOf(c);
    const name = (form.name ?? "").trim();
    const next = safeNext(form.next);
    if (!formTokenOk(c, form)) {
      return loginPage(c, 403, {
        next,
        name,
        error: "This sign-in form expired or did not come from this site. Please try again.",
      });
    }
    const keys = throttleKeys(name, c.get("clientIp"));
    const verdict = await auth.throttle.check(keys);
    if (verdict.blocked) {
      const seconds = Math.ceil(verdict.retryAfterMs / 1000);
      c.header("Retry-After", String(seconds));
      const who = verdict.reason === "account" ? "this account" : "your address";
      return loginPage(c, 429, {
        next,
        name,
        error: `Too many failed sign-ins for ${who}. Try again in ${seconds} seconds.`,
      });
    }
    const user = name === "" ? undefined : await auth.users.verifyLogin(name, form.password ?? "");
    if (!user) {
      await auth.throttle.fail(keys);
      console.warn(JSON.stringify({
        level: "warn",
        msg: "sign-in failed",
        user: name.slice(0, 64),
        ip: c.get("clientIp"),
      }));
      return loginPage(c, 401, { next, name, error: "Wrong user name or password." });
    }
    await auth.throttle.succeed(keys);
    await signIn(c, user, "password");
    return c.redirect(next, 303);
  });

  app.get("/login/once", async (c) => {
    const token = c.req.query("token") ?? "";
    const userId = await auth.links.peek(token);
    const user = userId === undefined ? undefined : await auth.users.get(userId);
    // The token is in this page's URL: keep it out of Referer headers and caches.
    c.header("Referrer-Policy", "no-referrer");
    c.header("Cache-Control", "no-store");
    const page = OnceLoginPage({ token, formToken: formToken(c), userName: user?.name });
    return c.html(renderPage(page), user ? 200 : 404);
  });

  app.post("/login/once", async (c) => {
    const form = await formOf(c);
    c.header("Referrer-Policy", "no-referrer");
    c.header("Cache-Control", "no-store");
    if (!formTokenOk(c, form)) {
      const page = OnceLoginPage({ token: "", formToken: formToken(c) });
      return c.html(renderPage(page), 403);
    }
    const userId = await auth.links.consume(form.token ?? "");
    const user = userId === undefined ? undefined : await auth.users.get(userId);
    if (!user) {
      return c.html(renderPage(OnceLoginPage({ token: "", formToken: formToken(c) })), 404);
    }
    await signIn(c, user, "one-time link");
    return c.redirect("/account?welcome=1", 303);
  });

  app.post("/logout", async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) await auth.sessions.destroy(id);
    clearCookie(c, trust, SESSION_COOKIE);
    return c.redirect("/login?signed_out=1", 303);
  });

  const accountPage = async (
    c: Context,
    status: 200 | 400 | 401 | 403 | 404 | 409,
    extra: Partial<AccountPageProps> = {},
  ) => {
    const user = me(c);
    const full = await auth.users.get(user.id);
    const tokens = await auth.tokens.list(user.id);
    const scopes = TOKEN_SCOPES.slice(0, TOKEN_SCOPES.indexOf(maxScopeFor(user.role)) + 1);
    c.header("Cache-Control", "no-store");
    return c.html(
      renderPage(
        AccountPage({
          user: { name: user.name, role: user.role, hasPassword: full?.hasPassword ?? false },
          tokens: tokens.map(tokenRow),
          scopes,
          tokenForm: { name: "", scope: "read" },
          errors: {},
          ...extra,
        }),
        pageFrame(c),
      ),
      status,
    );
  };

  app.get("/account", (c) =>
    accountPage(c, 200, {
      welcome: c.req.query("welcome") !== undefined,
      notice: ACCOUNT_NOTICES[c.req.query("notice") ?? ""],
    }));

  app.post("/account/password", async (c) => {
    const user = me(c);
    const form = await formOf(c);
    const full = await auth.users.findByName(user.name);
    if (full?.hasPassword) {
      const keys = throttleKeys(user.name, c.get("clientIp"));
      const verdict = await auth.throttle.check(keys);
      if (verdict.blocked) {
        const seconds = Math.ceil(verdict.retryAfterMs / 1000);
        c.header("Retry-After", String(seconds));
        return accountPage(c, 403, {
          errors: { current: `Too many wrong passwords. Try again in ${seconds} seconds.` },
        });
      }
      if (!await auth.users.verifyLogin(user.name, form.current ?? "")) {
        await auth.throttle.fail(keys);
        return accountPage(c, 403, { errors: { current: "This is not your current password." } });
      }
    }
    const password = form.password ?? "";
    if (password !== (form.confirm ?? "")) {
      return accountPage(c, 400, { errors: { confirm: "The two new passwords differ." } });
    }
    try {
      await auth.users.setPassword(actorOf(c)!, user.id, password);
    } catch (err) {
      if (err instanceof AuthError) {
        return accountPage(c, statusOf(err.kind), { errors: { password: err.message } });
      }
      throw err;
    }
    const p = c.get("principal");
    await auth.sessions.destroyForUser(user.id, p?.kind === "session" ? p.session.idHash : "");
    return c.redirect("/account?notice=password", 303);
  });

  app.post("/account/tokens", async (c) => {
    const user = me(c);
    const form = await formOf(c);
    const tokenForm = { name: form.name ?? "", scope: form.scope ?? "read" };
    try {
      const { token, view } = await auth.tokens.create(actorOf(c)!, user, tokenForm);
      return await accountPage(c, 200, {
        created: { name: view.name, scope: view.scope, token },
      });
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      const field = err.field === "scope" ? "scope" : "tokenName";
      return accountPage(c, statusOf(err.kind), { tokenForm, errors: { [field]: err.message } });
    }
  });

  app.post("/account/tokens/:id/revoke", async (c) => {
    const user = me(c);
    try {
      await auth.tokens.revoke(actorOf(c)!, idParam(c), { id: user.id, asAdmin: false });
    } catch (err) {
      if (err instanceof AuthError) return accountPage(c, 404, { problem: err.message });
      throw err;
    }
    return c.redirect("/account?notice=revoked", 303);
  });

  // The REST side: who am I, and my tokens.
  app.get("/api/v1/me", (c) => {
    const p = c.get("principal");
    const user = me(c);
    return c.json({
      id: user.id,
      name: user.name,
      role: user.role,
      via: p?.kind,
      scope: p?.kind === "token" ? p.scope : undefined,
    });
  });

  app.get("/api/v1/tokens", async (c) => {
    return c.json({ tokens: (await auth.tokens.list(me(c).id)).map(tokenJson) });
  });

  app.post("/api/v1/tokens", async (c) => {
    const user = me(c);
    const body = await jsonOf(c);
    const p = c.get("principal");
    const days = body.expiresInDays;
    if (days !== undefined && (typeof days !== "number" || !Number.isInteger(days) || days < 1)) {
      throw new HttpError(400, "expiresInDays must be a positive integer");
    }
    try {
      const { token, view } = await auth.tokens.create(actorOf(c)!, user, {
        name: typeof body.name === "string" ? body.name : "",
        scope: isScope(body.scope) ? body.scope : String(body.scope ?? ""),
        expiresAt: days === undefined ? undefined : new Date(Date.now() + 86_400_000 * days),
        limit: p?.kind === "token" ? p.scope : undefined,
      });
      c.header("Cache-Control", "no-store");
      return c.json({ ...tokenJson(view), token }, 201);
    } catch (err) {
      if (err instanceof AuthError) throw new HttpError(statusOf(err.kind), err.message);
      throw err;
    }
  });

  app.delete("/api/v1/tokens/:id", async (c) => {
    const user = me(c);
    const p = c.get("principal");
    const asAdmin = user.role === "admin" && (p?.kind !== "token" || p.scope === "admin");
    try {
      await auth.tokens.revoke(actorOf(c)!, idParam(c), { id: user.id, asAdmin });
    } catch (err) {
      if (err instanceof AuthError) throw new HttpError(statusOf(err.kind), err.message);
      throw err;
    }
    return c.body(null, 204);
  });

  return app;
}

function tokenRow(t: TokenView) {
  return {
    id: t.id,
    name: t.name,
    scope: t.scope,
    prefix: t.prefix,
    createdAt: t.createdAt.getTime(),
    lastUsedAt: t.lastUsedAt?.getTime() ?? null,
    revokedAt: t.revokedAt?.getTime() ?? null,
  };
}

function tokenJson(t: TokenView) {
  return {
    id: t.id,
    name: t.name,
    scope: t.scope,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    expiresAt: t.expiresAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}
