// STYLE "Our layout": ui/ is props in, markup out. It may import preact and its renderer, reach
// htmx only as a static file, and nothing from the appliance, the manager or the database.
import assert from "node:assert/strict";

const ALLOWED_BARE = /^(?:preact|preact\/[\w/-]+|preact-render-to-string|node:[\w/]+)$/;

async function* sources(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* sources(url);
    else if (/\.tsx?$/.test(entry.name)) yield url;
  }
}

Deno.test("ui/ imports only itself, preact and node: built-ins", async () => {
  const root = new URL("./", import.meta.url);
  let files = 0;
  for await (const file of sources(root)) {
    files++;
    const text = await Deno.readTextFile(file);
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"([^"]+)"/g)) {
      const specifier = match[1]!;
      const where = `${file.pathname.slice(root.pathname.length)} imports ${specifier}`;
      if (specifier.startsWith(".")) {
        assert.ok(new URL(specifier, file).href.startsWith(root.href), where);
      } else {
        assert.match(specifier, ALLOWED_BARE, where);
      }
    }
  }
  assert.ok(files > 10);
});
