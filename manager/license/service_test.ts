import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openTestDatabase, testEngines } from "../../tests/support/db.ts";
import { issueTestLicense } from "../../tests/support/license.ts";
import { LicenseError } from "./document.ts";
import { DEV_PUBLIC_KEY_PATH, generateKeyPair, importPrivateKey, loadTrustedKeys } from "./keys.ts";
import {
  type LicenseActor,
  type LicenseAuditEntry,
  type LicenseEvent,
  LicenseService,
} from "./service.ts";
import { DAY_MS } from "./state.ts";

const ADMIN: LicenseActor = { kind: "user", id: 1, name: "alice", ip: "127.0.0.1" };

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LicenseError, String(err));
    return `${err.reason}: ${err.message}`;
  }
  return "accepted";
}

for (const engine of testEngines()) {
  Deno.test(`LicenseService (${engine}): install, list, refuse, remove, notices`, async (t) => {
    const tdb = await openTestDatabase(engine);
    const { database } = tdb;
    let now = Date.parse("2026-11-25T12:00:00Z");
    const audit: [LicenseActor, LicenseAuditEntry, boolean][] = [];
    const events: LicenseEvent[] = [];
    const service = new LicenseService({
      database,
      keys: loadTrustedKeys([DEV_PUBLIC_KEY_PATH]),
      now: () => now,
      cacheMs: 0,
      audit: (actor, entry, tx) => {
        audit.push([actor, entry, tx !== undefined]);
        return Promise.resolve();
      },
    });
    service.subscribe((e) => events.push(e));
    try {
      const net = await issueTestLicense({
        id: "NET-1",
        modules: ["network_monitoring"],
        now,
        days: 40,
        appliances: 2,
      });

      await t.step(
        "install stores the license, audits it in the transaction, emits an event",
        async () => {
          assert.equal((await service.state()).enabled.size, 0);
          await service.install(net.text, ADMIN);
          const state = await service.state();
          assert.deepEqual([...state.enabled], ["network_monitoring"]);
          assert.equal(state.limits.appliances, 2);
          const [entry] = await service.list();
          assert.equal(entry?.license.id, "NET-1");
          assert.equal(entry?.installedBy, "alice");
          assert.equal(entry?.document, net.text);
          assert.equal(audit.length, 1);
          assert.equal(audit[0]![1].action, "license.install");
          assert.equal(audit[0]![2], true, "written inside the install transaction");
          assert.equal((audit[0]![1].after as { id: string }).id, "NET-1");
          assert.equal("signature" in (audit[0]![1].after as object), false);
          assert.equal(events[0]?.type, "license.installed");
        },
      );

      await t.step("each refusal names its reason and stores nothing", async () => {
        assert.match(
          await refused(service.install(net.text, ADMIN)),
          /^duplicate: license NET-1 is already installed/,
        );
        const foreignKey = await importPrivateKey((await generateKeyPair()).privatePem, "other");
        const foreign = await issueTestLicense({ id: "X-1", now, key: foreignKey });
        assert.match(await refused(service.install(foreign.text, ADMIN)), /^untrusted_key/);
        const changed = net.text.replace('"appliances": 2', '"appliances": 20').replace(
          "NET-1",
          "NET-2",
        );
        assert.match(
          await refused(service.install(changed, ADMIN)),
          /^bad_signature: license NET-2/,
        );
        const future = await issueTestLicense({ id: "F-1", now, notBefore: now + 2 * DAY_MS });
        assert.match(await refused(service.install(future.text, ADMIN)), /^not_yet_valid/);
        const past = await issueTestLicense({
          id: "P-1",
          now,
          notBefore: now - 60 * DAY_MS,
          days: 30,
        });
        assert.match(await refused(service.install(past.text, ADMIN)), /^expired/);
        assert.match(await refused(service.install("{", ADMIN)), /^malformed/);
        assert.equal((await service.list()).length, 1);
        assert.equal(audit.length, 1);
      });

      await t.step(
        "a stored row edited in the database grants nothing and is flagged",
        async () => {
          const other = await issueTestLicense({ id: "DB-1", modules: ["db_monitoring"], now });
          await service.install(other.text, ADMIN);
          assert.ok((await service.state()).enabled.has("db_monitoring"));
          const forged = other.text.replace('"db_monitoring"', '"log_monitoring"');
          await database.rows(sql`update license set document = ${forged} where id = 'DB-1'`);
          const state = await service.state();
          assert.equal(state.enabled.has("db_monitoring"), false);
          assert.equal(state.enabled.has("log_monitoring"), false);
          const flagged = (await service.list()).find((l) => l.license.id === "DB-1");
          assert.match(flagged?.invalid ?? "", /signature does not match/);
          assert.deepEqual(flagged?.license.modules, []);
        },
      );

      await t.step(
        "remove deletes, audits the state before, and is refused for an unknown id",
        async () => {
          const removed = await service.remove("DB-1", ADMIN);
          assert.equal(removed.id, "DB-1");
          assert.equal(audit.at(-1)![1].action, "license.remove");
          assert.equal(events.at(-1)?.type, "license.removed");
          assert.match(
            await refused(service.remove("DB-1", ADMIN)),
            /^not_found: no installed license with id "DB-1"/,
          );
          assert.deepEqual((await service.list()).map((l) => l.license.id), ["NET-1"]);
        },
      );

      await t.step(
        "announceNotices() sends each expiry notice once, as an event and an audit entry",
        async () => {
          assert.deepEqual(await service.announceNotices(), []);
          now += 11 * DAY_MS; // 29 days left
          const first = await service.announceNotices();
          assert.deepEqual(first.map((n) => [n.kind, n.modules]), [["expires_in_30d", [
            "network_monitoring",
          ]]]);
          assert.deepEqual(await service.announceNotices(), []);
          now += 23 * DAY_MS; // 6 days left
          assert.deepEqual((await service.announceNotices()).map((n) => n.kind), ["expires_in_7d"]);
          now += 5.5 * DAY_MS;
          assert.deepEqual((await service.announceNotices()).map((n) => n.kind), ["expires_in_1d"]);
          now += DAY_MS; // in grace
          assert.deepEqual((await service.announceNotices()).map((n) => n.kind), ["grace"]);
          assert.equal((await service.state()).enabled.has("network_monitoring"), true);
          now += 7 * DAY_MS; // grace over
          assert.deepEqual((await service.announceNotices()).map((n) => n.kind), ["disabled"]);
          assert.equal((await service.state()).enabled.has("network_monitoring"), false);
          const notices = audit.filter(([, e]) => e.action === "license.notice");
          assert.equal(notices.length, 5);
          assert.equal(notices[0]![0].kind, "system");
          assert.equal(events.filter((e) => e.type === "license.warning").length, 5);
          // A second service (another manager, or after a restart) does not repeat them.
          const again = new LicenseService({
            database,
            keys: service.keys(),
            now: () => now,
            cacheMs: 0,
          });
          assert.deepEqual(await again.announceNotices(), []);
        },
      );

      await t.step("an expired module comes back when a valid license is installed", async () => {
        const renewal = await issueTestLicense({
          id: "NET-2",
          modules: ["network_monitoring"],
          now,
        });
        await service.install(renewal.text, ADMIN);
        assert.equal((await service.state()).enabled.has("network_monitoring"), true);
      });
    } finally {
      await tdb.dispose();
    }
  });
}
