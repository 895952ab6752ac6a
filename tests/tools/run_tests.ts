/**
 * The test command (`deno task test`): format, lint and type checks, then every test, then one
 * plain summary line ("Tests: N passed, N failed, N skipped") that CI reads.
 * Extra arguments go to `deno test` (e.g. a path to run a subset).
 */
const ROOT = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();

async function step(label: string, args: string[]): Promise<boolean> {
  console.log(`\n== ${label}: deno ${args.join(" ")}`);
  const { code } = await new Deno.Command(deno, { args, cwd: ROOT, stdin: "null" }).spawn().status;
  return code === 0;
}

let failedChecks = 0;
for (
  const [label, args] of [
    ["format", ["fmt", "--check"]],
    ["lint", ["lint"]],
    ["types", ["check", "."]],
  ] as const
) {
  if (!(await step(label, [...args]))) failedChecks++;
}

console.log(`\n== tests`);
const started = Date.now();
const child = new Deno.Command(deno, {
  args: ["test", "-A", "--unstable-net", ...Deno.args],
  env: { NO_COLOR: "1" },
  cwd: ROOT,
  stdin: "null",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
let tail = "";
const decoder = new TextDecoder();
const writer = Deno.stdout.writable.getWriter();
for await (const chunk of child.stdout) {
  await writer.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
}
writer.releaseLock();
const { code } = await child.status;
// Deno prints e.g. "ok | 41 passed (12 steps) | 0 failed | 2 ignored (48s)".
const plain = tail.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "");
const num = (re: RegExp) => Number(re.exec(plain)?.[1] ?? 0);
const passed = num(/(\d+) passed/);
const failed = num(/(\d+) failed/) + failedChecks;
const skipped = num(/(\d+) ignored/);
console.log(
  `\nchecks failed: ${failedChecks}; tests took ${Math.round((Date.now() - started) / 1000)} s`,
);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
Deno.exit(code === 0 && failedChecks === 0 ? 0 : 1);
