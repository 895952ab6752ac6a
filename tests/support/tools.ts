/**
 * Tests that need an outside tool (tshark, chromium, PostgreSQL…) skip with a message when it is
 * absent locally, and fail under CI=true, where `.ci/run` must have installed it.
 */
const found = new Map<string, boolean>();

export const IN_CI = Deno.env.get("CI") === "true";

export function hasTool(path: string): boolean {
  let ok = found.get(path);
  if (ok === undefined) {
    if (path.startsWith("/")) {
      try {
        ok = Deno.statSync(path).isFile;
      } catch {
        ok = false;
      }
    } else {
      ok = (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
        try {
          return Deno.statSync(`${dir}/${path}`).isFile;
        } catch {
          return false;
        }
      });
    }
    found.set(path, ok);
  }
  return ok;
}

/** Deno.test that needs `tools`: skipped with a message when one is missing, failed in CI. */
export function testWithTools(
  name: string,
  tools: string[],
  fn: (t: Deno.TestContext) => Promise<void> | void,
  options: Omit<Deno.TestDefinition, "name" | "fn"> = {},
): void {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) {
    Deno.test({ name, fn, ...options });
  } else if (IN_CI) {
    Deno.test({
      name,
      fn: () => {
        throw new Error(
          `needs ${missing.join(", ")}, which is not installed (CI=true: .ci/run must install it)`,
        );
      },
    });
  } else {
    console.warn(`skip: "${name}" needs ${missing.join(", ")} (not installed)`);
    Deno.test({ name, ignore: true, fn });
  }
}
