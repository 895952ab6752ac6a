import assert from "node:assert/strict";
import { readStatic, STATIC_FILES } from "./assets.ts";

Deno.test("readStatic() serves htmx 2 from its npm package, byte for byte", async () => {
  const file = await readStatic("htmx.min.js");
  assert.ok(file);
  assert.equal(file.type, "text/javascript; charset=utf-8");
  const expected = await Deno.readFile(new URL(import.meta.resolve("htmx.org/dist/htmx.min.js")));
  assert.deepEqual(file.body, expected);
  const text = new TextDecoder().decode(file.body);
  assert.match(text, /version:"2\.0\.11"/);
  assert.ok(file.body.length > 40_000, `htmx.min.js is only ${file.body.length} bytes`);
});

Deno.test("readStatic() serves the stylesheet from ui/static", async () => {
  const file = await readStatic("tapline.css");
  assert.ok(file);
  assert.equal(file.type, "text/css; charset=utf-8");
  const css = new TextDecoder().decode(file.body);
  assert.match(css, /\.data-table/);
  // No web fonts, imports or remote images: the browser must not reach the network.
  assert.doesNotMatch(css, /@import|@font-face|url\(|https?:/);
});

Deno.test("readStatic() knows only its own files", async () => {
  assert.deepEqual([...STATIC_FILES].sort(), ["htmx.min.js", "pcap.js", "tapline.css"]);
  for (const name of ["", "../deno.json", "static/tapline.css", "toString", "__proto__"]) {
    assert.equal(await readStatic(name), undefined, name);
  }
});

Deno.test("readStatic() serves the PCAP page script, which loads nothing from outside", async () => {
  const file = await readStatic("pcap.js");
  assert.ok(file);
  const js = new TextDecoder().decode(file.body);
  assert.match(js, /data-start/);
  assert.doesNotMatch(js, /https?:|import\(|fetch\(/);
});
