import assert from "node:assert/strict";

/** Pipeline order: a stage may import only stages before it (and the wire contract). */
const STAGES = ["capture", "decode", "flow", "policy", "report"];
const ROOT = new URL("./", import.meta.url);

function* sourceFiles(dir: URL, prefix = ""): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory) {
      yield* sourceFiles(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`);
    } else if (entry.name.endsWith(".ts")) yield `${prefix}${entry.name}`;
  }
}

function resolve(from: string, specifier: string): string {
  return new URL(specifier, new URL(from, "file:///appliance/")).pathname.replace(
    /^\/appliance\//,
    "",
  );
}

Deno.test("appliance imports follow the data path and go through mod.ts", () => {
  const problems: string[] = [];
  for (const file of sourceFiles(ROOT)) {
    if (file.endsWith("_test.ts")) continue;
    const text = Deno.readTextFileSync(new URL(file, ROOT));
    const folder = file.includes("/") ? file.split("/")[0]! : "";
    for (const [, specifier] of text.matchAll(/^(?:import|export)[^"']*["']([^"']+)["']/gm)) {
      if (!specifier!.startsWith(".")) continue;
      const target = resolve(file, specifier!);
      if (target.startsWith("../") || target.startsWith("manager/")) {
        problems.push(`${file} imports ${specifier} outside appliance/`);
        continue;
      }
      const targetFolder = target.includes("/") ? target.split("/")[0]! : "";
      if (targetFolder === folder || targetFolder === "") {
        if (targetFolder === "" && folder !== "") {
          problems.push(`${file} imports top-level ${target}`);
        }
        continue;
      }
      if (!target.endsWith("/mod.ts")) problems.push(`${file} imports ${target}, not a mod.ts`);
      const from = STAGES.indexOf(folder);
      const to = STAGES.indexOf(targetFolder);
      if (targetFolder !== "wire" && from !== -1 && to > from) {
        problems.push(`${file} (${folder}) imports the later stage ${targetFolder}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("every appliance mod.ts begins with a @module comment", () => {
  for (const file of sourceFiles(ROOT)) {
    if (!file.endsWith("/mod.ts")) continue;
    const text = Deno.readTextFileSync(new URL(file, ROOT));
    assert.match(text, /^\/\*\*\n \* @module\n/, file);
  }
});
