import { ConfigError, loadConfig, type ManagerConfig, USAGE } from "./config.ts";
import { createApp } from "./app.ts";
import { DatabaseError, migrate, openDatabase, PartitionManager } from "./db/mod.ts";

const HOUR_MS = 3_600_000;

function log(msg: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", msg, ...fields }));
}

async function open(config: ManagerConfig) {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrate(database);
  log("database ready", {
    database: database.kind,
    location: database.location,
    migrations: applied,
  });
  return database;
}

async function serve(config: ManagerConfig): Promise<void> {
  const database = await open(config);
  const partitions = new PartitionManager(database);
  const window = { back: 1, ahead: config.partitionsAhead };
  await partitions.ensureWindow(Date.now(), window);
  const maintenance = setInterval(() => {
    partitions.ensureWindow(Date.now(), window).catch((err) =>
      console.error(
        JSON.stringify({ level: "error", msg: "partition maintenance", error: String(err) }),
      )
    );
  }, HOUR_MS);

  const app = createApp({
    database,
    partitions,
    maxBatchBytes: config.maxBatchBytes,
    pageSize: 50,
  });
  const controller = new AbortController();
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    signal: controller.signal,
    onListen: ({ hostname, port }) => {
      const shown = hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
      // Tests and the demo read this line to find the port.
      console.log(`Tapline manager listening on http://${shown}:${port}`);
    },
  }, app.fetch);

  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  clearInterval(maintenance);
  await database.close();
  log("stopped");
}

async function main(args: string[]): Promise<number> {
  let config: ManagerConfig;
  try {
    config = loadConfig(args);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) console.error(`manager: ${p}`);
      console.error(USAGE);
      return 2;
    }
    throw err;
  }
  if (config.command === "help") {
    console.log(USAGE);
    return 0;
  }
  try {
    if (config.command === "migrate") {
      const database = await open(config);
      await database.close();
    } else {
      await serve(config);
    }
    return 0;
  } catch (err) {
    const e = err as Error;
    if (e instanceof Deno.errors.AddrInUse) {
      console.error(
        `manager: cannot listen on ${config.host}:${config.port}: address already in use (use --port or TAPLINE_PORT)`,
      );
      return 1;
    }
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
    if (e instanceof DatabaseError || /ECONNREFUSED|connect|password|database/.test(e.message)) {
      console.error(`manager: ${e.message}${cause}`);
      return 1;
    }
    console.error(`manager: ${e.stack ?? e.message}`);
    return 1;
  }
}

Deno.exit(await main(Deno.args));
