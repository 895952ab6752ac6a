import assert from "node:assert/strict";
import { decode } from "cbor-x";
import { openCapture } from "../capture/mod.ts";
import { parsePcapPolicy, type PcapPolicy, storeFile } from "../pcapstore/mod.ts";
import type { PcapFlowSummary } from "../wire/mod.ts";
import { runPcapTask } from "./tasks.ts";

// The shared corpus beside the repository (`../shared`).
const HTTP =
  new URL("../../../shared/corpus/pcaps/zeek/http/get-gzip.pcap", import.meta.url).pathname;
const haveCorpus = (() => {
  try {
    return Deno.statSync(HTTP).isFile;
  } catch {
    return false;
  }
})();

function packetsOf(bytes: Uint8Array): { flags: number }[] {
  const source = openCapture(bytes);
  const out: { flags: number }[] = [];
  while (source.next()) out.push({ flags: source.packet.data[14 + 20 + 13]! });
  return out;
}

Deno.test({
  name:
    "runPcapTask() searches the index and extracts packets, filtered by libpcap on the appliance and limited",
  ignore: !haveCorpus,
  fn: async () => {
    const stateDir = await Deno.makeTempDir({ prefix: "tapline-tasks-" });
    try {
      const none = await runPcapTask(stateDir, {
        id: crypto.randomUUID(),
        kind: "search",
        query: {},
      });
      assert.match(new TextDecoder().decode(none.body), /no stored packets/);
      const policy = (parsePcapPolicy({ id: "web" }) as { ok: true; policy: PcapPolicy }).policy;
      await storeFile(HTTP, `${stateDir}/pcap`, { policies: [policy] });

      const search = await runPcapTask(stateDir, {
        id: crypto.randomUUID(),
        kind: "search",
        query: { port: 80 },
      });
      assert.equal(search.contentType, "application/cbor");
      const { flows } = decode(search.body) as { flows: PcapFlowSummary[] };
      assert.equal(flows.length, 1);
      assert.deepEqual([flows[0]!.packets, flows[0]!.policy, flows[0]!.protocol], [14, "web", 6]);

      const otherPolicy = await runPcapTask(stateDir, {
        id: crypto.randomUUID(),
        kind: "search",
        query: { policy: "dns" },
      });
      assert.deepEqual(decode(otherPolicy.body), { flows: [] });

      const all = await runPcapTask(stateDir, {
        id: crypto.randomUUID(),
        kind: "extract",
        query: { port: 80 },
      });
      assert.equal(all.contentType, "application/x-pcapng");
      assert.equal(packetsOf(all.body).length, 14);
      assert.deepEqual(all.headers, { "x-tapline-packets": "14", "x-tapline-truncated": "false" });

      const fins = await runPcapTask(stateDir, {
        id: crypto.randomUUID(),
        kind: "extract",
        query: { port: 80, filter: "tcp[tcpflags] & tcp-fin != 0" },
      });
      const got = packetsOf(fins.body);
      assert.equal(got.length, 3, "frames 10, 11 and 12 carry FIN");
      assert.ok(got.every((p) => (p.flags & 1) === 1));

      const limited = await runPcapTask(stateDir, {
        id: crypto.randomUUID(),
        kind: "extract",
        query: { limit: 5 },
      });
      assert.equal(packetsOf(limited.body).length, 5);
      assert.equal(limited.headers["x-tapline-truncated"], "true");

      const bad = await runPcapTask(stateDir, {
        id: crypto.randomUUID(),
        kind: "extract",
        query: { filter: "tcp port" },
      });
      assert.equal(bad.contentType, "application/json");
      assert.match(new TextDecoder().decode(bad.body), /"error":"filter: /);
      // Nothing is left behind in the state folder.
      assert.deepEqual([...Deno.readDirSync(stateDir)].map((e) => e.name), ["pcap"]);
    } finally {
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
