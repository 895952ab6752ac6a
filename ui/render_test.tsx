import assert from "node:assert/strict";
import { renderFragment, renderPage } from "./render.ts";

Deno.test("renderPage() prefixes the doctype", () => {
  assert.equal(renderPage(<html lang="en" />), '<!doctype html><html lang="en"></html>');
});

Deno.test("renderFragment() renders markup alone and escapes text", () => {
  assert.equal(
    renderFragment(<p title={`"x"`}>{"<b>&"}</p>),
    '<p title="&quot;x&quot;">&lt;b>&amp;</p>',
  );
});
