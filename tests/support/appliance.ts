/**
 * A real appliance for tests: enrolled with its own command line (`appliance enroll`) into a
 * state folder, so that `appliance replay|run --state-dir DIR` report as it.
 *
 * ```ts
 * const stateDir = await enrollWithCli(manager.url, `${tmp}/appliance`, { name: "tap-1" });
 * await runDeno("appliance/main.ts", ["replay", pcap, "--state-dir", stateDir]);
 * ```
 */
import { createEnrollmentToken } from "./fleet.ts";
import type { TestSession } from "./auth.ts";
import { runDeno } from "./procs.ts";

/** Creates a token through the admin API, runs `appliance enroll`; returns the state folder. */
export async function enrollWithCli(
  managerUrl: string,
  stateDir: string,
  options: { name?: string; session?: TestSession } = {},
): Promise<string> {
  const token = await createEnrollmentToken({ url: managerUrl, session: options.session });
  return await enrollWithToken(managerUrl, stateDir, token, options.name);
}

/**
 * A one-time enrollment token from `manager token enroll`, for a manager that is not running yet
 * (an embedded PGlite folder is locked by a running manager) or has no admin password to sign in.
 */
export async function enrollmentTokenWithCli(env: Record<string, string>): Promise<string> {
  const made = await runDeno("manager/main.ts", ["token", "enroll", "--name", "test"], env);
  const token = /^(tple_[A-Za-z0-9_-]+)$/m.exec(made.stdout)?.[1];
  if (made.code !== 0 || token === undefined) {
    throw new Error(`manager token enroll exited ${made.code}: ${made.stderr}${made.stdout}`);
  }
  return token;
}

/** Runs `appliance enroll` with a token; returns the state folder. */
export async function enrollWithToken(
  managerUrl: string,
  stateDir: string,
  token: string,
  name?: string,
): Promise<string> {
  const args = ["enroll", "--manager", managerUrl, "--token", token, "--state-dir", stateDir];
  if (name !== undefined) args.push("--name", name);
  const enrolled = await runDeno("appliance/main.ts", args);
  if (enrolled.code !== 0) {
    throw new Error(`appliance enroll exited ${enrolled.code}: ${enrolled.stderr}`);
  }
  return stateDir;
}

/** The enrolled identity of a state folder (identity.json). */
export function applianceIdOf(stateDir: string): string {
  return JSON.parse(Deno.readTextFileSync(`${stateDir}/identity.json`)).applianceId;
}

/**
 * Generates a small capture (10 flows and the TCP scenarios) in `tmp` and stores every packet
 * of it in the appliance's PCAP store (`appliance pcap-store`, policy `all`), as a live agent
 * would have. Returns the capture's path.
 */
export async function storeGeneratedCapture(tmp: string, stateDir: string): Promise<string> {
  const pcap = `${tmp}/c.pcap`;
  const gen = await runDeno("tests/tools/gen_pcap.ts", [
    "--out",
    pcap,
    "--flows",
    "10",
    "--scenarios",
  ]);
  if (gen.code !== 0) throw new Error(`gen_pcap failed: ${gen.stderr}`);
  await Deno.writeTextFile(`${tmp}/policy.json`, JSON.stringify({ id: "all" }));
  const stored = await runDeno("appliance/main.ts", [
    "pcap-store",
    pcap,
    "--policy",
    `${tmp}/policy.json`,
    "--dir",
    `${stateDir}/pcap`,
  ]);
  if (stored.code !== 0) throw new Error(`pcap-store failed: ${stored.stderr}`);
  return pcap;
}
