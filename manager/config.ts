import { parseArgs } from "node:util";
import { passwordProblem } from "./auth/mod.ts";
import { type PartitionedTable, RETENTION_DEFAULTS, type RetentionSettings } from "./db/mod.ts";

/** Everything the manager reads from its environment and command line, validated once. */
export interface ManagerConfig {
  command: "serve" | "migrate" | "license" | "user" | "token" | "help";
  /** `user …` / `token …`: the words after the command and their options. */
  account?: {
    args: string[];
    role?: string;
    scope?: string;
    user?: string;
    name?: string;
    /** `token enroll --ttl-hours N`. */
    ttlHours?: string;
    passwordStdin: boolean;
  };
  /** Access control: the first admin, sessions, and whether a TLS proxy is in front. */
  access: {
    adminUser: string;
    /** TAPLINE_ADMIN_PASSWORD: the first admin's password (no default password exists). */
    adminPassword: string | undefined;
    trustProxy: boolean;
    sessionTtlMs: number;
    sessionIdleMs: number;
  };
  /** `license install FILE | list | verify FILE | remove ID`. */
  license?: { action: "install" | "list" | "verify" | "remove"; arg?: string };
  /** TAPLINE_LICENSE_KEYS: public key paths or inline PEMs; undefined = the development key. */
  licenseKeys: string[] | undefined;
  host: string;
  port: number;
  /** postgres:// URL; unset means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Daily partitions created ahead of today. */
  partitionsAhead: number;
  /** Largest accepted report batch, bytes. */
  maxBatchBytes: number;
  /** Ingest write queue: transactions at once, and requests that may wait (then 429). */
  ingest: { concurrency: number; waiting: number };
  /** Per data type: partitions dropped past `days` or past `bytes` in total (0 = no limit). */
  retention: RetentionSettings;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
  }
}

export const USAGE = `usage: manager <command> [options]

commands:
  serve      run the manager (HTTP API, ingest and admin UI); applies migrations first
  migrate    apply database migrations and exit
  license install FILE | list | verify FILE | remove ID
             administer licenses (install and remove need the database; verify does not)
  user list | create NAME [--role R] [--password-stdin] | link NAME
             administer users; "link" prints a one-time sign-in link (recovery)
  token create --user NAME --scope read|write|admin [--name LABEL] | list [--user NAME] | revoke ID
             administer REST API tokens (the token is printed once)
  token enroll [--ttl-hours N] [--name NOTE]
             a one-time appliance enrollment token (printed once, with the command)

options:
  --port N        listen port (env TAPLINE_PORT, default 8080; 0 picks a free port)
  --host ADDR     listen address (env TAPLINE_HOST, default 127.0.0.1)
  --data-dir DIR  PGlite data folder when DATABASE_URL is unset (env TAPLINE_DATA_DIR, default data/manager)
  -h, --help      show this help

environment:
  DATABASE_URL              postgres://user:pass@host:port/db — use PostgreSQL instead of PGlite
  TAPLINE_PARTITIONS_AHEAD  daily flow-log partitions created ahead of today (default 3)
  TAPLINE_MAX_BATCH_BYTES   largest accepted report batch in bytes (default 33554432)
  TAPLINE_INGEST_CONCURRENCY  ingest transactions at once (default 4)
  TAPLINE_INGEST_QUEUE      ingest requests that may wait for one; past that 429 + Retry-After (default 16)
  TAPLINE_RETENTION_<TYPE>_DAYS   drop a data type's daily partitions older than this (0 = keep;
                            defaults: FLOW_LOG 30, APPLIANCE_EVENT 90); checked at start and hourly
  TAPLINE_RETENTION_<TYPE>_BYTES  then drop its oldest partitions while all of them together are
                            larger than this (0 = no limit, the default); today's is always kept
  TAPLINE_RETENTION_SEQ_DAYS  days the stored seqs of report batches are remembered (default 7)
  TAPLINE_ADMIN_PASSWORD    first start: the admin's password (else a one-time sign-in link is printed)
  TAPLINE_ADMIN_USER        the first admin's user name (default admin)
  TAPLINE_TRUST_PROXY       true behind a TLS proxy: trust X-Forwarded-Proto/-For (default false)
  TAPLINE_SESSION_HOURS     absolute session lifetime (default 12)
  TAPLINE_SESSION_IDLE_MINUTES  sign out after this long without a request (default 60)
  TAPLINE_LICENSE_KEYS      trusted license public keys: PEM file paths or inline PEMs, comma-separated
                            (default: the repository's DEVELOPMENT key, with a warning)`;

function intIn(
  raw: string,
  name: string,
  [min, max]: [number, number],
  problems: string[],
): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    problems.push(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return min;
  }
  return n;
}

/** Reads flags and environment; throws ConfigError listing every problem at once. */
export function loadConfig(
  args: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): ManagerConfig {
  const problems: string[] = [];
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "data-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
        role: { type: "string" },
        scope: { type: "string" },
        user: { type: "string" },
        name: { type: "string" },
        "password-stdin": { type: "boolean" },
        "ttl-hours": { type: "string" },
      },
    });
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  let command: ManagerConfig["command"] = "help";
  if (values.help || first === undefined || first === "help") command = "help";
  else if (first === "serve" || first === "migrate") command = first;
  else if (first === "license" || first === "user" || first === "token") command = first;
  else {
    problems.push(
      `unknown command ${JSON.stringify(first)} (expected serve, migrate, license, user or token)`,
    );
  }
  let license: ManagerConfig["license"];
  if (command === "license") {
    const [action, arg, ...extra] = rest;
    const needsArg = action === "install" || action === "verify" || action === "remove";
    if (action !== "list" && !needsArg) {
      problems.push("license: expected install FILE, list, verify FILE or remove ID");
    } else if (needsArg && arg === undefined) {
      problems.push(`license ${action}: ${action === "remove" ? "ID" : "FILE"} is required`);
    } else if ((action === "list" ? [arg, ...extra] : extra).some((a) => a !== undefined)) {
      problems.push(
        `unexpected arguments: ${(action === "list" ? rest.slice(1) : extra).join(" ")}`,
      );
    } else license = { action, ...(arg === undefined ? {} : { arg }) };
  } else if (command === "user" || command === "token") {
    if (rest.length === 0) problems.push(`${command}: expected a subcommand (see --help)`);
  } else if (rest.length > 0) problems.push(`unexpected arguments: ${rest.join(" ")}`);
  const adminPassword = env.TAPLINE_ADMIN_PASSWORD || undefined;
  const weak = adminPassword === undefined ? undefined : passwordProblem(adminPassword);
  if (weak) problems.push(`TAPLINE_ADMIN_PASSWORD: ${weak}`);
  const adminUser = env.TAPLINE_ADMIN_USER?.trim() || "admin";
  const trustRaw = (env.TAPLINE_TRUST_PROXY ?? "false").trim().toLowerCase();
  if (!["true", "false", "1", "0", ""].includes(trustRaw)) {
    problems.push("TAPLINE_TRUST_PROXY: expected true or false");
  }
  const sessionHours = intIn(
    env.TAPLINE_SESSION_HOURS ?? "12",
    "TAPLINE_SESSION_HOURS",
    [1, 720],
    problems,
  );
  const idleMinutes = intIn(
    env.TAPLINE_SESSION_IDLE_MINUTES ?? "60",
    "TAPLINE_SESSION_IDLE_MINUTES",
    [5, 1440],
    problems,
  );
  const licenseKeys = env.TAPLINE_LICENSE_KEYS?.trim()
    ? env.TAPLINE_LICENSE_KEYS.split(",").map((k) => k.trim()).filter((k) => k !== "")
    : undefined;

  const port = intIn(values.port ?? env.TAPLINE_PORT ?? "8080", "port", [0, 65535], problems);
  const partitionsAhead = intIn(
    env.TAPLINE_PARTITIONS_AHEAD ?? "3",
    "TAPLINE_PARTITIONS_AHEAD",
    [0, 366],
    problems,
  );
  const maxBatchBytes = intIn(
    env.TAPLINE_MAX_BATCH_BYTES ?? String(32 * 1024 * 1024),
    "TAPLINE_MAX_BATCH_BYTES",
    [1024, 1024 ** 3],
    problems,
  );
  const ingest = {
    concurrency: intIn(
      env.TAPLINE_INGEST_CONCURRENCY ?? "4",
      "TAPLINE_INGEST_CONCURRENCY",
      [1, 64],
      problems,
    ),
    waiting: intIn(env.TAPLINE_INGEST_QUEUE ?? "16", "TAPLINE_INGEST_QUEUE", [0, 10_000], problems),
  };
  const retention: RetentionSettings = {
    seqDays: intIn(
      env.TAPLINE_RETENTION_SEQ_DAYS ?? "7",
      "TAPLINE_RETENTION_SEQ_DAYS",
      [1, 3650],
      problems,
    ),
  };
  for (const table of Object.keys(RETENTION_DEFAULTS) as PartitionedTable[]) {
    const name = `TAPLINE_RETENTION_${table.toUpperCase()}`;
    const defaults = RETENTION_DEFAULTS[table];
    retention[table] = {
      days: intIn(
        env[`${name}_DAYS`] ?? String(defaults.days),
        `${name}_DAYS`,
        [0, 36_500],
        problems,
      ),
      bytes: intIn(
        env[`${name}_BYTES`] ?? String(defaults.bytes),
        `${name}_BYTES`,
        [0, Number.MAX_SAFE_INTEGER],
        problems,
      ),
    };
  }
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push("DATABASE_URL: expected a postgres:// or postgresql:// URL");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    command,
    ...(license ? { license } : {}),
    ...(command === "user" || command === "token"
      ? {
        account: {
          args: rest,
          role: values.role,
          scope: values.scope,
          user: values.user,
          name: values.name,
          ttlHours: values["ttl-hours"],
          passwordStdin: values["password-stdin"] ?? false,
        },
      }
      : {}),
    access: {
      adminUser,
      adminPassword,
      trustProxy: trustRaw === "true" || trustRaw === "1",
      sessionTtlMs: sessionHours * 3_600_000,
      sessionIdleMs: idleMinutes * 60_000,
    },
    licenseKeys,
    host: values.host ?? env.TAPLINE_HOST ?? "127.0.0.1",
    port,
    databaseUrl,
    dataDir: values["data-dir"] ?? env.TAPLINE_DATA_DIR ?? "data/manager",
    partitionsAhead,
    maxBatchBytes,
    ingest,
    retention,
  };
}
