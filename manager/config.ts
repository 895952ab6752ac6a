import { parseArgs } from "node:util";

/** Everything the manager reads from its environment and command line, validated once. */
export interface ManagerConfig {
  command: "serve" | "migrate" | "help";
  host: string;
  port: number;
  /** postgres:// URL; unset means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Daily partitions created ahead of today. */
  partitionsAhead: number;
  /** Largest accepted report batch, bytes. */
  maxBatchBytes: number;
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

options:
  --port N        listen port (env TAPLINE_PORT, default 8080; 0 picks a free port)
  --host ADDR     listen address (env TAPLINE_HOST, default 127.0.0.1)
  --data-dir DIR  PGlite data folder when DATABASE_URL is unset (env TAPLINE_DATA_DIR, default data/manager)
  -h, --help      show this help

environment:
  DATABASE_URL              postgres://user:pass@host:port/db — use PostgreSQL instead of PGlite
  TAPLINE_PARTITIONS_AHEAD  daily flow-log partitions created ahead of today (default 3)
  TAPLINE_MAX_BATCH_BYTES   largest accepted report batch in bytes (default 33554432)`;

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
  else problems.push(`unknown command ${JSON.stringify(first)} (expected serve or migrate)`);
  if (rest.length > 0) problems.push(`unexpected arguments: ${rest.join(" ")}`);

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
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push("DATABASE_URL: expected a postgres:// or postgresql:// URL");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    command,
    host: values.host ?? env.TAPLINE_HOST ?? "127.0.0.1",
    port,
    databaseUrl,
    dataDir: values["data-dir"] ?? env.TAPLINE_DATA_DIR ?? "data/manager",
    partitionsAhead,
    maxBatchBytes,
  };
}
