import assert from "node:assert/strict";
import { attr, contents, openTags } from "./_test_helpers.ts";
import { CsrfField } from "./frame.tsx";
import { Layout } from "./layout.tsx";
import { renderFragment, renderPage } from "./render.ts";

const FRAME = { user: { name: `<b>eve</b>`, role: "operator" }, csrfToken: "tok-123_-abc" };

Deno.test("renderPage() with a frame: CSRF meta tag, htmx header, user menu with sign-out", () => {
  const html = renderPage(<Layout title="T">x</Layout>, FRAME);
  const meta = openTags(html, "meta").find((t) => attr(t, "name") === "csrf-token");
  assert.equal(attr(meta!, "content"), "tok-123_-abc");
  const body = openTags(html, "body")[0]!;
  assert.deepEqual(JSON.parse(attr(body, "hx-headers")!), { "X-CSRF-Token": "tok-123_-abc" });
  const form = openTags(html, "form").find((t) => attr(t, "action") === "/logout")!;
  assert.equal(attr(form, "method"), "post");
  assert.ok(html.includes(`<input type="hidden" name="_csrf" value="tok-123_-abc"/>`));
  assert.ok(html.includes("&lt;b>eve&lt;/b>"), "the user name is escaped");
  assert.ok(!html.includes("<b>eve</b>"));
});

Deno.test("renderPage() without a frame: no token, no user menu", () => {
  const html = renderPage(<Layout title="T">x</Layout>);
  assert.ok(!html.includes("csrf-token"));
  assert.equal(attr(openTags(html, "body")[0]!, "hx-headers"), undefined);
  assert.deepEqual(contents(html, "form"), []);
});

Deno.test("CsrfField() renders the session's token in forms, nothing without a session", () => {
  assert.equal(
    renderFragment(
      <form>
        <CsrfField />
      </form>,
      FRAME,
    ),
    `<form><input type="hidden" name="_csrf" value="tok-123_-abc"/></form>`,
  );
  assert.equal(
    renderFragment(
      <form>
        <CsrfField />
      </form>,
    ),
    "<form></form>",
  );
});

Deno.test("Layout() with plain: no navigation (the sign-in pages)", () => {
  const html = renderPage(<Layout title="Sign in" plain>x</Layout>);
  assert.ok(!html.includes(`class="sidenav"`));
  assert.ok(html.includes(`class="shell shell-plain"`));
});
