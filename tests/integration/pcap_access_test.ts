// Who may read stored packets, in process: the license (network_monitoring) and the role
// (operator: packets carry payloads); bad parameters named; an offline appliance said at once.
import assert from "node:assert/strict";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import { PcapChannel, PcapService } from "../../manager/pcap/mod.ts";
import { createTestUser, sessionFor, tokenFor } from "../support/auth.ts";
import { openTestDatabase } from "../support/db.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { installTestLicense } from "../support/license.ts";

Deno.test("PCAP analysis routes: 403 without the license or below operator, 400/404 for bad ids, 503 offline", async () => {
  const { database, dispose } = await openTestDatabase("pglite");
  try {
    const auth = createAuth(database);
    const pcap = new PcapService({ channel: new PcapChannel(), tsharkPath: "/nonexistent/tshark" });
    // The license state is cached per app: one app before the license, one after.
    const makeApp = () =>
      createApp({
        auth,
        database,
        partitions: new PartitionManager(database),
        maxBatchBytes: 1024,
        pageSize: 50,
        pcap,
      });
    const operator = await createTestUser(auth, "operator");
    const viewer = await sessionFor(auth, (await createTestUser(auth, "viewer")).id);
    const op = await sessionFor(auth, operator.id);
    const readToken = await tokenFor(auth, operator, "read");
    await installTestLicense(database, { modules: ["call_monitoring"] });
    const locked = await makeApp().request("/api/v1/pcap/sessions?appliance=x", {
      headers: op.headers(),
    });
    assert.equal(locked.status, 403);
    assert.match(await locked.text(), /module network_monitoring is not licensed/);

    await installTestLicense(database, { modules: ["network_monitoring"] });
    const app = makeApp();
    const { applianceId, headers: applianceHeaders } = await enrollTestAppliance({ app, database });
    const q = `appliance=${applianceId}`;
    for (
      const path of [
        `/pcap/analysis?${q}`,
        `/api/v1/pcap/sessions?${q}`,
        `/api/v1/pcap/download?${q}`,
      ]
    ) {
      const res = await app.request(path, { headers: viewer.headers() });
      const text = await res.text();
      assert.equal(res.status, 403, `viewer: ${path}`);
      assert.doesNotMatch(text, /not licensed/);
    }
    // An appliance credential reads no packets, not even its own, through the user API.
    const asAppliance = await app.request(`/api/v1/pcap/sessions?${q}`, {
      headers: applianceHeaders,
    });
    assert.ok([401, 403].includes(asAppliance.status), String(asAppliance.status));
    await asAppliance.body?.cancel();

    const offline = await app.request(`/api/v1/pcap/sessions?${q}`, { headers: readToken.headers });
    assert.equal(offline.status, 503);
    assert.match(await offline.text(), /is offline/);
    const page = await app.request(`/pcap/analysis?${q}`, { headers: op.headers() });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /id="pcap-message"[^>]*>appliance [0-9a-f-]+ is offline/);
    assert.match(
      html,
      /href="\/pcap\/analysis"[^>]*aria-current="page"/,
      "the nav entry is live and current",
    );
    const empty = await (await app.request("/pcap/analysis", { headers: op.headers() })).text();
    assert.match(empty, /Choose an appliance/);
    const errors = await (await app.request("/pcap/analysis?appliance=..%2Fx&port0=x", {
      headers: op.headers(),
    })).text();
    assert.match(errors, /expected an appliance id \(a UUID\)/);
    assert.match(errors, /expected a port 0-65535/);

    for (
      const [path, status] of [
        ["/api/v1/pcap/sessions?appliance=../../etc", 400],
        [`/api/v1/pcap/sessions?appliance=${crypto.randomUUID()}`, 404],
        [`/api/v1/pcap/sequence?${q}&proto=udp&ip0=10.0.0.1&port0=1&ip1=10.0.0.2&port1=2`, 400],
        [`/api/v1/pcap/stream?${q}`, 400],
      ] as const
    ) {
      const res = await app.request(path, { headers: op.headers() });
      assert.equal(res.status, status, `${path}: ${await res.text()}`);
    }
    // The task routes take appliance credentials only, and a UUID.
    const userPoll = await app.request("/api/v1/appliances/self/tasks?wait=0", {
      headers: op.headers(),
    });
    assert.ok(userPoll.status === 401 || userPoll.status === 403, String(userPoll.status));
    await userPoll.body?.cancel();
    const badWait = await app.request("/api/v1/appliances/self/tasks?wait=999", {
      headers: applianceHeaders,
    });
    assert.equal(badWait.status, 400);
    await badWait.body?.cancel();
    const unknown = await app.request(
      `/api/v1/appliances/self/tasks/${crypto.randomUUID()}/result`,
      {
        method: "POST",
        headers: { ...applianceHeaders, "content-type": "application/x-pcapng" },
        body: new Uint8Array(4),
      },
    );
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const badType = await app.request(
      `/api/v1/appliances/self/tasks/${crypto.randomUUID()}/result`,
      {
        method: "POST",
        headers: { ...applianceHeaders, "content-type": "text/plain" },
        body: "x",
      },
    );
    assert.equal(badType.status, 415);
    await badType.body?.cancel();
  } finally {
    await dispose();
  }
});
