// Without tshark on the manager: the built-in decoder lists and decodes the packets and the page
// says the full decoder is unavailable. The manager app is served over real HTTP in this process
// and the agent's own task loop (appliance/agent/tasks.ts) answers from a real store.
import assert from "node:assert/strict";
import { createApp } from "../../manager/app.ts";
import { createAuth } from "../../manager/auth/mod.ts";
import { PartitionManager } from "../../manager/db/mod.ts";
import { PcapChannel, PcapService } from "../../manager/pcap/mod.ts";
import { pcapTaskLoop } from "../../appliance/agent/mod.ts";
import { parsePcapPolicy, type PcapPolicy, storeFile } from "../../appliance/pcapstore/mod.ts";
import { createTestUser, sessionFor } from "../support/auth.ts";
import { openTestDatabase } from "../support/db.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { installTestLicense } from "../support/license.ts";
import { corpusAvailable, corpusPath } from "../tools/corpus.ts";

Deno.test({
  name: "PCAP analysis without tshark: built-in packet list and decode tree, and the page says so",
  ignore: !corpusAvailable(),
  fn: async () => {
    const { database, dispose } = await openTestDatabase("pglite");
    const stateDir = await Deno.makeTempDir({ prefix: "tapline-pcap-builtin-" });
    const stop = new AbortController();
    let server: Deno.HttpServer<Deno.NetAddr> | undefined;
    let loop: Promise<void> | undefined;
    try {
      const auth = createAuth(database);
      await installTestLicense(database, { modules: ["network_monitoring"] });
      const pcap = new PcapService({
        channel: new PcapChannel(),
        tsharkPath: "/nonexistent/tshark",
      });
      const app = createApp({
        auth,
        database,
        partitions: new PartitionManager(database),
        maxBatchBytes: 1024,
        pageSize: 50,
        pcap,
      });
      server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
      const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
      const { applianceId, credential } = await enrollTestAppliance({ app, database });
      const policy = (parsePcapPolicy({ id: "web" }) as { ok: true; policy: PcapPolicy }).policy;
      await storeFile(corpusPath("zeek/http/get-gzip.pcap"), `${stateDir}/pcap`, {
        policies: [policy],
      });
      loop = pcapTaskLoop({
        manager: url,
        credential,
        stateDir,
        signal: stop.signal,
        log: () => {},
      });
      const op = await sessionFor(auth, (await createTestUser(auth, "operator")).id);
      const get = (path: string, extra: Record<string, string> = {}) =>
        fetch(`${url}${path}`, { headers: op.headers(extra) });
      const q =
        `appliance=${applianceId}&proto=tcp&ip0=141.142.228.5&port0=50153&ip1=54.243.118.187&port1=80`;

      const deadline = Date.now() + 10_000;
      let packets: { decoder: string; rows: Record<string, unknown>[] };
      for (;;) {
        const res = await get(`/api/v1/pcap/packets?${q}`);
        if (res.status === 200) {
          packets = await res.json();
          break;
        }
        await res.body?.cancel();
        if (Date.now() > deadline) throw new Error(`no answer: HTTP ${res.status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(packets.decoder, "built-in");
      assert.equal(packets.rows.length, 14);
      assert.deepEqual(packets.rows[3], {
        number: 4,
        source: "141.142.228.5",
        destination: "54.243.118.187",
        protocol: "HTTP",
        length: 145,
        info: "GET /gzip HTTP/1.1",
      });

      const page = await (await get(`/pcap/analysis?${q}`)).text();
      assert.match(
        page,
        /id="pcap-decoder-notice"[^>]*>tshark is not installed on the manager: the full \(Wireshark\) decoder is unavailable/,
      );
      assert.match(page, /Retransmission \[FIN, ACK\] Seq=80 Ack=344 Len=0/);

      const panel =
        await (await get(`/pcap/analysis/packet?${q}&packet=4`, { "hx-request": "true" })).text();
      assert.match(panel, /decoded by the built-in decoder/);
      assert.match(
        panel,
        /<summary class="pcap-field" data-start="14" data-len="20">Internet Protocol Version 4, Src: 141\.142\.228\.5/,
      );
      assert.match(panel, /data-start="26" data-len="4"[^>]*>Source Address: 141\.142\.228\.5</);
      assert.match(panel, /<span data-o="26">8d<\/span>/, "hex view byte 26 is 141 = 0x8d");
      const noJs = await get(`/pcap/analysis/packet?${q}&packet=4`);
      assert.equal(noJs.redirected, true, "without htmx the panel link goes to the page");
      assert.match(await noJs.text(), /id="pcap-detail" class="detail-panel is-open pcap-detail"/);

      const stream = await (await get(`/api/v1/pcap/stream?${q}&format=json`)).json();
      assert.deepEqual(
        stream.chunks.map((c: { fromLeft: boolean; bytes: number }) => [c.fromLeft, c.bytes]),
        [[true, 79], [false, 342]],
      );
    } finally {
      stop.abort();
      await loop;
      await server?.shutdown();
      await Deno.remove(stateDir, { recursive: true });
      await dispose();
    }
  },
});
