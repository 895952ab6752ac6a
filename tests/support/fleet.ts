/**
 * Enrolled appliances for tests (fleet_contract.md). `enrollTestAppliance()` creates a one-time
 * enrollment token and exchanges it over HTTP, exactly as an appliance does, against either an
 * in-process app (`app.request()`, token made straight in its database) or a running manager
 * (token made through the admin API after signing in with TEST_ADMIN_PASSWORD).
 *
 * ```ts
 * const { applianceId, credential, headers } = await enrollTestAppliance({ app, database });
 * await app.request("/api/v1/ingest", cborRequest(flowBatch(records, { appliance: applianceId }), headers));
 * const remote = await enrollTestAppliance({ url: manager.url }); // a spawned `manager serve`
 * ```
 */
import type { Hono } from "hono";
import type { Database } from "../../manager/db/mod.ts";
import { AuditLog } from "../../manager/auth/mod.ts";
import { FleetService } from "../../manager/fleet/mod.ts";
import { DEV_PUBLIC_KEY_PATH, LicenseService, loadTrustedKeys } from "../../manager/license/mod.ts";
import { adminApiHeaders, signInOverHttp, type TestSession } from "./auth.ts";
import { issueTestLicense } from "./license.ts";

export interface TestAppliance {
  applianceId: string;
  /** The appliance credential (`tpla_…`). */
  credential: string;
  name: string;
  managerKey: { id: string; publicKey: string };
  /** `Authorization: Bearer <credential>`, to spread into a request's headers. */
  headers: Record<string, string>;
}

export type EnrollTarget =
  /** An in-process app and its database (the token is created in the database). */
  | { app: { request: Hono["request"] }; database: Database }
  /** A running manager; `session` defaults to signing in as admin with TEST_ADMIN_PASSWORD. */
  | { url: string; session?: TestSession };

export interface EnrollOptions {
  name?: string;
  hostname?: string;
  version?: string;
  /**
   * When the license's appliance limit refuses the enrollment, install a test license (all
   * modules, 100 appliances) through the license API and enroll again. Default true; tests of
   * the limit itself pass false.
   */
  license?: boolean;
}

let counter = 0;

/** A one-time enrollment token (`tple_…`) for the target. */
export async function createEnrollmentToken(
  target: EnrollTarget,
  options: { ttlHours?: number; note?: string } = {},
): Promise<string> {
  if ("app" in target) {
    const audit = new AuditLog(target.database).record;
    const licenses = new LicenseService({
      database: target.database,
      keys: loadTrustedKeys([DEV_PUBLIC_KEY_PATH]),
    });
    const fleet = new FleetService({ database: target.database, licenses, audit });
    const { token } = await fleet.createEnrollmentToken(
      { kind: "system", name: "test" },
      options,
    );
    return token;
  }
  const session = target.session ?? await signInOverHttp(target.url);
  const res = await fetch(`${target.url}/api/v1/appliances/enrollment-tokens`, {
    method: "POST",
    headers: session.headers({ "content-type": "application/json" }),
    body: JSON.stringify(options),
  });
  const body = await res.json();
  if (res.status !== 201) {
    throw new Error(`creating an enrollment token failed: HTTP ${res.status} ${body.error}`);
  }
  return body.token as string;
}

/**
 * Enrolls a new appliance over HTTP (`POST /api/v1/appliances/enroll`) and returns its id and
 * credential. The manager's license must allow one more appliance (tests install one, e.g.
 * with tests/support/license.ts); otherwise this throws with the manager's 403 message.
 */
export async function enrollTestAppliance(
  target: EnrollTarget,
  options: EnrollOptions = {},
): Promise<TestAppliance> {
  const first = await tryEnroll(target, options);
  if (first.status !== 403 || options.license === false) return appliance(first);
  await installLicenseOver(target);
  return appliance(await tryEnroll(target, options));
}

function appliance(res: { status: number; answer: Record<string, unknown> }): TestAppliance {
  const { status, answer } = res;
  if (status !== 201) throw new Error(`enrollment failed: HTTP ${status} ${answer.error}`);
  return {
    applianceId: answer.applianceId as string,
    credential: answer.credential as string,
    name: answer.name as string,
    managerKey: answer.managerKey as TestAppliance["managerKey"],
    headers: { authorization: `Bearer ${answer.credential}` },
  };
}

/** Installs a test license through the target's own API (so that its license cache is reset). */
async function installLicenseOver(target: EnrollTarget): Promise<void> {
  const { text } = await issueTestLicense({ appliances: 100 });
  const init = (headers: Record<string, string>) => ({
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: text,
  });
  const res = "app" in target
    ? await target.app.request(
      "http://manager/api/v1/licenses",
      init(await adminApiHeaders(target.database)),
    )
    : await fetch(
      `${target.url}/api/v1/licenses`,
      init((target.session ?? await signInOverHttp(target.url)).headers()),
    );
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`installing a test license failed: HTTP ${res.status} ${await res.text()}`);
  }
  await res.body?.cancel();
}

async function tryEnroll(
  target: EnrollTarget,
  options: EnrollOptions,
): Promise<{ status: number; answer: Record<string, unknown> }> {
  const token = await createEnrollmentToken(target);
  const n = ++counter;
  const body = JSON.stringify({
    token,
    hostname: options.hostname ?? `test-appliance-${n}`,
    version: options.version ?? "0.0.0-test",
    ...(options.name === undefined ? {} : { name: options.name }),
  });
  const init = { method: "POST", headers: { "content-type": "application/json" }, body };
  const res = "app" in target
    ? await target.app.request("http://manager/api/v1/appliances/enroll", init)
    : await fetch(`${target.url}/api/v1/appliances/enroll`, init);
  return { status: res.status, answer: await res.json() };
}
