// The PCAP analysis page's Policy field is a select of the manager's PCAP policies (made through
// the API), keeping the asked policy selected; an id the manager does not know (a store filled
// on the appliance itself) stays selectable rather than being lost from the query.
import assert from "node:assert/strict";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import { PcapChannel, PcapService } from "../../manager/pcap/mod.ts";
import { createTestUser, jsonRequest, sessionFor, tokenFor } from "../support/auth.ts";
import { openTestDatabase, testEngines } from "../support/db.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { devLicenseService } from "../support/license.ts";

/** The <select name="policy"> of the page: its options as [value, label, selected]. */
function policySelect(html: string): [string, string, boolean][] {
  const select = /<select id="nm-policy" name="policy">(.*?)<\/select>/s.exec(html);
  assert.ok(select, "a select named policy");
  return [...select[1]!.matchAll(/<option value(?:="([^"]*)")?( selected)?>([^<]*)<\/option>/g)]
    .map(
      (m) => [m[1] ?? "", m[3]!, m[2] !== undefined],
    );
}

for (const engine of testEngines()) {
  Deno.test(`PCAP analysis page (${engine}): the Policy field selects among the PCAP policies`, async () => {
    const { database, dispose } = await openTestDatabase(engine);
    try {
      const auth = createAuth(database);
      const app = createApp({
        database,
        auth,
        licenses: devLicenseService(database),
        partitions: new PartitionManager(database),
        maxBatchBytes: 1024 * 1024,
        pageSize: 50,
        pcap: new PcapService({ channel: new PcapChannel(), tsharkPath: "/nonexistent/tshark" }),
      });
      const operator = await createTestUser(auth, "operator");
      const write = await tokenFor(auth, operator, "write");
      const { applianceId } = await enrollTestAppliance({ app, database });
      const ids: number[] = [];
      for (const body of [{ name: "web" }, { name: "dns", enabled: false }]) {
        const res = await app.request(
          "http://manager/api/v1/pcap/policies",
          jsonRequest("POST", body, write.headers),
        );
        assert.equal(res.status, 201, await res.clone().text());
        ids.push((await res.json()).id);
      }
      const session = await sessionFor(auth, operator.id);
      const page = async (query: string) => {
        const res = await app.request(`http://manager/pcap/analysis?${query}`, {
          headers: session.headers(),
        });
        assert.equal(res.status, 200);
        return await res.text();
      };

      const chosen = await page(`appliance=${applianceId}&policy=${ids[1]}`);
      assert.doesNotMatch(chosen, /<input[^>]*name="policy"/, "no free text");
      const options = policySelect(chosen);
      assert.deepEqual(options.map(([v]) => v).sort(), ["", String(ids[0]), String(ids[1])].sort());
      assert.deepEqual(options.find(([v]) => v === String(ids[0])), [String(ids[0]), "web", false]);
      assert.deepEqual(options.find(([v]) => v === String(ids[1])), [
        String(ids[1]),
        "dns (disabled)",
        true,
      ]);
      assert.deepEqual(options[0], ["", "Any", false]);
      assert.equal(policySelect(await page(`appliance=${applianceId}`))[0]![2], true, "Any");

      const local = policySelect(await page(`appliance=${applianceId}&policy=all`));
      assert.deepEqual(local.at(-1), ["all", "all (not a policy of this manager)", true]);
    } finally {
      await dispose();
    }
  });
}
