// PCAP analysis through real processes: `manager serve` (PostgreSQL), an enrolled `appliance run`
// whose state folder holds a PCAP store filled by `appliance pcap-store`, and the on-demand task
// channel between them. Compared with `appliance pcap-extract` and `tshark -r` of the same store.
import assert from "node:assert/strict";
import { createScratchDatabase, POSTGRES_URL } from "../support/db.ts";
import { managerAuthEnv, signInOverHttp } from "../support/auth.ts";
import { installLicenseWithCli } from "../support/license.ts";
import { runDeno, spawnDeno, startManager } from "../support/procs.ts";
import { applianceIdOf, enrollWithCli, storeGeneratedCapture } from "../support/appliance.ts";
import { enrollTestAppliance } from "../support/fleet.ts";
import { hasTool, IN_CI } from "../support/tools.ts";

const FLOW = { proto: "tcp", ip0: "10.1.0.17", port0: "54033", ip1: "10.0.0.80", port1: "80" };

async function eventually<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function squash(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

const missing = ["tshark"].filter((t) => !hasTool(t));
if (missing.length > 0 && !IN_CI) console.warn(`skip: PCAP analysis integration needs ${missing}`);

Deno.test({
  name:
    "PCAP analysis: search → sessions → packets equal tshark -r of the store, download equals pcap-extract byte for byte, offline said at once, foreign and bad ids refused",
  ignore: POSTGRES_URL === undefined || (missing.length > 0 && !IN_CI),
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "tapline-pcap-it-" });
    const scratch = await createScratchDatabase();
    const env = { DATABASE_URL: scratch.url };
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    let agent: ReturnType<typeof spawnDeno> | undefined;
    try {
      await installLicenseWithCli(env, { modules: ["network_monitoring"] });
      manager = await startManager({ ...env, ...managerAuthEnv() });
      const url = manager.url;
      const session = await signInOverHttp(url);
      const stateDir = await enrollWithCli(url, `${tmp}/appliance`, { name: "pcap-it", session });
      const id = applianceIdOf(stateDir);
      const credential =
        JSON.parse(await Deno.readTextFile(`${stateDir}/identity.json`)).credential;
      await storeGeneratedCapture(tmp, stateDir);

      agent = spawnDeno("appliance/main.ts", ["run", "--state-dir", stateDir]);
      const get = (path: string, headers: Record<string, string> = session.headers()) =>
        fetch(`${url}${path}`, { headers });
      const q = (extra: Record<string, string> = {}) =>
        new URLSearchParams({ appliance: id, ...extra }).toString();

      // Search (index only) once the agent polls.
      const flows = await eventually("the agent answering a search", 20_000, async () => {
        const res = await get(`/api/v1/pcap/search?${q()}`);
        const body = await res.json();
        return res.status === 200
          ? body.flows as { ipA: string; portA: number; packets: number }[]
          : undefined;
      });
      assert.ok(flows.length >= 20, `${flows.length} index rows`);
      const mine = flows.filter((f) =>
        [f.ipA, f.portA].join() === "10.0.0.80,80" || [f.ipA, f.portA].join() === "10.1.0.17,54033"
      );
      assert.ok(mine.length > 0);

      // Sessions of the whole store: one per distinct 5-tuple of the index.
      const all = await (await get(`/api/v1/pcap/sessions?${q({ limit: "100000" })}`)).json();
      // Every indexed packet (the capture's 282 less its 2 ARP frames, which belong to no flow).
      assert.equal(all.packets, flows.reduce((n, f) => n + f.packets, 0));
      assert.equal(all.packets, 280);
      assert.equal(all.truncated, false);
      const tuples = new Set(
        flows.map((f) =>
          JSON.stringify(f).replace(/"(firstUs|lastUs|packets|bytes|policy)":[^,}]*,?/g, "")
        ),
      );
      assert.equal(all.sessions.length, tuples.size);

      // One flow: its packets equal `appliance pcap-extract` of the same store, byte for byte.
      const ref = `${tmp}/ref.pcapng`;
      const extracted = await runDeno("appliance/main.ts", [
        "pcap-extract",
        "--dir",
        `${stateDir}/pcap`,
        "--flow",
        `tcp:${FLOW.ip0}:${FLOW.port0}-${FLOW.ip1}:${FLOW.port1}`,
        "-w",
        ref,
      ]);
      assert.equal(extracted.code, 0, extracted.stderr);
      const download = await get(`/api/v1/pcap/download?${q(FLOW)}`);
      assert.equal(download.status, 200);
      assert.equal(download.headers.get("content-type"), "application/x-pcapng");
      assert.deepEqual(new Uint8Array(await download.arrayBuffer()), await Deno.readFile(ref));

      // The packet list is tshark's reading of that file.
      const list = await (await get(`/api/v1/pcap/packets?${q(FLOW)}`)).json();
      assert.equal(list.decoder, "tshark");
      const tshark = await new Deno.Command("tshark", {
        args: ["-r", ref],
        stdout: "piped",
        stderr: "null",
      }).output();
      const lines = new TextDecoder().decode(tshark.stdout).trim().split("\n").map(squash);
      assert.equal(list.rows.length, lines.length);
      assert.equal(list.rows.length, 19);
      list.rows.forEach((r: Record<string, string>, i: number) => {
        const cols = squash(`${r.source} → ${r.destination} ${r.protocol} ${r.length} ${r.info}`);
        assert.ok(
          lines[i]!.startsWith(`${r.number} `) && lines[i]!.endsWith(cols),
          `${lines[i]}\n  vs ${cols}`,
        );
      });

      // Selected packets only; the decode tree; the sequence diagram; the stream.
      const two = new Uint8Array(
        await (await get(`/api/v1/pcap/download?${q(FLOW)}&packets=1&packets=3`)).arrayBuffer(),
      );
      await Deno.writeFile(`${tmp}/two.pcapng`, two);
      const twoList = await new Deno.Command("tshark", {
        args: ["-r", `${tmp}/two.pcapng`],
        stdout: "piped",
        stderr: "null",
      }).output();
      assert.equal(new TextDecoder().decode(twoList.stdout).trim().split("\n").length, 2);
      const decode = await (await get(`/api/v1/pcap/decode?${q({ ...FLOW, packet: "4" })}`)).json();
      assert.equal(decode.decoder, "tshark");
      assert.deepEqual(
        decode.tree.slice(1, 4).map((n: { label: string }) => n.label.split(",")[0]),
        [
          "Ethernet II",
          "Internet Protocol Version 4",
          "Transmission Control Protocol",
        ],
      );
      const svg = await (await get(`/api/v1/pcap/sequence?${q(FLOW)}`)).text();
      assert.match(svg, /^<svg/);
      assert.match(svg, /\[SYN\] Seq=0 Len=0/);
      assert.match(svg, /Retransmission \[PSH, ACK\] Seq=1 Ack=1 Len=185/);
      const stream = await (await get(`/api/v1/pcap/stream?${q(FLOW)}`)).text();
      assert.match(stream, /^(GET|POST|PUT|DELETE) \S+ HTTP\/1\.1\r\n/);
      const page = await (await get(`/pcap/analysis?${q(FLOW)}`)).text();
      for (
        const part of [
          "pcap-sessions-table",
          "pcap-packets-table",
          "Sequence diagram",
          "Follow stream",
        ]
      ) {
        assert.ok(page.includes(part), part);
      }

      // Bad input: named 4xx, never a path.
      const bad = async (path: string, status: number, message: RegExp) => {
        const res = await get(path);
        const body = await res.text();
        assert.equal(res.status, status, `${path}: ${body}`);
        assert.match(body, message);
      };
      await bad(
        `/api/v1/pcap/download?appliance=..%2F..%2Fetc%2Fpasswd`,
        400,
        /appliance: expected an appliance id/,
      );
      await bad(`/api/v1/pcap/download?appliance=${crypto.randomUUID()}`, 404, /no appliance/);
      await bad(`/api/v1/pcap/packets?${q({ filter: "tcp port" })}`, 400, /filter/);
      await bad(`/api/v1/pcap/download?${q({ ...FLOW, packets: "../1" })}`, 400, /packets: /);
      await bad(`/api/v1/pcap/decode?${q({ ...FLOW, packet: "999" })}`, 404, /no frame 999/);
      const other = await enrollTestAppliance({ url, session });
      const foreignPoll = await fetch(`${url}/api/v1/appliances/self/tasks?wait=0`, {
        headers: other.headers,
      });
      assert.equal(foreignPoll.status, 204, "another appliance gets none of this one's tasks");
      const badId = await fetch(`${url}/api/v1/appliances/self/tasks/not-a-uuid/result`, {
        method: "POST",
        headers: { ...other.headers, "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(badId.status, 400);
      await badId.body?.cancel();

      // Stop the agent: the page says offline at once, the API answers 503.
      agent.child.kill("SIGTERM");
      await agent.child.status;
      await agent.done;
      agent = undefined;
      const started = Date.now();
      const offline = await (await get(`/pcap/analysis?${q({ ...FLOW, limit: "7" })}`)).text();
      assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
      assert.match(offline, /is offline: its agent is not connected/);
      await bad(`/api/v1/pcap/sessions?${q({ limit: "7" })}`, 503, /is offline/);

      // Acting as the appliance by hand: its task can be answered by it, not by another one.
      const poll = fetch(`${url}/api/v1/appliances/self/tasks?wait=10`, {
        headers: { authorization: `Bearer ${credential}` },
      });
      await new Promise((r) => setTimeout(r, 300));
      const asked = get(`/api/v1/pcap/sessions?${q({ limit: "9" })}`);
      const task = await (await poll).json();
      assert.equal(task.kind, "extract");
      assert.deepEqual(task.query, { limit: 9 });
      const answer = (headers: Record<string, string>) =>
        fetch(`${url}/api/v1/appliances/self/tasks/${task.id}/result`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ error: "disk on fire" }),
        });
      const foreign = await answer(other.headers);
      assert.equal(foreign.status, 403, await foreign.text());
      const own = await answer({ authorization: `Bearer ${credential}` });
      assert.equal(own.status, 204);
      const failed = await asked;
      assert.equal(failed.status, 502);
      assert.match(await failed.text(), /disk on fire/);
    } finally {
      if (agent) {
        agent.child.kill("SIGTERM");
        await agent.child.status;
        await agent.done;
      }
      await manager?.stop();
      await scratch.drop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
