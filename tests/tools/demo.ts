/**
 * `deno task demo`: the one-command start. Generates a realistic capture stamped "the last ten
 * minutes", starts the manager on embedded PGlite (data/demo, recreated each run), enrolls an
 * appliance (data/demo/appliance) with a one-time token from `manager token enroll`, replays the
 * capture through it, keeps its packets in the appliance's PCAP store and runs the agent (so PCAP
 * analysis answers), and prints a one-time sign-in link (there is no default password) that
 * leads to the flows. Ctrl-C stops everything.
 */
import { parseArgs } from "node:util";
import { spawnDeno, startManager } from "../support/procs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string", default: Deno.env.get("TAPLINE_PORT") ?? "8080" },
    flows: { type: "string", default: "400" },
    "keep-data": { type: "boolean", default: false },
    "exit-after-replay": { type: "boolean", default: false },
  },
});
const ROOT = new URL("../../", import.meta.url).pathname;
const dataDir = `${ROOT}data/demo`;
const capture = `${dataDir}/demo.pcap`;

function say(line: string) {
  console.log(`demo: ${line}`);
}

async function run(
  file: string,
  args: string[],
  env: Record<string, string> = {},
  options: { quiet?: boolean } = {},
): Promise<string> {
  const { child, collected, done } = spawnDeno(file, args, env);
  const { code } = await child.status;
  await done;
  const out = collected().trim();
  if (out && !options.quiet) console.log(out.split("\n").map((l) => `  ${l}`).join("\n"));
  if (code !== 0) throw new Error(`${file} ${args[0]} exited with ${code}:\n${out}`);
  return out;
}

if (!values["keep-data"]) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
await Deno.mkdir(dataDir, { recursive: true });

const start = new Date(Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000).toISOString();
say(`generating ${values.flows} flows of HTTP/DNS traffic starting ${start} → ${capture}`);
await run("tests/tools/gen_pcap.ts", [
  "--out",
  capture,
  "--flows",
  values.flows,
  "--start",
  start,
  "--duration-s",
  "540",
]);

// The demo license: every module for 30 days, issued now with the repository's DEVELOPMENT key
// (manager/license/dev_keys/), installed with the manager's own command before it starts.
const managerEnv = {
  TAPLINE_DATA_DIR: `${dataDir}/manager`,
  DATABASE_URL: "",
  TAPLINE_LICENSE_KEYS: "",
};
const licenseFile = `${dataDir}/demo.license.json`;
say("issuing a demo license (all modules, 30 days, development key) and installing it");
await run("manager/license/vendor_cli.ts", [
  "issue",
  "--key",
  "manager/license/dev_keys/dev.private.pem",
  "--modules",
  "all",
  "--customer",
  "Tapline demo",
  "--days",
  "30",
  "--appliances",
  "10",
  "--out",
  licenseFile,
]);
await run("manager/main.ts", ["license", "install", licenseFile], managerEnv);
const applianceDir = `${dataDir}/appliance`;
// --keep-data keeps the appliance enrolled (a new enrollment would be a new appliance).
const enrolled = await Deno.stat(`${applianceDir}/identity.json`).then(() => true, () => false);
let enrollToken: string | undefined;
if (!enrolled) {
  // Made before the manager starts: a running manager locks its PGlite folder.
  say("creating a one-time enrollment token for the demo appliance (manager token enroll)");
  const out = await run("manager/main.ts", ["token", "enroll", "--name", "demo"], managerEnv, {
    quiet: true,
  });
  enrollToken = /^(tple_[A-Za-z0-9_-]+)$/m.exec(out)?.[1];
  if (enrollToken === undefined) {
    throw new Error(`no token in the output of manager token enroll:\n${out}`);
  }
}

say("starting the manager on embedded PGlite (data/demo/manager)");
let manager;
try {
  manager = await startManager(managerEnv, {
    port: Number(values.port),
  });
} catch (err) {
  // The fixed port may be taken: fall back to a free one rather than fail the newcomer.
  if (!/EADDRINUSE|address already in use|Address in use/i.test(String(err))) throw err;
  say(`port ${values.port} is in use; picking a free port`);
  manager = await startManager(managerEnv);
}
let agent: ReturnType<typeof spawnDeno> | undefined;
const stop = async (code: number) => {
  if (agent !== undefined) {
    try {
      agent.child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await agent.child.status;
  }
  await manager.stop();
  Deno.exit(code);
};
try {
  if (enrollToken !== undefined) {
    say(`enrolling the demo appliance (data/demo/appliance) with ${manager.url}`);
    await run("appliance/main.ts", [
      "enroll",
      "--manager",
      manager.url,
      "--token",
      enrollToken,
      "--name",
      "demo-appliance",
      "--state-dir",
      applianceDir,
    ]);
  }
  say("replaying the capture through the appliance (spool → manager)");
  await run("appliance/main.ts", [
    "replay",
    capture,
    "--state-dir",
    applianceDir,
    "--manager",
    manager.url,
  ]);
  // The packets too, so that PCAP analysis has something to show: the capture is kept under a
  // catch-all policy in the appliance's store, and the agent runs (no capture point) to answer
  // the manager's packet requests and to heartbeat.
  say("storing the capture's packets in the appliance's PCAP store (data/demo/appliance/pcap)");
  const policyFile = `${dataDir}/demo.pcap-policy.json`;
  await Deno.writeTextFile(policyFile, JSON.stringify({ id: "demo" }));
  await run("appliance/main.ts", [
    "pcap-store",
    capture,
    "--policy",
    policyFile,
    "--dir",
    `${applianceDir}/pcap`,
  ]);
  if (!values["exit-after-replay"]) {
    say("starting the appliance agent (heartbeats, config, packet requests)");
    agent = spawnDeno("appliance/main.ts", ["run", "--state-dir", applianceDir]);
  }
} catch (err) {
  console.error(`demo: ${(err as Error).message}`);
  console.error(manager.output());
  await stop(1);
}

// No default password: a manager whose accounts have no password yet prints a one-time sign-in
// link right after its "listening" line. The newcomer opens it and lands on the data.
let signIn: string | undefined;
for (let waited = 0; waited < 5_000 && !signIn; waited += 50) {
  const token = /\/login\/once\?token=([A-Za-z0-9_-]{43})/.exec(manager.output())?.[1];
  if (token) signIn = `${manager.url}/login/once?token=${token}`;
  else await new Promise((r) => setTimeout(r, 50));
}
console.log(
  signIn
    ? `\n  Tapline is up. Sign in (one-time link, valid 30 minutes):\n    ${signIn}\n` +
      `  then set a password or go straight to the flow logs: ${manager.url}/flows\n`
    : `\n  Tapline is up. Sign in with your password: ${manager.url}/login?next=/flows\n`,
);
if (values["exit-after-replay"]) await stop(0);
say("press Ctrl-C to stop");
Deno.addSignalListener("SIGINT", () => stop(0));
Deno.addSignalListener("SIGTERM", () => stop(0));
