import { type Context, Hono } from "hono";
import { renderPage, UsersPage, type UsersPageProps } from "../../ui/mod.ts";
import {
  actorOf,
  type Auth,
  AuthError,
  publicOrigin,
  ROLES,
  signInUrl,
  statusOf,
  userOf,
  type UserView,
} from "../auth/mod.ts";
import { HttpError } from "./errors.ts";
import { pageFrame } from "./page_frame.ts";
import { formOf, idParam, jsonOf } from "./_input.ts";

const NOTICES: Record<string, string> = {
  created: "The user was added.",
  role: "The role was changed.",
  deleted: "The user was deleted; their sessions and API tokens ended.",
};

/** `/admin/users` (the page and its forms) and `/api/v1/users` (admins only, see policy.ts). */
export function userRoutes(auth: Auth): Hono {
  const app = new Hono();
  const trust = auth.settings.trustProxy;

  const page = async (
    c: Context,
    status: 200 | 201 | 400 | 403 | 404 | 409,
    extra: Partial<UsersPageProps> = {},
  ) => {
    const users = await auth.users.list();
    c.header("Cache-Control", "no-store");
    return c.html(
      renderPage(
        UsersPage({
          users: users.map((u) => ({ ...u, createdAt: u.createdAt.getTime() })),
          meId: userOf(c)?.id ?? 0,
          roles: ROLES,
          form: { name: "", role: "viewer" },
          errors: {},
          ...extra,
        }),
        pageFrame(c),
      ),
      status,
    );
  };

  /** A sign-in link for a user, recorded in the audit log (it grants a session). */
  const issueLink = async (c: Context, user: { id: number; name: string }) => {
    const { token, expiresAt } = await auth.links.create(user.id);
    await auth.audit.record(actorOf(c)!, {
      action: "user.link",
      target: { type: "user", id: user.id },
      after: { name: user.name, linkExpiresAt: expiresAt.toISOString() },
    });
    return { url: signInUrl(publicOrigin(c, trust), token), expiresAt };
  };

  app.get("/admin/users", (c) => page(c, 200, { notice: NOTICES[c.req.query("notice") ?? ""] }));

  app.post("/admin/users", async (c) => {
    const form = await formOf(c);
    const input = { name: form.name ?? "", role: form.role ?? "", password: form.password ?? "" };
    let user: UserView;
    try {
      user = await auth.users.create(actorOf(c)!, input);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      const field = err.field === "role" || err.field === "password" ? err.field : "name";
      return page(c, statusOf(err.kind), {
        form: { name: input.name, role: input.role },
        errors: { [field]: err.message },
      });
    }
    if (user.hasPassword) return c.redirect("/admin/users?notice=created", 303);
    const link = await issueLink(c, user);
    return page(c, 201, {
      notice: "The user was added.",
      link: { userName: user.name, url: link.url, expiresAt: link.expiresAt.getTime() },
    });
  });

  app.post("/admin/users/:id/role", async (c) => {
    const form = await formOf(c);
    try {
      await auth.users.setRole(actorOf(c)!, idParam(c), form.role ?? "");
    } catch (err) {
      if (err instanceof AuthError) return page(c, statusOf(err.kind), { problem: err.message });
      throw err;
    }
    return c.redirect("/admin/users?notice=role", 303);
  });

  app.post("/admin/users/:id/link", async (c) => {
    const user = await auth.users.get(idParam(c));
    if (!user) return page(c, 404, { problem: "No such user." });
    const link = await issueLink(c, user);
    return page(c, 200, {
      link: { userName: user.name, url: link.url, expiresAt: link.expiresAt.getTime() },
    });
  });

  app.post("/admin/users/:id/delete", async (c) => {
    try {
      await auth.users.delete(actorOf(c)!, idParam(c));
    } catch (err) {
      if (err instanceof AuthError) return page(c, statusOf(err.kind), { problem: err.message });
      throw err;
    }
    return c.redirect("/admin/users?notice=deleted", 303);
  });

  const failed = (err: unknown): never => {
    if (err instanceof AuthError) throw new HttpError(statusOf(err.kind), err.message);
    throw err;
  };

  app.get("/api/v1/users", async (c) => {
    return c.json({ users: (await auth.users.list()).map(userJson) });
  });

  app.post("/api/v1/users", async (c) => {
    const body = await jsonOf(c);
    const user = await auth.users.create(actorOf(c)!, {
      name: typeof body.name === "string" ? body.name : "",
      role: typeof body.role === "string" ? body.role : "",
      password: typeof body.password === "string" ? body.password : undefined,
    }).catch(failed);
    c.header("Cache-Control", "no-store");
    if (user.hasPassword) return c.json(userJson(user), 201);
    const link = await issueLink(c, user);
    return c.json({ ...userJson(user), signInUrl: link.url }, 201);
  });

  app.patch("/api/v1/users/:id", async (c) => {
    const id = idParam(c);
    const body = await jsonOf(c);
    const unknown = Object.keys(body).filter((k) => k !== "role" && k !== "password");
    if (unknown.length > 0) throw new HttpError(400, `unknown fields: ${unknown.join(", ")}`);
    if (body.role !== undefined) {
      await auth.users.setRole(actorOf(c)!, id, String(body.role)).catch(failed);
    }
    if (body.password !== undefined) {
      if (typeof body.password !== "string") throw new HttpError(400, "password must be a string");
      await auth.users.setPassword(actorOf(c)!, id, body.password).catch(failed);
      await auth.sessions.destroyForUser(id);
    }
    const user = await auth.users.get(id);
    if (!user) throw new HttpError(404, `no user with id ${id}`);
    return c.json(userJson(user));
  });

  app.delete("/api/v1/users/:id", async (c) => {
    await auth.users.delete(actorOf(c)!, idParam(c)).catch(failed);
    return c.body(null, 204);
  });

  return app;
}

function userJson(u: UserView) {
  return {
    id: u.id,
    name: u.name,
    role: u.role,
    hasPassword: u.hasPassword,
    createdAt: u.createdAt.toISOString(),
    activeTokens: u.activeTokens,
  };
}
