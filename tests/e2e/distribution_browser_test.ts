/**
 * Traffic distribution end to end (issue #6): a distribution point and a policy are made in
 * Chromium through the pages' forms; the policy reaches `appliance run`, which captures live on a
 * veth in its network namespace; UDP traffic sent there comes out of a VXLAN tunnel that the
 * Linux kernel's own `vxlan` device in the other namespace decapsulates, and tcpdump there sees
 * exactly the frames expected: the reference frames (captured where they were sent), sliced and
 * masked as the policy says. The tunnel leaves through the capture point itself, so the agent's
 * own output is on the wire it captures: the policy's filter (`udp`) matches it, and only the
 * mark-and-skip keeps it from being sent again. The npb counters reach the database and the
 * pages. Then the license loses `traffic_distribution`: the appliance says so in its heartbeat
 * and status, and the same traffic produces nothing.
 */
import assert from "node:assert/strict";
import { CHROMIUM, launchChromium, OUTPUT } from "../support/browser.ts";
import {
  browserCookies,
  managerAuthEnv,
  signInOverHttp,
  type TestSession,
} from "../support/auth.ts";
import { createScratchDatabase, POSTGRES_URL } from "../support/db.ts";
import { installLicenseWithCli, issueTestLicense } from "../support/license.ts";
import { runDeno, startManager } from "../support/procs.ts";
import { applianceIdOf, enrollWithCli } from "../support/appliance.ts";
import { eventually, labTest, NetLab, type Proc, run, spawn, words } from "../support/netlab.ts";
import { openCaptureFile } from "../../appliance/capture/mod.ts";

const DENO = Deno.execPath();
const VNI = 77;
const DATAGRAMS = 20;
/** The appliance's namespace (capture point + management link) and the traffic/receiver one. */
class Lab extends NetLab {
  /** The appliance's namespace: the capture point and the management link. */
  readonly tap = this.server;
  /** The traffic namespace, with the kernel's vxlan device the copies go to. */
  readonly gen = this.client;
  readonly capIf = this.serverIf;
  readonly genIf = this.clientIf;

  constructor() {
    super("nd", 212);
  }

  override async setUp(): Promise<void> {
    await super.setUp();
    await run(
      "ip",
      words(`-n ${this.gen} link add vx${VNI} type vxlan id ${VNI} dstport 4789
        local ${this.clientIp} dev ${this.genIf}`),
    );
    await run("ip", words(`-n ${this.gen} link set vx${VNI} up`));
  }

  /** tcpdump in the traffic namespace, written to `file`, once it listens. */
  async tcpdump(link: string, file: string, filter: string[], direction: string): Promise<Proc> {
    const p = spawn("ip", [
      ...words(`netns exec ${this.gen} tcpdump -nn -U --immediate-mode -Q ${direction}`),
      ...words(`-i ${link} -w ${file}`),
      ...filter,
    ]);
    await p.waitFor(/listening on/, 20_000);
    return p;
  }

  /** Sends the datagrams from the traffic namespace to the capture point's address. */
  async send(): Promise<void> {
    const code = `
      const s = Deno.listenDatagram({ transport: "udp", hostname: "${GEN_IP}", port: 0 });
      for (let i = 0; i < ${DATAGRAMS}; i++) {
        const payload = Uint8Array.from({ length: 40 }, (_, k) => (i * 7 + k) & 0xff);
        await s.send(payload, { transport: "udp", hostname: "${CAP_IP}", port: 7000 });
        await new Promise((r) => setTimeout(r, 20));
      }
      s.close();`;
    const out = await new Deno.Command("ip", {
      args: [...words(`netns exec ${this.gen} ${DENO} eval --unstable-net`), code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  }
}

const lab = new Lab();
const { serverIp: CAP_IP, clientIp: GEN_IP, hostIp: HOST_IP } = lab;

async function framesOf(path: string): Promise<number[][]> {
  const source = await openCaptureFile(path);
  const frames: number[][] = [];
  while (source.next()) frames.push([...source.packet.data]);
  return frames;
}

function apiOf(url: string, session: TestSession) {
  // deno-lint-ignore no-explicit-any
  return async (path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${url}${path}`, {
      ...init,
      headers: session.headers({ "content-type": "application/json" }),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
}

labTest(
  "a policy made in Chromium reaches the live agent: the kernel's vxlan device gets the frames, counters reach the pages; without the license nothing is sent",
  ["ip", "tcpdump", CHROMIUM],
  async (t) => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-e2e-npb-" });
    const scratch = POSTGRES_URL === undefined ? undefined : await createScratchDatabase();
    const env: Record<string, string> = scratch
      ? { DATABASE_URL: scratch.url }
      : { DATABASE_URL: "", TAPLINE_DATA_DIR: `${tmp}/manager` };
    const procs: Proc[] = [];
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    const browser = await launchChromium();
    try {
      await lab.setUp();
      const license = await installLicenseWithCli(env, {
        modules: ["traffic_distribution", "network_monitoring"],
      });
      manager = await startManager({ ...env, ...managerAuthEnv(), TAPLINE_HOST: HOST_IP });
      const url = manager.url;
      const session = await signInOverHttp(url);
      const api = apiOf(url, session);
      const stateDir = await enrollWithCli(url, `${tmp}/appliance`, { name: "npb-e2e", session });
      const id = applianceIdOf(stateDir);
      const patched = await api(`/api/v1/appliances/${id}`, {
        method: "PATCH",
        body: JSON.stringify({
          capturePoints: [{ interface: lab.capIf, observationPoint: "rest", enabled: true }],
          reporting: { flushSeconds: 1, heartbeatSeconds: 1 },
        }),
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const agent = spawn("ip", [
        ...words(`netns exec ${lab.tap} ${DENO} run -A --unstable-net appliance/main.ts run`),
        ...words(`--state-dir ${stateDir}`),
      ]);
      procs.push(agent);
      await agent.waitFor(new RegExp(`capturing on ${lab.capIf}`));

      const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
      await context.addCookies(browserCookies(url, session));
      const page = await context.newPage();
      await Deno.mkdir(OUTPUT, { recursive: true });
      let pointId = "";
      let policyId = "";

      await t.step("a distribution point is made in the form; a bad VNI is named", async () => {
        await page.goto(`${url}/distribution/points`);
        await page.click("text=New point");
        await page.fill("#point-name", "ids-e2e");
        await page.selectOption("#point-tunnel", "vxlan");
        await page.fill("#point-vni", "99999999");
        await page.fill("#point-destination", GEN_IP);
        await page.click("text=Create point");
        assert.match(await page.locator("#point-vni-error").innerText(), /0 to 16777215/);
        await page.screenshot({ path: `${OUTPUT}distribution-point-error.png`, fullPage: true });
        await page.fill("#point-vni", String(VNI));
        await Promise.all([page.waitForURL(/notice=created/), page.click("text=Create point")]);
        pointId = /\/distribution\/points\/(\d+)/.exec(page.url())![1]!;
        assert.equal(await page.locator("#point-port").inputValue(), "4789");
      });

      await t.step("a policy is made in the form; libpcap's message shows", async () => {
        await page.goto(`${url}/distribution/policies/new`);
        await page.fill("#policy-name", "udp-to-ids");
        await page.fill("#policy-capturePoints", lab.capIf);
        await page.fill("#policy-filter", "udp port eighty");
        await page.selectOption("#policy-points", pointId);
        await page.click("text=Create policy");
        assert.equal(
          await page.locator("#policy-filter-error").innerText(),
          "unknown port 'eighty'",
        );
        await page.screenshot({ path: `${OUTPUT}distribution-policy-error.png`, fullPage: true });
        // `udp` also matches the agent's own VXLAN output on this capture point.
        await page.fill("#policy-filter", "udp");
        await page.selectOption("#policy-sliceFrom", "l4");
        await page.fill("#policy-sliceBytes", "16");
        await page.fill("#policy-masks", "l4 0 4");
        await page.selectOption("#policy-points", pointId);
        await Promise.all([page.waitForURL(/notice=created/), page.click("text=Create policy")]);
        policyId = /\/distribution\/policies\/(\d+)/.exec(page.url())![1]!;
      });

      await t.step("the agent distributes exactly the expected frames", async () => {
        await agent.waitFor(/distributing with 1 policies/, 20_000);
        const inner = await lab.tcpdump(`vx${VNI}`, `${tmp}/inner.pcap`, [], "in");
        const ref = await lab.tcpdump(lab.genIf, `${tmp}/ref.pcap`, ["udp dst port 7000"], "out");
        procs.push(inner, ref);
        await lab.send();
        await new Promise((r) => setTimeout(r, 2000));
        await inner.stop("SIGINT");
        await ref.stop("SIGINT");
        const sent = await framesOf(`${tmp}/ref.pcap`);
        assert.equal(sent.length, DATAGRAMS);
        const expected = sent.map((f) => {
          const cut = f.slice(0, 14 + 20 + 8 + 16);
          cut.fill(0, 42, 46);
          return cut;
        });
        const got = await framesOf(`${tmp}/inner.pcap`);
        assert.equal(got.length, DATAGRAMS, `frames out of the tunnel\n${agent.output()}`);
        assert.deepEqual(got, expected);
      });

      await t.step("the npb counters reach the database and the pages", async () => {
        const counters = await eventually("the policy's counters", 20_000, async () => {
          const { body } = await api(`/api/v1/distribution/policies/${policyId}/counters`);
          return body?.totals?.packets === DATAGRAMS ? body : undefined;
        });
        assert.equal(counters.totals.matched, DATAGRAMS);
        assert.equal(counters.totals.bytes, DATAGRAMS * 58);
        const point = await eventually("the point's counters", 20_000, async () => {
          const { body } = await api(`/api/v1/distribution/points/${pointId}/counters`);
          return body?.totals?.packets === DATAGRAMS ? body : undefined;
        });
        assert.equal(point.totals.dropSendError, 0);
        assert.equal(point.reach.status, "reachable");
        await page.goto(`${url}/distribution/policies/${policyId}`);
        assert.equal(await page.locator("#npb-counters svg.chart").count(), 1);
        assert.equal(
          await page.locator('#npb-totals tr[data-counter="packets"] td.num').innerText(),
          String(DATAGRAMS),
        );
        await page.screenshot({ path: `${OUTPUT}distribution-policy.png`, fullPage: true });
        await page.goto(`${url}/distribution/points`);
        assert.equal(
          await page.locator(`tr[data-point-id="${pointId}"] [data-reach]`).getAttribute(
            "data-reach",
          ),
          "reachable",
        );
        await page.goto(`${url}/distribution/points/${pointId}`);
        await page.screenshot({ path: `${OUTPUT}distribution-point.png`, fullPage: true });
        await page.goto(`${url}/admin/appliances/${id}`);
        assert.equal(
          await page.locator("#appliance-distribution").innerText(),
          "active: 1 policies",
        );
      });

      await t.step(
        "without traffic_distribution: nothing is sent, the status says so",
        async () => {
          const { text } = await issueTestLicense({ modules: ["network_monitoring"] });
          const installed = await fetch(`${url}/api/v1/licenses`, {
            method: "POST",
            headers: session.headers({ "content-type": "application/json" }),
            body: text,
          });
          assert.equal(installed.status, 201, await installed.clone().text());
          await installed.body?.cancel();
          const removed = await api(`/api/v1/licenses/${license.id}`, { method: "DELETE" });
          assert.equal(removed.status, 200, JSON.stringify(removed.body));
          const hb = await eventually("the heartbeat saying why", 30_000, async () => {
            const { body } = await api(`/api/v1/appliances/${id}`);
            const d = body.lastHeartbeat?.distribution;
            return d?.state === "unlicensed" ? d : undefined;
          });
          assert.match(hb.reason, /traffic_distribution is not in the signed entitlement/);
          const status = JSON.parse(await Deno.readTextFile(`${stateDir}/status.json`));
          assert.equal(status.heartbeat.distribution.state, "unlicensed");
          assert.match(agent.output(), /traffic distribution unlicensed/);
          const shown = await runDeno("appliance/main.ts", ["status", "--state-dir", stateDir]);
          assert.match(
            shown.stdout,
            /distribution +unlicensed: traffic_distribution is not in the signed entitlement/,
          );
          await page.goto(`${url}/admin/appliances/${id}`);
          assert.match(
            await page.locator("#appliance-distribution").innerText(),
            /^unlicensed: traffic_distribution is not in the signed entitlement: distributing nothing$/,
          );
          await page.screenshot({ path: `${OUTPUT}distribution-unlicensed.png`, fullPage: true });
          const inner = await lab.tcpdump(`vx${VNI}`, `${tmp}/none.pcap`, [], "in");
          procs.push(inner);
          await lab.send();
          await new Promise((r) => setTimeout(r, 2000));
          await inner.stop("SIGINT");
          assert.equal((await framesOf(`${tmp}/none.pcap`)).length, 0);
          const res = await fetch(`${url}/distribution/policies`, {
            headers: session.headers({ accept: "text/html" }),
          });
          assert.equal(res.status, 403, "the pages are gated too");
          await res.body?.cancel();
        },
      );

      assert.equal((await agent.stop()).code, 0, agent.output());
    } finally {
      await browser.close();
      for (const p of procs) await p.stop("SIGKILL");
      await manager?.stop();
      await lab.tearDown();
      await scratch?.drop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
