/**
 * PCAP policies end to end (issue #7): two policies made in Chromium on the PCAP policies page
 * reach a running `appliance run` agent capturing live on a veth in a network namespace; the
 * stored pcapng files open in tshark with the same packets as a `tcpdump` capture with the same
 * filter and snap length on the same interface; truncation holds; a small per-policy quota
 * evicts the oldest files and keeps the newest packets; the flows' flow-log rows come back with
 * `hasPcap` and the policy id, and the flow's detail panel links to its packets.
 */
import assert from "node:assert/strict";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import { browserCookies, managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { createScratchDatabase, POSTGRES_URL } from "../support/db.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { startManager } from "../support/procs.ts";
import { applianceIdOf, enrollWithCli } from "../support/appliance.ts";
import { eventually, labTest, NetLab, type Proc, run, words } from "../support/netlab.ts";

const DENO = Deno.execPath();
const HTTP_PORT = 8080;
const UDP_PORT = 9999;
const REQUESTS = 8;
const DATAGRAMS = 700;
const SNAP = 96;
const QUOTA = 300_000;

const serverCode = (ip: string) => `
Deno.serve({ hostname: "${ip}", port: ${HTTP_PORT}, onListen: () => console.log("serving") },
  () => new Response("x".repeat(500)));
`;

/** HTTP requests (one connection each), then numbered 1000-byte UDP datagrams, paced. */
const clientCode = (server: string, client: string) => `
for (let i = 0; i < ${REQUESTS}; i++) {
  const res = await fetch("http://${server}:${HTTP_PORT}/", { headers: { connection: "close" } });
  await res.text();
}
const udp = Deno.listenDatagram({ transport: "udp", hostname: "${client}", port: 0 });
for (let i = 0; i < ${DATAGRAMS}; i++) {
  const data = new Uint8Array(1000);
  new DataView(data.buffer).setUint32(0, i);
  await udp.send(data, { transport: "udp", hostname: "${server}", port: ${UDP_PORT} });
  if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
}
udp.close();
console.log("done");
`;

const FIELDS = [
  "frame.len",
  "frame.cap_len",
  "ip.src",
  "ip.dst",
  "ip.id",
  "tcp.srcport",
  "tcp.dstport",
  "tcp.seq_raw",
  "tcp.ack_raw",
  "tcp.flags",
];

/** One line per packet, as tshark reads the file. */
async function tsharkLines(path: string, fields = FIELDS): Promise<string[]> {
  const out = await run("tshark", [
    "-r",
    path,
    "-T",
    "fields",
    ...fields.flatMap((f) => ["-e", f]),
  ]);
  return out.split("\n").filter((l) => l !== "");
}

function pcapFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort().map((n) => `${dir}/${n}`);
}

labTest(
  "PCAP policies made in Chromium reach a live agent; stored files equal tcpdump's; quota evicts the oldest; flows get hasPcap",
  [CHROMIUM, "ip", "tcpdump", "tshark"],
  async (t) => {
    const lab = new NetLab("pc");
    const tmp = await Deno.makeTempDir({ prefix: "tapline-e2e-pcap-" });
    const scratch = POSTGRES_URL === undefined ? undefined : await createScratchDatabase();
    const env: Record<string, string> = scratch
      ? { DATABASE_URL: scratch.url }
      : { DATABASE_URL: "", TAPLINE_DATA_DIR: `${tmp}/manager` };
    const procs: Proc[] = [];
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    const browser = await launchChromium();
    try {
      await lab.setUp();
      await installLicenseWithCli(env, { modules: ["network_monitoring"] });
      manager = await startManager({ ...env, ...managerAuthEnv(), TAPLINE_HOST: lab.hostIp });
      const url = manager.url;
      const session = await signInOverHttp(url);
      // deno-lint-ignore no-explicit-any
      const api = async (path: string, init: RequestInit = {}): Promise<any> => {
        const res = await fetch(`${url}${path}`, {
          ...init,
          headers: session.headers({ "content-type": "application/json" }),
        });
        const body = await res.json();
        assert.ok(res.ok, `${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
        return body;
      };
      const stateDir = await enrollWithCli(url, `${tmp}/appliance`, {
        name: "pcap-agent",
        session,
      });
      const id = applianceIdOf(stateDir);
      await api(`/api/v1/appliances/${id}`, {
        method: "PATCH",
        body: JSON.stringify({
          capturePoints: [{ interface: lab.serverIf, observationPoint: "s", enabled: true }],
          reporting: { flushSeconds: 1, heartbeatSeconds: 1 },
        }),
      });
      const server = lab.exec(lab.server, DENO, ["eval", serverCode(lab.serverIp)]);
      procs.push(server);
      const agent = lab.exec(
        lab.server,
        DENO,
        words(`run -A --unstable-net appliance/main.ts run --state-dir ${stateDir}`),
      );
      procs.push(agent);
      await server.waitFor(/serving/);
      await agent.waitFor(new RegExp(`capturing on ${lab.serverIf}`), 30_000);

      const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
      await context.addCookies(browserCookies(url, session));
      const page = await context.newPage();
      await Deno.mkdir(OUTPUT, { recursive: true });
      const ids: Record<string, string> = {};

      await t.step("an admin makes two policies in the page (a refused filter first)", async () => {
        await page.goto(`${url}/pcap/policies`);
        await page.click("text=New policy");
        await page.fill("#pcap-name", "web");
        await page.fill("#pcap-capturePoints", lab.serverIf);
        await page.fill("#pcap-filter", "tcp port");
        await page.fill("#pcap-truncateBytes", String(SNAP));
        await page.click("text=Create policy");
        const error = await page.locator("#pcap-filter-error").innerText();
        assert.match(error, /libpcap cannot compile "\(tcp port\)": .*syntax error/);
        await page.screenshot({ path: `${OUTPUT}pcap_policy_form_error.png`, fullPage: true });
        await page.fill("#pcap-filter", `tcp port ${HTTP_PORT}`);
        await page.click("text=Create policy");
        await page.waitForURL(/\/pcap\/policies\/\d+\?notice=created/);
        ids.web = /\/pcap\/policies\/(\d+)/.exec(page.url())![1]!;
        await page.goto(`${url}/pcap/policies/new`);
        await page.fill("#pcap-name", "bulk");
        await page.selectOption("#pcap-match-protocol", "udp");
        await page.fill("#pcap-match-port", String(UDP_PORT));
        await page.fill("#pcap-quotaBytes", String(QUOTA));
        await page.screenshot({ path: `${OUTPUT}pcap_policy_form.png`, fullPage: true });
        await page.click("text=Create policy");
        await page.waitForURL(/\/pcap\/policies\/\d+\?notice=created/);
        ids.bulk = /\/pcap\/policies\/(\d+)/.exec(page.url())![1]!;
      });

      await t.step("the policies reach the agent", async () => {
        await agent.waitFor(/PCAP store \S+: 2 enabled policies/, 15_000);
      });

      const reference = `${tmp}/reference.pcap`;
      await t.step("live traffic is captured by the agent and by tcpdump", async () => {
        const tcpdump = lab.exec(lab.server, "tcpdump", [
          "-i",
          lab.serverIf,
          "-s",
          String(SNAP),
          "-U",
          "-w",
          reference,
          `tcp port ${HTTP_PORT}`,
        ]);
        procs.push(tcpdump);
        await tcpdump.waitFor(/listening on/);
        const client = lab.exec(lab.client, DENO, [
          "eval",
          "--unstable-net",
          clientCode(lab.serverIp, lab.clientIp),
        ]);
        procs.push(client);
        assert.equal((await client.exited()).code, 0, client.output());
        await new Promise((r) => setTimeout(r, 1000));
        await tcpdump.stop("SIGINT");
        assert.match(tcpdump.output(), /0 packets dropped by kernel/);
      });

      await t.step("the flows' rows get hasPcap and the page shows what is stored", async () => {
        // Rows come when their minute ends, the index when the policy's file rotates (60 s).
        const rows = await eventually("hasPcap on the HTTP flows", 120_000, async () => {
          const body = await api(`/api/v1/flows?pageSize=100&port=${HTTP_PORT}`);
          // deno-lint-ignore no-explicit-any
          const http = body.rows.filter((r: any) => r.serverPort === HTTP_PORT);
          const marked = http.filter((r: { hasPcap: boolean }) => r.hasPcap);
          return marked.length >= REQUESTS ? http : undefined;
        }).catch((err) => {
          throw new Error(`${err.message}\nagent:\n${agent.output()}`);
        });
        for (const r of rows) assert.deepEqual(r.pcapPolicies, [ids.web]);
        const list = await api("/api/v1/pcap/policies");
        // deno-lint-ignore no-explicit-any
        const web = list.policies.find((p: any) => String(p.id) === ids.web);
        assert.ok(web.stored.packets >= REQUESTS * 7, JSON.stringify(web.stored));
        await page.goto(`${url}/pcap/policies`);
        const stored = await page.locator(`tr[data-policy="${ids.web}"] .stored-packets`)
          .innerText();
        assert.equal(stored, String(web.stored.packets));
        await page.screenshot({ path: `${OUTPUT}pcap_policies_list.png`, fullPage: true });
        const key = `${rows[0].appliance}:${rows[0].time}:${rows[0].id}`;
        await page.goto(`${url}/flows?port=${HTTP_PORT}&flow=${encodeURIComponent(key)}`);
        const link = page.locator("#flow-detail a", { hasText: "Packets" });
        const href = await link.getAttribute("href");
        assert.match(
          href!,
          new RegExp(
            `^/pcap/analysis\\?appliance=${id}&proto=6&ip0=${lab.clientIp}&port0=\\d+&ip1=${lab.serverIp}&port1=${HTTP_PORT}&from=[^&]+&to=[^&#]+#pcap-packets$`,
          ),
        );
        await page.screenshot({ path: `${OUTPUT}pcap_flow_packets_link.png`, fullPage: true });
      });

      await t.step("the manager's stored counts follow the appliance's evictions", async () => {
        const dir = `${stateDir}/pcap/${ids.bulk}`;
        // Once the last file rotated (60 s after its first packet) every file is final.
        await eventually(
          "bulk files all closed",
          90_000,
          () => pcapFiles(dir).some((f) => f.endsWith(".part")) ? undefined : true,
        );
        let kept = 0;
        for (const f of pcapFiles(dir)) kept += (await tsharkLines(f, ["frame.number"])).length;
        assert.ok(kept > 0 && kept < DATAGRAMS, `${kept} of ${DATAGRAMS} datagrams kept`);
        await eventually("the manager's count of kept packets", 20_000, async () => {
          const p = await api(`/api/v1/pcap/policies/${ids.bulk}`);
          return p.stored.packets === kept ? p : undefined;
        });
      });

      await t.step("closing the agent finalizes every file", async () => {
        assert.equal((await agent.stop()).code, 0, agent.output());
        const parts = pcapFiles(`${stateDir}/pcap/${ids.web}`).concat(
          pcapFiles(`${stateDir}/pcap/${ids.bulk}`),
        ).filter((f) => f.endsWith(".part"));
        assert.deepEqual(parts, []);
      });

      await t.step("the stored packets equal tcpdump's (same filter, snap length)", async () => {
        const expected = await tsharkLines(reference);
        const stored: string[] = [];
        for (const f of pcapFiles(`${stateDir}/pcap/${ids.web}`)) {
          stored.push(...await tsharkLines(f));
        }
        assert.ok(expected.length >= REQUESTS * 7, `${expected.length} packets`);
        assert.deepEqual(stored, expected);
        const lengths = stored.map((l) => l.split("\t").slice(0, 2).map(Number));
        assert.ok(lengths.every(([, cap]) => cap! <= SNAP), "truncated to the snap length");
        assert.ok(lengths.some(([len]) => len! > SNAP), "some frames were longer");
        const names = await tsharkLines(pcapFiles(`${stateDir}/pcap/${ids.web}`)[0]!, [
          "frame.interface_name",
        ]);
        assert.ok(names.every((n) => n === lab.serverIf), names[0]);
      });

      await t.step("the quota holds and eviction keeps the newest packets", async () => {
        const files = pcapFiles(`${stateDir}/pcap/${ids.bulk}`);
        const bytes = files.reduce((n, f) => n + Deno.statSync(f).size, 0);
        assert.ok(bytes <= QUOTA, `${bytes} bytes on disk > quota ${QUOTA}`);
        assert.ok(files.length >= 2, `${files.length} files`);
        const seqs: number[] = [];
        for (const f of files) {
          for (const line of await tsharkLines(f, ["udp.payload"])) {
            seqs.push(parseInt(line.replaceAll(":", "").slice(0, 8), 16));
          }
        }
        assert.ok(seqs.length > 0 && seqs[0]! > 0, `oldest kept ${seqs[0]}: some were evicted`);
        assert.equal(seqs.at(-1), DATAGRAMS - 1, "the newest is kept");
        seqs.forEach((s, i) => assert.equal(s, seqs[0]! + i, "kept packets are contiguous"));
        assert.match(agent.output(), /PCAP store: evicted /);
      });
    } finally {
      for (const proc of procs) await proc.stop("SIGKILL");
      await browser.close();
      await manager?.stop();
      await lab.tearDown();
      await scratch?.drop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
