import { ConfigError, loadConfig, type ManagerConfig, USAGE } from "./config.ts";
import { createApp } from "./app.ts";
import { PcapService } from "./pcap/mod.ts";
import {
  AuditLog,
  type Auth,
  bootstrapAdmin,
  createAuth,
  runAuthCommand,
  signInUrl,
} from "./auth/mod.ts";
import {
  applyRetention,
  type Database,
  DatabaseError,
  migrate,
  openDatabase,
  PartitionManager,
} from "./db/mod.ts";
import { WriteQueue } from "./ingest/mod.ts";
import { FleetService, runTokenCommand } from "./fleet/mod.ts";
import { RollupJob } from "./netmon/mod.ts";
import {
  KeyError,
  LicenseService,
  runLicenseCommand,
  trustedKeys,
  verifyLicenseFile,
} from "./license/mod.ts";

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

/** Retention (manager/db/retention.ts), logged; a failure is logged and retried next hour. */
async function retain(
  database: Database,
  partitions: PartitionManager,
  config: ManagerConfig,
): Promise<void> {
  try {
    const report = await applyRetention(database, config.retention, { partitions });
    log("retention", {
      dropped: report.dropped.map((d) => `${d.partition} (${d.reason}, ${d.bytes} bytes)`),
      bytes: report.bytes,
      seqsPruned: report.seqsPruned,
    });
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "retention", error: String(err) }));
  }
}

function warn(msg: string): void {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "warn", msg }));
}

function authFor(config: ManagerConfig, database: Awaited<ReturnType<typeof open>>): Auth {
  const { trustProxy, sessionTtlMs, sessionIdleMs } = config.access;
  return createAuth(database, { trustProxy, sessionTtlMs, sessionIdleMs });
}

async function serve(config: ManagerConfig): Promise<void> {
  const keys = await trustedKeys(config.licenseKeys, warn);
  const database = await open(config);
  const auth = authFor(config, database);
  const first = await bootstrapAdmin(auth, config.access);
  if (first.kind === "admin-from-env") {
    log("admin password set from TAPLINE_ADMIN_PASSWORD", { user: first.user });
  }
  // The audit hook is connected before the first notices are announced (each is sent once).
  const licenses = new LicenseService({ database, keys, audit: auth.audit.record });
  log("license keys trusted", { keys: keys.map((k) => `${k.id} (${k.source})`) });
  const announce = () =>
    licenses.announceNotices().catch((err) =>
      console.error(JSON.stringify({ level: "error", msg: "license notices", error: String(err) }))
    );
  await announce();
  const partitions = new PartitionManager(database);
  const window = { back: 1, ahead: config.partitionsAhead };
  await partitions.ensureWindow(Date.now(), window);
  await retain(database, partitions, config);
  const maintenance = setInterval(() => {
    partitions.ensureWindow(Date.now(), window).catch((err) =>
      console.error(
        JSON.stringify({ level: "error", msg: "partition maintenance", error: String(err) }),
      )
    );
    retain(database, partitions, config);
    announce();
  }, HOUR_MS);

  // The manager key that signs entitlements: generated at first start, kept in the database.
  const fleet = new FleetService({ database, licenses, audit: auth.audit.record });
  log("manager key ready", { id: (await fleet.managerKey()).id });
  // PCAP analysis: agents long-poll it; closed on stop so the server need not wait for them.
  const pcap = new PcapService();
  const app = createApp({
    auth,
    licenses,
    fleet,
    database,
    partitions,
    maxBatchBytes: config.maxBatchBytes,
    writeQueue: new WriteQueue(config.ingest),
    pageSize: 50,
    pcap,
  });
  // Network metrics: flow_log → network_metrics_1m/1h every minute (manager/netmon/rollup.ts).
  const rollup = new RollupJob(database, {
    log: (line) => console.error(JSON.stringify(line)),
  });
  rollup.start();
  const controller = new AbortController();
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    signal: controller.signal,
    onListen: ({ hostname, port }) => {
      const shown = hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
      // Tests and the demo read this line to find the port.
      console.log(`Tapline manager listening on http://${shown}:${port}`);
      if (first.kind === "link") {
        // No default password: while no account has one, this link is the way in (printed here
        // only, never stored in clear; the demo reads it).
        const until = first.expiresAt.toISOString();
        console.log(
          `No account has a password yet: sign in as ${first.user} with this one-time link ` +
            `(single use, valid until ${until}), then set a password:\n  ${
              signInUrl(`http://${shown}:${port}`, first.token)
            }`,
        );
      }
    },
  }, app.fetch);

  const stop = () => {
    pcap.channel.close();
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  clearInterval(maintenance);
  await rollup.stop();
  await database.close();
  log("stopped");
}

/** `manager license …`: verify needs no database; the others open it (and migrate). */
async function license(config: ManagerConfig): Promise<number> {
  const command = config.license!;
  const io = { out: (l: string) => console.log(l), err: (l: string) => console.error(l) };
  const keys = await trustedKeys(
    config.licenseKeys,
    (msg) => console.error(`manager: warning: ${msg}`),
  );
  if (command.action === "verify") return await verifyLicenseFile(command.arg!, { keys, io });
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(database);
    return await runLicenseCommand({ ...command, action: command.action }, {
      licenses: new LicenseService({ database, keys, audit: new AuditLog(database).record }),
      io,
    });
  } finally {
    await database.close();
  }
}

/** `manager user …` / `manager token …`: opens (and migrates) the database, runs, closes. */
async function account(config: ManagerConfig): Promise<number> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(database);
    const origin = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${config.port}`;
    if (config.command === "token" && config.account!.args[0] === "enroll") {
      const keys = await trustedKeys(config.licenseKeys, warn);
      const audit = new AuditLog(database).record;
      const licenses = new LicenseService({ database, keys, audit });
      return await runTokenCommand(new FleetService({ database, licenses, audit }), {
        ...config.account!,
        origin,
      }, { out: (l) => console.log(l), err: (l) => console.error(l) });
    }
    return await runAuthCommand(authFor(config, database), {
      command: config.command === "token" ? "token" : "user",
      ...config.account!,
      origin: `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${config.port}`,
    }, {
      out: (l) => console.log(l),
      err: (l) => console.error(l),
      readStdin: () => new Response(Deno.stdin.readable).text(),
    });
  } finally {
    await database.close();
  }
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
    } else if (config.command === "license") {
      return await license(config);
    } else if (config.command === "user" || config.command === "token") {
      return await account(config);
    } else {
      await serve(config);
    }
    return 0;
  } catch (err) {
    const e = err as Error;
    if (e instanceof KeyError) {
      console.error(`manager: ${e.message}`);
      return 1;
    }
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
