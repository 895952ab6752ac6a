// Access control end to end, in process: sign-in and sessions, throttling, one-time links, API
// tokens, and the appliance seam. auth_matrix_test.ts covers CSRF, roles, XSS, SQL injection
// and the audit log route by route.
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { createApp } from "../../manager/app.ts";
import { createAuth, sha256Hex } from "../../manager/auth/mod.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import {
  cookieValue,
  createTestUser,
  formPost,
  inProcess,
  jsonRequest,
  sessionFor,
  signInForm,
  tokenFor,
} from "../support/auth.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { cborRequest, flowBatch, flowRecord } from "../support/flows.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { installTestLicense } from "../support/license.ts";

const PASSWORD = "a long enough password";
const HTML = { accept: "text/html" };

function setCookieLine(res: Response, name: string): string {
  return res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`)) ?? "";
}

for (const engine of testEngines()) {
  Deno.test(`access control (${engine}): sign-in, sessions, throttling, links, tokens`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    const auth = createAuth(database);
    const deps = {
      database,
      partitions: new PartitionManager(database),
      maxBatchBytes: 1 << 20,
      pageSize: 50,
    };
    const app = createApp({ ...deps, auth });
    const request = inProcess(app);
    try {
      await installTestLicense(database);
      const admin = await createTestUser(auth, "admin", { name: "admin", password: PASSWORD });
      const viewer = await createTestUser(auth, "viewer", { name: "vera", password: PASSWORD });

      await t.step(
        "anonymous: pages redirect to the sign-in page, the API answers 401",
        async () => {
          const page = await request("/flows?port=53", { headers: HTML });
          assert.equal(page.status, 303);
          assert.equal(page.headers.get("location"), "/login?next=%2Fflows%3Fport%3D53");
          const htmx = await request("/flows", { headers: { ...HTML, "hx-request": "true" } });
          assert.equal(htmx.status, 401);
          assert.equal(htmx.headers.get("hx-redirect"), "/login?next=%2Fflows");
          const api = await request("/api/v1/flows");
          assert.equal(api.status, 401);
          assert.equal(api.headers.get("www-authenticate"), 'Bearer realm="tapline"');
          assert.match((await api.json()).error, /sign in, or send an API token/);
          for (const open of ["/healthz", "/readyz", "/static/tapline.css"]) {
            assert.equal((await request(open)).status, 200, open);
          }
        },
      );

      await t.step("the sign-in page is a plain form that works without JavaScript", async () => {
        const res = await request("/login");
        assert.equal(res.status, 200);
        const html = await res.text();
        assert.match(html, /<form method="post" action="\/login"/);
        assert.match(html, /name="name"[^>]*autocomplete="username"/);
        assert.match(html, /type="password"/);
        assert.match(html, /name="_csrf" value="[A-Za-z0-9_-]{43}"/);
        assert.doesNotMatch(html, /class="sidenav"/);
        const cookie = setCookieLine(res, "tapline_login");
        assert.match(cookie, /Path=\/login/);
        assert.match(cookie, /HttpOnly/);
        assert.match(cookie, /SameSite=Strict/);
        assert.equal(res.headers.get("x-frame-options"), "DENY");
      });

      await t.step(
        "sign-in: new session id, HttpOnly + SameSite=Strict, then sign-out",
        async () => {
          // Session fixation: an id the client chose (or had) is never the one it gets.
          const planted = (await auth.sessions.create(viewer.id)).id;
          const { res, session } = await signInForm(request, "ADMIN", PASSWORD, {
            cookie: `tapline_session=${planted}`,
            next: "/admin/audit",
          });
          assert.equal(res.status, 303);
          assert.equal(res.headers.get("location"), "/admin/audit");
          const line = setCookieLine(res, "tapline_session");
          assert.match(line, /HttpOnly/);
          assert.match(line, /SameSite=Strict/);
          assert.match(line, /Path=\//);
          assert.match(line, /Max-Age=43200/);
          assert.doesNotMatch(line, /Secure/, "plain HTTP: a Secure cookie would never come back");
          const id = cookieValue(res.headers, "tapline_session")!;
          assert.match(id, /^[A-Za-z0-9_-]{43}$/);
          assert.notEqual(id, planted);
          assert.equal(await auth.sessions.lookup(planted), undefined, "the old session ended");
          const me = await request("/api/v1/me", { headers: { cookie: session!.cookie } });
          assert.deepEqual(await me.json(), {
            id: admin.id,
            name: "admin",
            role: "admin",
            via: "session",
          });

          const noToken = await request("/logout", formPost({}, { cookie: session!.cookie }));
          assert.equal(noToken.status, 403, "sign-out changes state: it needs the CSRF token");
          const out = await request(
            "/logout",
            formPost({ _csrf: session!.csrf }, session!.headers()),
          );
          assert.equal(out.status, 303);
          assert.equal(out.headers.get("location"), "/login?signed_out=1");
          assert.match(setCookieLine(out, "tapline_session"), /Max-Age=0/);
          const after = await request("/api/v1/me", { headers: { cookie: session!.cookie } });
          assert.equal(after.status, 401);
          assert.match(await (await request("/login?signed_out=1")).text(), /You have signed out/);
        },
      );

      await t.step(
        "cookies are Secure over HTTPS and behind a trusted TLS proxy only",
        async () => {
          const direct = await signInForm(
            async (p, i, ip) =>
              await app.request(`https://manager${p}`, i, { remoteAddr: { hostname: ip } }),
            "admin",
            PASSWORD,
          );
          assert.match(setCookieLine(direct.res, "tapline_session"), /; Secure/);
          const proxied = createApp({ ...deps, auth: createAuth(database, { trustProxy: true }) });
          const viaProxy = inProcess({
            request: (p, i, env) =>
              proxied.request(p, {
                ...i,
                headers: { ...i?.headers, "x-forwarded-proto": "https" },
              }, env),
          });
          const behind = await signInForm(viaProxy, "admin", PASSWORD);
          assert.match(setCookieLine(behind.res, "tapline_session"), /; Secure/);
          const spoofed = await signInForm(
            inProcess({
              request: (p, i, env) =>
                app.request(
                  p,
                  { ...i, headers: { ...i?.headers, "x-forwarded-proto": "https" } },
                  env,
                ),
            }),
            "admin",
            PASSWORD,
          );
          assert.doesNotMatch(setCookieLine(spoofed.res, "tapline_session"), /Secure/);
        },
      );

      await t.step(
        "wrong password, unknown user, forged form: refused with a clear message",
        async () => {
          const wrong = await signInForm(request, "admin", "not the password", {
            ip: "192.0.2.50",
          });
          assert.equal(wrong.res.status, 401);
          const text = await wrong.res.text();
          assert.match(text, /Wrong user name or password\./);
          assert.match(text, /value="admin"/, "the name is kept for the next try");
          const unknown = await signInForm(request, "nobody", PASSWORD, { ip: "192.0.2.50" });
          assert.equal(unknown.res.status, 401);
          assert.match(await unknown.res.text(), /Wrong user name or password\./);
          const forged = await request(
            "/login",
            formPost({ name: "admin", password: PASSWORD, _csrf: "x".repeat(43) }, {
              cookie: `tapline_login=${"y".repeat(43)}`,
            }),
          );
          assert.equal(forged.status, 403);
          assert.match(await forged.text(), /form expired or did not come from this site/);
          assert.equal(cookieValue(forged.headers, "tapline_session"), undefined);
          const open = await request("/login?next=//evil.example/x");
          assert.match(await open.text(), /name="next" value="\/flows"/, "no open redirect");
        },
      );

      await t.step(
        "throttling: 5 failures lock the account, 10 the address (429 + Retry-After)",
        async () => {
          await createTestUser(auth, "operator", { name: "otto", password: PASSWORD });
          for (let i = 0; i < 5; i++) {
            const r = await signInForm(request, "otto", "wrong password!", { ip: "198.51.100.1" });
            assert.equal(r.res.status, 401);
          }
          // Even the right password waits now, from any address.
          const locked = await signInForm(request, "otto", PASSWORD, { ip: "198.51.100.99" });
          assert.equal(locked.res.status, 429);
          assert.ok(Number(locked.res.headers.get("retry-after")) >= 1);
          assert.match(
            await locked.res.text(),
            /Too many failed sign-ins for this account\. Try again in \d+ seconds\./,
          );
          assert.equal(locked.session, undefined);
          const other = await signInForm(request, "vera", PASSWORD, { ip: "198.51.100.2" });
          assert.equal(other.res.status, 303, "other accounts are not affected");

          for (let i = 0; i < 10; i++) {
            await signInForm(request, `guess-${i}`, "whatever password", { ip: "203.0.113.7" });
          }
          const fromThere = await signInForm(request, "vera", PASSWORD, { ip: "203.0.113.7" });
          assert.equal(fromThere.res.status, 429);
          assert.match(await fromThere.res.text(), /Too many failed sign-ins for your address/);
          const fromElsewhere = await signInForm(request, "vera", PASSWORD, { ip: "203.0.113.8" });
          assert.equal(fromElsewhere.res.status, 303);
        },
      );

      await t.step("one-time link: a click signs in once, then the link is dead", async () => {
        const newbie = await createTestUser(auth, "viewer", { name: "newbie" });
        const { token } = await auth.links.create(newbie.id);
        const page = await request(`/login/once?token=${token}`);
        assert.equal(page.status, 200);
        assert.equal(page.headers.get("referrer-policy"), "no-referrer");
        const html = await page.text();
        assert.match(html, /Continue as newbie/);
        // Opening the page (a link previewer) does not use the link up.
        assert.equal((await request(`/login/once?token=${token}`)).status, 200);
        const formCookie = cookieValue(page.headers, "tapline_login")!;
        const formToken = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
        const post = () =>
          request(
            "/login/once",
            formPost({ _csrf: formToken, token }, { cookie: `tapline_login=${formCookie}` }),
          );
        const used = await post();
        assert.equal(used.status, 303);
        assert.equal(used.headers.get("location"), "/account?welcome=1");
        const cookie = `tapline_session=${cookieValue(used.headers, "tapline_session")}`;
        const welcome = await (await request("/account?welcome=1", { headers: { cookie } })).text();
        assert.match(welcome, /You signed in with a one-time link/);
        assert.match(welcome, /Set a password/);
        assert.doesNotMatch(welcome, /name="current"/, "no current password to ask for");
        const again = await post();
        assert.equal(again.status, 404);
        assert.match(await again.text(), /already used, it expired/);
        assert.equal((await request(`/login/once?token=${token}`)).status, 404);
        const old = await auth.links.create(newbie.id, Date.now() - 31 * 60_000);
        assert.equal((await request(`/login/once?token=${old.token}`)).status, 404, "expired");
        assert.equal((await request("/login/once?token=%27%20or%201=1--")).status, 404);

        const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(welcome)![1]!;
        const set = await request(
          "/account/password",
          formPost({
            _csrf: csrf,
            password: "newbie's new password",
            confirm: "newbie's new password",
          }, {
            cookie,
          }),
        );
        assert.equal(set.status, 303);
        const back = await signInForm(request, "newbie", "newbie's new password");
        assert.equal(back.res.status, 303);
      });

      await t.step("API tokens: shown once, stored hashed, scoped, revocable", async () => {
        const s = await sessionFor(auth, admin.id);
        const created = await request(
          "/api/v1/tokens",
          jsonRequest("POST", { name: "ci", scope: "read" }, s.headers()),
        );
        assert.equal(created.status, 201);
        assert.equal(created.headers.get("cache-control"), "no-store");
        const body = await created.json();
        assert.match(body.token, /^tplu_[A-Za-z0-9_-]{43}$/);
        const bearer = { authorization: `Bearer ${body.token}` };
        const listed = await (await request("/api/v1/tokens", { headers: s.headers() })).json();
        assert.ok(!JSON.stringify(listed).includes(body.token), "never shown again");
        assert.equal(listed.tokens[0].prefix, body.token.slice(0, 11));
        const [row] = await database.rows<{ token_hash: string }>(
          sql`select token_hash from api_tokens where id = ${body.id}`,
        );
        assert.equal(row!.token_hash, await sha256Hex(body.token));

        assert.equal((await request("/api/v1/flows", { headers: bearer })).status, 200);
        const write = await request(
          "/api/v1/tokens",
          jsonRequest("POST", { name: "x", scope: "read" }, bearer),
        );
        assert.equal(write.status, 403);
        assert.match((await write.json()).error, /read scope; POST \/api\/v1\/tokens needs write/);
        const onPage = await request("/flows", { headers: { ...bearer, ...HTML } });
        assert.equal(onPage.status, 401, "tokens are for /api/v1/ only");

        // A write token cannot mint an admin token, a viewer cannot mint a write token.
        const writer = await tokenFor(auth, admin, "write");
        const escalate = await request(
          "/api/v1/tokens",
          jsonRequest("POST", { name: "up", scope: "admin" }, writer.headers),
        );
        assert.equal(escalate.status, 403);
        assert.match((await escalate.json()).error, /above what you may grant \(at most write\)/);
        const vs = await sessionFor(auth, viewer.id);
        const viewerWrite = await request(
          "/api/v1/tokens",
          jsonRequest("POST", { name: "w", scope: "write" }, vs.headers()),
        );
        assert.equal(viewerWrite.status, 403);

        // Requests with a token need no CSRF token (no cookie is involved), but do need authz.
        const adminToken = await tokenFor(auth, admin, "admin");
        const made = await request(
          "/api/v1/users",
          jsonRequest("POST", { name: "made-by-token", role: "viewer" }, adminToken.headers),
        );
        assert.equal(made.status, 201);
        assert.match((await made.json()).signInUrl, /^http:\/\/manager\/login\/once\?token=/);

        const revoke = await request(`/api/v1/tokens/${body.id}`, {
          method: "DELETE",
          headers: vs.headers(),
        });
        assert.equal(revoke.status, 404, "a viewer cannot see, let alone revoke, others' tokens");
        const revoked = await request(`/api/v1/tokens/${body.id}`, {
          method: "DELETE",
          headers: s.headers(),
        });
        assert.equal(revoked.status, 204);
        const dead = await request("/api/v1/flows", { headers: bearer });
        assert.equal(dead.status, 401);
        assert.match((await dead.json()).error, /revoked/);

        for (
          const [header, reason] of [
            ["Bearer", /must be "Bearer <token>"/],
            ["Basic YWRtaW46YWRtaW4=", /must be "Bearer <token>"/],
            ["Bearer tplu_short", /not a Tapline API token/],
            [`Bearer tplu_${"A".repeat(43)}`, /unknown API token/],
            [`Bearer tpla_${"A".repeat(43)}`, /appliance credentials are accepted only/],
          ] as const
        ) {
          const r = await request("/api/v1/me", { headers: { authorization: header } });
          assert.equal(r.status, 401, header);
          assert.match((await r.json()).error, reason);
        }

        const gone = await createTestUser(auth, "operator");
        const goneToken = await tokenFor(auth, gone, "write");
        await auth.users.delete({ kind: "system", name: "test" }, gone.id);
        assert.equal((await request("/api/v1/me", { headers: goneToken.headers })).status, 401);
      });

      await t.step(
        "ingest needs an appliance credential and refuses user credentials",
        async () => {
          // Access control only decides who reaches ingest; what ingest answers is its own business.
          const reached = (r: Response) => r.status !== 401 && r.status !== 403;
          const appliance = await enrollTestAppliance({ app, database });
          const batch = (seq: number, headers: Record<string, string> = {}) => {
            const init = cborRequest(
              flowBatch([flowRecord()], { seq, appliance: appliance.applianceId }),
            );
            return { ...init, headers: { ...init.headers, ...headers } };
          };
          const anonymous = await request("/api/v1/ingest", batch(1));
          assert.equal(anonymous.status, 401);
          assert.match((await anonymous.json()).error, /need the appliance's credential/);
          const userToken = await tokenFor(auth, admin, "admin");
          const refused = await request("/api/v1/ingest", batch(2, userToken.headers));
          assert.equal(refused.status, 403);
          assert.match(
            (await refused.json()).error,
            /user API tokens cannot be used for appliance/,
          );
          const s = await sessionFor(auth, admin.id);
          const withCookie = await request("/api/v1/ingest", batch(3, { cookie: s.cookie }));
          assert.equal(withCookie.status, 401, "a session cookie is not an appliance credential");
          const unknown = batch(4, { authorization: `Bearer tpla_${"B".repeat(43)}` });
          const forged = await request("/api/v1/ingest", unknown);
          assert.equal(forged.status, 401);
          assert.equal((await forged.json()).error, "appliance credential unknown or revoked");
          assert.ok(reached(await request("/api/v1/ingest", batch(5, appliance.headers))));
        },
      );
    } finally {
      await tdb.dispose();
    }
  });
}
