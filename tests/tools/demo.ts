/**
 * `deno task demo`: the one-command start. Generates a realistic capture stamped "the last ten
 * minutes", starts the manager on embedded PGlite (data/demo, recreated each run), replays the
 * capture through an appliance, and prints the URL where the flows are. Ctrl-C stops everything.
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

async function run(file: string, args: string[]): Promise<void> {
  const { child, collected, done } = spawnDeno(file, args);
  const { code } = await child.status;
  await done;
  const out = collected().trim();
  if (out) console.log(out.split("\n").map((l) => `  ${l}`).join("\n"));
  if (code !== 0) throw new Error(`${file} ${args[0]} exited with ${code}`);
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

say("starting the manager on embedded PGlite (data/demo/manager)");
let manager;
try {
  manager = await startManager({ TAPLINE_DATA_DIR: `${dataDir}/manager`, DATABASE_URL: "" }, {
    port: Number(values.port),
  });
} catch (err) {
  // The fixed port may be taken: fall back to a free one rather than fail the newcomer.
  if (!/EADDRINUSE|address already in use|Address in use/i.test(String(err))) throw err;
  say(`port ${values.port} is in use; picking a free port`);
  manager = await startManager({ TAPLINE_DATA_DIR: `${dataDir}/manager`, DATABASE_URL: "" });
}
const stop = async (code: number) => {
  await manager.stop();
  Deno.exit(code);
};
try {
  say(`replaying the capture through an appliance → ${manager.url}`);
  await run("appliance/main.ts", [
    "replay",
    capture,
    "--manager",
    manager.url,
    "--appliance",
    "demo-appliance",
  ]);
} catch (err) {
  console.error(`demo: ${(err as Error).message}`);
  console.error(manager.output());
  await stop(1);
}

console.log(`\n  Tapline is up. Flow logs: ${manager.url}/flows\n`);
if (values["exit-after-replay"]) await stop(0);
say("press Ctrl-C to stop");
Deno.addSignalListener("SIGINT", () => stop(0));
Deno.addSignalListener("SIGTERM", () => stop(0));
