/** Starting the project's own programs as real processes, and stopping them by PID. */

export const ROOT = new URL("../../", import.meta.url).pathname;

export interface Spawned {
  pid: number;
  /** Everything printed so far on stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/** Spawns `deno run -A FILE args…` from the repository root. */
export function spawnDeno(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): { child: Deno.ChildProcess; collected: () => string; done: Promise<void> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-net", file, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const done = Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => {});
  return { child, collected: () => text, done };
}

/** Starts `manager serve` (a free port unless `port` is given) and waits until it listens. */
export async function startManager(
  env: Record<string, string>,
  options: { port?: number; timeoutMs?: number } = {},
): Promise<Spawned & { url: string }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const args = ["serve", "--port", String(options.port ?? 0)];
  const { child, collected, done } = spawnDeno("manager/main.ts", args, env);
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  let exited = false;
  child.status.then(() => exited = true);
  while (!url) {
    const m = /listening on (http:\/\/[\d.:]+)/.exec(collected());
    if (m) url = m[1];
    else if (exited || Date.now() > deadline) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await done;
      throw new Error(`manager did not start:\n${collected()}`);
    } else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: child.pid,
    output: collected,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, 10_000);
      await child.status;
      clearTimeout(timer);
      await done;
    },
  };
}

/** Runs a Deno program to completion. */
export async function runDeno(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-net", file, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}
