/**
 * Distribution end to end, with the Linux kernel as the receiver. A sender namespace runs
 * `appliance distribute FILE --policy P.json` over a generated capture; a receiver namespace,
 * joined by a veth pair, has the kernel's own `vxlan` devices (one per VNI) with tcpdump on each
 * decapsulated interface, so the frames compared are what the kernel took out of our tunnels.
 * This kernel has no gre/erspan devices (PLATFORM.md): ERSPAN is captured on the veth and checked
 * with tshark's GRE/ERSPAN dissectors instead. Checked byte for byte: filter semantics, direction,
 * VLAN strip, slice, mask, dedup with injected duplicates, replicate vs load balance, the rate
 * limit (counters match what was withheld) and an unreachable point (errors counted, the other
 * points unaffected).
 */
import assert from "node:assert/strict";
import { testWithTools } from "../support/tools.ts";
import { ROOT } from "../support/procs.ts";
import { openCaptureFile } from "../../appliance/capture/mod.ts";
import { ether, ip4, tcp4, udp4 } from "../../appliance/distribute/_testing.ts";

const DENO = Deno.execPath();
const NET = `10.${231 + (Deno.pid % 20)}.0`;
const SENDER_IP = `${NET}.1`;
const RECEIVER_IP = `${NET}.2`;
const DISABLE_IPV6 = "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; " +
  "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6";

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  if (!out.success) {
    throw new Error(`${command} ${args.join(" ")} failed: ${d.decode(out.stderr)}`);
  }
  return d.decode(out.stdout);
}

const words = (text: string) => text.trim().split(/\s+/);

interface Proc {
  child: Deno.ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

function spawn(command: string, args: string[]): Proc {
  const child = new Deno.Command(command, { args, stdout: "null", stderr: "piped" }).spawn();
  let err = "";
  const d = new TextDecoder();
  const done = (async () => {
    for await (const chunk of child.stderr) err += d.decode(chunk, { stream: true });
  })();
  return {
    child,
    stderr: () => err,
    stop: async () => {
      try {
        child.kill("SIGINT");
      } catch { /* already gone */ }
      await child.status;
      await done;
    },
  };
}

/** The frames of a pcap file, as arrays. */
async function framesOf(path: string): Promise<number[][]> {
  const source = await openCaptureFile(path);
  const frames: number[][] = [];
  while (source.next()) frames.push([...source.packet.data]);
  return frames;
}

function writePcap(path: string, frames: { bytes: number[]; timeUs: number }[]): void {
  const parts: number[] = [];
  const u32 = (n: number) => parts.push(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
  u32(0xa1b2c3d4);
  parts.push(2, 0, 4, 0);
  u32(0);
  u32(0);
  u32(65535);
  u32(1);
  for (const f of frames) {
    u32(Math.floor(f.timeUs / 1e6) + 1_700_000_000);
    u32(f.timeUs % 1e6);
    u32(f.bytes.length);
    u32(f.bytes.length);
    parts.push(...f.bytes);
  }
  Deno.writeFileSync(path, new Uint8Array(parts));
}

/** A TCP frame with a 30-byte payload that says which frame it is. */
function web(i: number, reply: boolean, o: { vlan?: number; ttl?: number; port?: number } = {}) {
  const payload = Array.from({ length: 30 }, (_, k) => (i * 7 + k) & 0xff);
  const port = o.port ?? 80;
  const a = [10, 0, 1, i + 1];
  const b = [10, 0, 2, 1];
  const segment = reply ? tcp4(port, 40000 + i, payload) : tcp4(40000 + i, port, payload);
  const ip = ip4(6, segment, { src: reply ? b : a, dst: reply ? a : b, ttl: o.ttl ?? 64 });
  return ether(0x0800, ip, o.vlan === undefined ? [] : [o.vlan]);
}

function dns(i: number, reply: boolean) {
  const a = [10, 0, 3, i + 1];
  const b = [10, 0, 4, 53];
  const datagram = reply ? udp4(53, 50000 + i, [i, 1, 2, 3]) : udp4(50000 + i, 53, [i, 0]);
  return ether(0x0800, ip4(17, datagram, { src: reply ? b : a, dst: reply ? a : b }));
}

/** Independent of the appliance's code: strip the tag, keep 16 bytes after TCP, zero 4 of them. */
function expectedWeb(i: number): number[] {
  const frame = web(i, false).slice(0, 14 + 20 + 20 + 16);
  frame.fill(0, 54, 58);
  return frame;
}

const POLICY = (deadIp: string) => ({
  policies: [
    {
      id: "web",
      filter: "tcp port 80 or (vlan and tcp port 80)",
      direction: "c2s",
      strip: { vlan: true },
      slice: { from: "l4", bytes: 16 },
      masks: [{ from: "l4", offset: 0, length: 4 }],
      dedup: { enabled: true, windowMs: 50 },
      points: [
        { id: "v100", tunnel: "vxlan", vni: 100, destination: RECEIVER_IP },
        { id: "span", tunnel: "erspan3", sessionId: 5, destination: RECEIVER_IP },
        { id: "dead", tunnel: "vxlan", vni: 999, destination: deadIp },
      ],
    },
    {
      id: "dns",
      filter: "udp port 53",
      mode: "loadBalance",
      points: [
        { id: "v200", tunnel: "vxlan", vni: 200, destination: RECEIVER_IP },
        { id: "v300", tunnel: "vxlan", vni: 300, destination: RECEIVER_IP },
      ],
    },
    {
      id: "limited",
      filter: "tcp port 8080",
      bandwidthBps: 80_000,
      points: [{ id: "v400", tunnel: "vxlan", vni: 400, destination: RECEIVER_IP }],
    },
  ],
});

testWithTools(
  "appliance distribute delivers exactly the expected frames to kernel VXLAN and tshark ERSPAN",
  ["ip", "tcpdump", "tshark"],
  async () => {
    const tag = `tld${Deno.pid}`;
    const sender = `${tag}s`;
    const receiver = `${tag}r`;
    const dir = await Deno.makeTempDir({ prefix: "distribute_test_" });
    const procs: Proc[] = [];
    try {
      for (const ns of [sender, receiver]) {
        await run("ip", words(`netns add ${ns}`));
        await run("ip", ["netns", "exec", ns, "sh", "-c", DISABLE_IPV6]);
        await run("ip", words(`-n ${ns} link set lo up`));
      }
      await run(
        "ip",
        words(`-n ${sender} link add ${tag}a type veth peer name ${tag}b netns ${receiver}`),
      );
      await run("ip", words(`-n ${sender} addr add ${SENDER_IP}/24 dev ${tag}a`));
      await run("ip", words(`-n ${receiver} addr add ${RECEIVER_IP}/24 dev ${tag}b`));
      await run("ip", words(`-n ${receiver} link set ${tag}b address 02:00:00:00:aa:02`));
      await run("ip", words(`-n ${sender} link set ${tag}a up`));
      // Resolved up front: while ARP is pending the kernel queues only a few packets per
      // neighbour and drops the oldest, which would lose the first batches.
      await run(
        "ip",
        words(`-n ${sender} neigh replace ${RECEIVER_IP} lladdr 02:00:00:00:aa:02 dev ${tag}a
          nud permanent`),
      );
      await run("ip", words(`-n ${receiver} link set ${tag}b up`));
      for (const vni of [100, 200, 300, 400]) {
        await run(
          "ip",
          words(`-n ${receiver} link add vx${vni} type vxlan id ${vni} dstport 4789
          local ${RECEIVER_IP} dev ${tag}b`),
        );
        await run("ip", words(`-n ${receiver} link set vx${vni} up`));
      }
      // tcpdump: --immediate-mode, or TPACKET_V3 holds packets until its block times out (1 s).
      // A raw GRE socket on the receiver keeps its kernel from answering "protocol unreachable".
      procs.push(spawn("ip", [
        ...words(`netns exec ${receiver} ${DENO} eval`),
        `const c = Deno.dlopen("libc.so.6", { socket: { parameters: ["i32", "i32", "i32"], ` +
        `result: "i32" } }); if (c.symbols.socket(2, 3, 47) < 0) Deno.exit(1); ` +
        `console.error("listening on gre"); setTimeout(() => {}, 120_000);`,
      ]));
      const captures = ["vx100", "vx200", "vx300", "vx400", `${tag}b`];
      for (const link of captures) {
        const filter = link.startsWith("vx") ? [] : ["ip proto 47"];
        const p = spawn("ip", [
          ...words(
            `netns exec ${receiver} tcpdump -nn -U --immediate-mode -B 16384 -Q in -i ${link} -w ${dir}/${link}.pcap`,
          ),
          ...filter,
        ]);
        procs.push(p);
      }
      const deadline = Date.now() + 20_000;
      while (procs.some((p) => !p.stderr().includes("listening on"))) {
        if (Date.now() > deadline) throw new Error(procs.map((p) => p.stderr()).join("\n"));
        await new Promise((r) => setTimeout(r, 50));
      }

      const frames: { bytes: number[]; timeUs: number }[] = [];
      let t = 0;
      const add = (bytes: number[], gapUs = 1000) => frames.push({ bytes, timeUs: t += gapUs });
      for (let i = 0; i < 20; i++) {
        add(web(i, false, i % 3 === 0 ? { vlan: 7 } : {}));
        // A duplicate seen at another hop: other TTL and tag, 100 µs later.
        if (i % 2 === 0) add(web(i, false, { ttl: 60, vlan: 9 }), 100);
        add(web(i, true));
        add(dns(i, false));
        add(dns(i, true));
      }
      t += 10_000_000;
      for (let i = 0; i < 200; i++) {
        add(web(i % 200, false, { port: 8080 }).concat(Array(100).fill(1)));
      }
      writePcap(`${dir}/in.pcap`, frames);
      const policyFile = `${dir}/policy.json`;
      await Deno.writeTextFile(policyFile, JSON.stringify(POLICY("10.250.250.250")));

      const out = await new Deno.Command("ip", {
        args: [
          ...words(`netns exec ${sender} ${DENO} run -A --unstable-net`),
          `${ROOT}appliance/main.ts`,
          ...words(`distribute ${dir}/in.pcap --policy ${policyFile} --json`),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const summary = JSON.parse(text) as {
        policies: {
          id: string;
          packets: number;
          dropped: Record<"dedup" | "direction" | "rateLimit", number>;
        }[];
        points: { id: string; packets: number; dropped: { sendError: number } }[];
      };
      await new Promise((r) => setTimeout(r, 500));
      for (const p of procs) await p.stop();
      procs.length = 0;

      const policy = (id: string) => summary.policies.find((p) => p.id === id)!;
      const point = (id: string) => summary.points.find((p) => p.id === id)!;

      // Filter, direction, strip, slice, mask, dedup: exactly the 20 client frames, once each.
      const expected = Array.from({ length: 20 }, (_, i) => expectedWeb(i));
      assert.deepEqual(await framesOf(`${dir}/vx100.pcap`), expected);
      assert.deepEqual(
        [policy("web").packets, policy("web").dropped.dedup, policy("web").dropped.direction],
        [20, 10, 20],
      );

      // ERSPAN III, decoded by tshark; the inner frames (after Eth+IPv4+GRE+ERSPAN) are the same.
      const fields = await run("tshark", [
        ...words(`-r ${dir}/${tag}b.pcap -Y erspan -T fields -e erspan.version -e erspan.spanid`),
        ...words("-e gre.proto -e tcp.srcport -e tcp.dstport"),
      ]);
      const rows = fields.trim().split("\n").map((l) => l.split("\t"));
      assert.equal(rows.length, 20);
      rows.forEach((row, i) =>
        assert.deepEqual(row, ["2", "5", "0x22eb", String(40000 + i), "80"])
      );
      const spans = (await framesOf(`${dir}/${tag}b.pcap`)).map((f) => f.slice(14 + 20 + 8 + 12));
      assert.deepEqual(spans, expected);

      // The unreachable point counts every copy as a send error; the others did not notice.
      assert.deepEqual([point("dead").packets, point("dead").dropped.sendError], [0, 20]);
      assert.deepEqual([point("v100").dropped.sendError, point("span").dropped.sendError], [0, 0]);

      // Load balance: every DNS frame once, both directions of a flow on the same point.
      const v200 = await framesOf(`${dir}/vx200.pcap`);
      const v300 = await framesOf(`${dir}/vx300.pcap`);
      assert.equal(v200.length + v300.length, 40);
      assert.ok(v200.length > 0 && v300.length > 0, `${v200.length} / ${v300.length}`);
      const all = Array.from({ length: 20 }, (_, i) => [dns(i, false), dns(i, true)]).flat();
      const key = (f: number[]) => f.join(",");
      assert.deepEqual([...v200, ...v300].map(key).sort(), all.map(key).sort());
      for (let i = 0; i < 20; i++) {
        assert.equal(
          v200.some((f) => key(f) === key(dns(i, false))),
          v200.some((f) => key(f) === key(dns(i, true))),
          `flow ${i} split across points`,
        );
      }

      // Rate limit: what arrived is what the counters say was sent; the rest was withheld.
      const limited = await framesOf(`${dir}/vx400.pcap`);
      const l = policy("limited");
      assert.equal(limited.length, l.packets);
      assert.equal(l.packets + l.dropped.rateLimit, 200);
      assert.ok(l.dropped.rateLimit > 50, `only ${l.dropped.rateLimit} withheld`);
    } finally {
      for (const p of procs) await p.stop();
      for (const ns of [sender, receiver]) {
        await new Deno.Command("ip", { args: ["netns", "del", ns], stdout: "null", stderr: "null" })
          .output();
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
  { ignore: Deno.uid() !== 0 },
);
