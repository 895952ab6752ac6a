/**
 * A two-namespace lab for live capture tests: a server and a client namespace joined by a veth
 * pair, and a host-side veth pair to the server namespace (where the agent runs and reaches the
 * manager). Processes are spawned inside a namespace and stopped by PID; `tearDown` deletes the
 * namespaces (and with them the veths). Addresses stay inside the namespaces and one host /30.
 */
import { ROOT } from "./procs.ts";
import { IN_CI, testWithTools } from "./tools.ts";

/**
 * A test that needs root (network namespaces, packet sockets) and `tools`: skipped with a
 * message when not root or a tool is missing, but failing under CI=true.
 */
export const labTest: typeof testWithTools = Deno.uid() === 0 || IN_CI ? testWithTools : (name) => {
  console.warn(`skip: "${name}" needs root (network namespaces and packet sockets)`);
  Deno.test({ name, ignore: true, fn: () => {} });
};

export const words = (line: string) => line.trim().split(/\s+/);
const DISABLE_IPV6 = "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; " +
  "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6";

export async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, cwd: ROOT, stdin: "null" }).output();
  const text = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${out.code}): ${text.decode(out.stderr)}`,
    );
  }
  return text.decode(out.stdout);
}

async function quietly(command: string, args: string[]): Promise<void> {
  await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output()
    .catch(() => {});
}

export interface Proc {
  pid: number;
  /** Everything printed so far, both streams in arrival order. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Waits until the output matches, or throws with what was printed. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for the process to exit by itself. */
  exited(): Promise<Deno.CommandStatus>;
  signal(signal: Deno.Signal): void;
  /** Signals the process and waits for it to exit; SIGKILL after 10 s. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Starts `command` from the repository root, collecting what it prints. */
export function spawn(command: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let out = "";
  let err = "";
  const pump = async (stream: ReadableStream<Uint8Array>, toStdout: boolean) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const s = decoder.decode(chunk, { stream: true });
      text += s;
      if (toStdout) out += s;
      else err += s;
    }
  };
  const done = Promise.all([pump(child.stdout, true), pump(child.stderr, false)]);
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  };
  return {
    pid: child.pid,
    output: () => text,
    stdout: () => out,
    stderr: () => err,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (exited || Date.now() > deadline) {
          throw new Error(`${command} ${args.join(" ")}: no ${pattern}\n${text}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async exited() {
      const s = await status;
      await done;
      return s;
    },
    signal(signal) {
      if (!exited) kill(signal);
    },
    async stop(signal = "SIGTERM") {
      if (!exited) kill(signal);
      const timer = setTimeout(() => kill("SIGKILL"), 10_000);
      const s = await status;
      clearTimeout(timer);
      await done;
      return s;
    },
  };
}

/** Polls `probe` until it gives a value (errors count as "not yet"). */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${last})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export class NetLab {
  readonly server: string;
  readonly client: string;
  readonly serverIf: string;
  readonly clientIf: string;
  readonly hostIf: string;
  readonly agentIf: string;
  readonly serverIp: string;
  readonly clientIp: string;
  readonly hostIp: string;
  readonly agentIp: string;

  /**
   * `tag`: 1-3 letters naming the test, so parallel test files never share a name; `net`: the
   * second octet of the lab's addresses (10.net.0.0/30 inside, 10.net+1.x.0/30 to the host), one
   * per test file so that two labs never share a host-side address.
   */
  constructor(tag: string, net = 210) {
    this.serverIp = `10.${net}.0.1`;
    this.clientIp = `10.${net}.0.2`;
    const p = `${tag}${Deno.pid}`;
    [this.server, this.client] = [`${p}s`, `${p}c`];
    [this.serverIf, this.clientIf, this.hostIf, this.agentIf] = [
      `${p}x`,
      `${p}y`,
      `${p}h`,
      `${p}a`,
    ];
    const octet = Deno.pid % 250;
    this.hostIp = `10.${net + 1}.${octet}.1`;
    this.agentIp = `10.${net + 1}.${octet}.2`;
  }

  async setUp(): Promise<void> {
    for (const ns of [this.server, this.client]) {
      await run("ip", words(`netns add ${ns}`));
      await run("ip", [...words(`netns exec ${ns} sh -c`), DISABLE_IPV6]);
      await run("ip", words(`-n ${ns} link set lo up`));
    }
    await run(
      "ip",
      words(
        `-n ${this.server} link add ${this.serverIf} type veth peer name ${this.clientIf} netns ${this.client}`,
      ),
    );
    await run("ip", words(`-n ${this.server} addr add ${this.serverIp}/30 dev ${this.serverIf}`));
    await run("ip", words(`-n ${this.server} link set ${this.serverIf} up`));
    await run("ip", words(`-n ${this.client} addr add ${this.clientIp}/30 dev ${this.clientIf}`));
    await run("ip", words(`-n ${this.client} link set ${this.clientIf} up`));
    await run(
      "ip",
      words(`link add ${this.hostIf} type veth peer name ${this.agentIf} netns ${this.server}`),
    );
    await run("ip", words(`addr add ${this.hostIp}/30 dev ${this.hostIf}`));
    await run("ip", words(`link set ${this.hostIf} up`));
    await run("ip", words(`-n ${this.server} addr add ${this.agentIp}/30 dev ${this.agentIf}`));
    await run("ip", words(`-n ${this.server} link set ${this.agentIf} up`));
  }

  /** Deletes both namespaces (and with them both veth pairs); never throws. */
  async tearDown(): Promise<void> {
    for (const ns of [this.server, this.client]) await quietly("ip", ["netns", "del", ns]);
    await quietly("ip", ["link", "del", this.hostIf]);
  }

  /** A command inside namespace `ns` (`ip netns exec` execs it: the PID is the command's). */
  exec(ns: string, command: string, args: string[], env: Record<string, string> = {}): Proc {
    return spawn("ip", ["netns", "exec", ns, command, ...args], env);
  }
}
