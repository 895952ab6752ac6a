/**
 * The appliance's identity: enrollment exchanges a one-time token for the appliance's own
 * credential, kept in `identity.json` (mode 0600) with the manager's pinned public key.
 */
import { readJsonFile, writeJsonDurable } from "../spool/mod.ts";
import { AgentError } from "./errors.ts";

export const APPLIANCE_VERSION = "0.4.0";
export const ENROLL_PATH = "/api/v1/appliances/enroll";

export interface Identity {
  manager: string;
  applianceId: string;
  /** `tpla_…`: shown to nobody, sent as `Authorization: Bearer`. */
  credential: string;
  name: string;
  /** The manager's Ed25519 key that signs this appliance's entitlements (SPKI PEM). */
  managerKey: { id: string; publicKey: string };
  /** ISO 8601. */
  enrolledAt: string;
}

export function identityPath(stateDir: string): string {
  return `${stateDir}/identity.json`;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The identity's problem, or undefined when it is usable. */
function identityProblem(x: unknown): string | undefined {
  if (!isObject(x)) return "not a JSON object";
  for (const key of ["manager", "applianceId", "credential", "name", "enrolledAt"]) {
    if (typeof x[key] !== "string" || x[key] === "") return `${key}: missing`;
  }
  const key = x.managerKey;
  if (!isObject(key) || typeof key.id !== "string" || typeof key.publicKey !== "string") {
    return "managerKey: missing";
  }
  return undefined;
}

/** The enrolled identity; undefined when not enrolled; throws AgentError when damaged. */
export async function loadIdentity(stateDir: string): Promise<Identity | undefined> {
  const path = identityPath(stateDir);
  let raw: unknown;
  try {
    raw = await readJsonFile(path);
  } catch (err) {
    throw new AgentError(`${path} is not readable JSON (${(err as Error).message})`);
  }
  if (raw === undefined) return undefined;
  const problem = identityProblem(raw);
  if (problem) throw new AgentError(`${path} is damaged: ${problem}; enroll again`);
  return raw as Identity;
}

export interface EnrollOptions {
  manager: string;
  token: string;
  name?: string;
  stateDir: string;
  hostname: string;
  fetch?: typeof fetch;
}

/**
 * `POST /api/v1/appliances/enroll`, then writes identity.json with mode 0600. Throws AgentError
 * with the manager's message on refusal (401 token, 403 licence limit) or when unreachable.
 */
export async function enroll(options: EnrollOptions): Promise<Identity> {
  const manager = options.manager.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(`${manager}${ENROLL_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        token: options.token,
        ...(options.name === undefined ? {} : { name: options.name }),
        hostname: options.hostname,
        version: APPLIANCE_VERSION,
      }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    let message = (err as Error).message;
    for (let c = (err as Error).cause; c instanceof Error; c = c.cause) message += `: ${c.message}`;
    throw new AgentError(
      `cannot reach the manager at ${manager}: ${
        /connection refused/i.test(message) ? "connection refused" : message
      }`,
      { cause: err },
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status !== 201 && response.status !== 200) {
    const message = isObject(body) && typeof body.error === "string" ? body.error : text.trim();
    throw new AgentError(
      `the manager refused the enrollment (HTTP ${response.status})${
        message ? `: ${message}` : ""
      }`,
    );
  }
  if (
    !isObject(body) || typeof body.applianceId !== "string" ||
    typeof body.credential !== "string" || !isObject(body.managerKey)
  ) {
    throw new AgentError(
      `the manager's enrollment answer is not understood: ${text.slice(0, 200)}`,
    );
  }
  const identity: Identity = {
    manager,
    applianceId: body.applianceId,
    credential: body.credential,
    name: typeof body.name === "string" ? body.name : options.name ?? options.hostname,
    managerKey: {
      id: String(body.managerKey.id),
      publicKey: String(body.managerKey.publicKey),
    },
    enrolledAt: new Date().toISOString(),
  };
  await Deno.mkdir(options.stateDir, { recursive: true });
  await writeJsonDurable(identityPath(options.stateDir), identity, { mode: 0o600 });
  return identity;
}
