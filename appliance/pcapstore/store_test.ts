import assert from "node:assert/strict";
import { openCaptureFile } from "../capture/mod.ts";
import { testWithTools } from "../../tests/support/tools.ts";
import {
  extractPackets,
  parsePcapPolicy,
  type PcapPolicy,
  PcapStore,
  policyExpression,
  recoverPart,
  storeFile,
} from "./mod.ts";
import { inspectPcapStore } from "./inspect.ts";

const HTTP = "/work/shared/corpus/pcaps/pcapplusplus/examples_test/http-packets.pcap";

function policy(doc: Record<string, unknown>): PcapPolicy {
  const r = parsePcapPolicy(doc);
  if (!r.ok) throw new Error(r.problems.join("; "));
  return r.policy;
}

/** Every packet of a capture file: time (ns), captured and original length, and the bytes. */
async function packetsOf(path: string) {
  const source = await openCaptureFile(path);
  const out: { ns: bigint; captured: number; original: number; data: string }[] = [];
  while (source.next()) {
    const p = source.packet;
    out.push({
      ns: BigInt(p.timestampUs) * 1000n + BigInt(p.extraNs),
      captured: p.capturedLength,
      original: p.originalLength,
      data: Array.from(p.data, (b) => b.toString(16).padStart(2, "0")).join(""),
    });
  }
  assert.equal(source.error, undefined);
  return out;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

function storedFiles(dir: string, policyId: string): string[] {
  return [...Deno.readDirSync(`${dir}/${policyId}`)].map((e) => e.name).sort();
}

Deno.test("parsePcapPolicy() names every bad field", () => {
  const r = parsePcapPolicy({
    id: "../x",
    enabled: "yes",
    truncateBytes: -1,
    match: { ip: "300.1.1.1", port: 70000, protocol: "tcpp" },
    quota: 5,
  });
  assert.equal(r.ok, false);
  const problems = (r as { problems: string[] }).problems.join("\n");
  for (
    const field of [
      "policy.id",
      "policy.enabled",
      "policy.truncateBytes",
      "policy.match.ip",
      "policy.match.port",
      "policy.match.protocol",
      "policy.quota: unknown field",
    ]
  ) {
    assert.match(problems, new RegExp(field.replace(/[.]/g, "\\.")));
  }
});

Deno.test("policyExpression() joins the filter and the match fields", () => {
  const p = policy({
    id: "p",
    filter: "vlan or ip",
    match: { protocol: "tcp", ip: "10.0.0.0/8", port: 443, peerIp: "192.0.2.1" },
  });
  assert.equal(
    policyExpression(p),
    "(vlan or ip) and tcp and net 10.0.0.0/8 and port 443 and host 192.0.2.1",
  );
  assert.equal(policyExpression(policy({ id: "all" })), "");
});

testWithTools(
  "PcapStore keeps exactly the packets tcpdump -r -s N with the same filter keeps; tshark reads them",
  ["tcpdump", "tshark", "editcap", "capinfos"],
  async () => {
    const dir = Deno.makeTempDirSync({ prefix: "pcapstore_" });
    try {
      const filter = "tcp and src port 31600";
      const result = await storeFile(HTTP, dir, {
        policies: [policy({ id: "web", filter, truncateBytes: 80 })],
      });
      const [file] = storedFiles(dir, "web");
      assert.match(file!, /\.pcapng$/);
      // tcpdump -s does not cut packets read from a file: editcap -s cuts what tcpdump -r -w kept.
      await run("tcpdump", ["-r", HTTP, "-s", "80", "-w", `${dir}/matched.pcap`, filter]);
      await run("editcap", ["-F", "pcap", "-s", "80", `${dir}/matched.pcap`, `${dir}/want.pcap`]);
      const want = await packetsOf(`${dir}/want.pcap`);
      const got = await packetsOf(`${dir}/web/${file}`);
      assert.ok(want.length > 100);
      assert.equal(result.counters[0]!.kept, want.length);
      assert.deepEqual(got, want);
      // tcpdump and tshark open the file and count the same packets.
      const tcpdumpLines = (await run("tcpdump", ["-nn", "-r", `${dir}/web/${file}`])).trim().split(
        "\n",
      );
      assert.equal(tcpdumpLines.length, want.length);
      const tshark = (await run("tshark", [
        "-r",
        `${dir}/web/${file}`,
        "-T",
        "fields",
        "-e",
        "frame.len",
        "-e",
        "frame.cap_len",
        "-e",
        "frame.interface_name",
        "-e",
        "frame.comment",
      ])).trim().split("\n");
      assert.equal(tshark.length, want.length);
      assert.deepEqual(tshark[0]!.split("\t").slice(0, 3), [
        String(want[0]!.original),
        "80",
        "http-packets.pcap",
      ]);
      const comments = await run("tshark", ["-r", `${dir}/web/${file}`, "-q", "-z", "io,stat,0"]);
      assert.ok(comments.length > 0);
      const info = await run("capinfos", ["-M", `${dir}/web/${file}`]);
      assert.match(info, /Tapline PCAP policy/);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
);

Deno.test("PcapStore rotates by size and the per-policy quota evicts the oldest files, keeping the newest", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "pcapstore_" });
  try {
    const quota = 300_000;
    await storeFile(HTTP, dir, {
      policies: [policy({ id: "all", quotaBytes: quota })],
      rotateBytes: 64 * 1024,
    });
    const view = inspectPcapStore(dir);
    const files = view.files;
    assert.ok(files.length >= 2, `${files.length} files`);
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    assert.ok(bytes <= quota, `${bytes} bytes stored, quota ${quota}`);
    assert.deepEqual(storedFiles(dir, "all"), files.map((f) => f.path.slice(4)).sort());
    // The newest packet of the input is in the newest file; the oldest one was evicted.
    const all = await packetsOf(HTTP);
    const last = files[files.length - 1]!;
    assert.equal(last.lastUs * 1000, Number(all[all.length - 1]!.ns));
    assert.ok(files[0]!.firstUs * 1000 > Number(all[0]!.ns));
    // Every stored file is readable and whole.
    let stored = 0;
    for (const f of files) stored += (await packetsOf(`${dir}/${f.path}`)).length;
    assert.equal(stored, files.reduce((n, f) => n + f.packets, 0));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("PcapStore global quota evicts across policies, oldest first", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "pcapstore_" });
  try {
    await storeFile(HTTP, dir, {
      policies: [policy({ id: "a", filter: "tcp" }), policy({ id: "b" })],
      quotaBytes: 400_000,
      rotateBytes: 64 * 1024,
    });
    const view = inspectPcapStore(dir);
    assert.ok(view.totalBytes <= 400_000, `${view.totalBytes}`);
    assert.equal(new Set(view.files.map((f) => f.policy)).size, 2);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("recoverPart() trims a killed writer's file to its last complete block and the store indexes it", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "pcapstore_" });
  try {
    await storeFile(HTTP, dir, { policies: [policy({ id: "k" })] });
    const [name] = storedFiles(dir, "k");
    const whole = Deno.readFileSync(`${dir}/k/${name}`);
    const count = (await packetsOf(`${dir}/k/${name}`)).length;
    // A writer killed mid-block: the file ends 37 bytes into a packet block.
    Deno.removeSync(`${dir}/${"index.sqlite"}`);
    Deno.removeSync(`${dir}/k/${name}`);
    Deno.writeFileSync(`${dir}/k/${name}.part`, whole.subarray(0, whole.length - 37));
    const store = PcapStore.open(dir, { policies: [] });
    store.close();
    assert.deepEqual(storedFiles(dir, "k"), [name]);
    const recovered = await packetsOf(`${dir}/k/${name}`);
    assert.equal(recovered.length, count - 1);
    const view = inspectPcapStore(dir);
    assert.equal(view.files[0]!.packets, count - 1);
    // A .part without a complete interface block is removed: no unreadable file is left.
    Deno.writeFileSync(`${dir}/k/x.pcapng.part`, whole.subarray(0, 20));
    assert.equal(recoverPart(`${dir}/k/x.pcapng.part`).path, null);
    assert.deepEqual(storedFiles(dir, "k"), [name]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

testWithTools(
  "extractPackets() by flow and by host/port returns what a scan of the stored files finds",
  ["tcpdump"],
  async () => {
    const dir = Deno.makeTempDirSync({ prefix: "pcapstore_" });
    try {
      await storeFile(HTTP, dir, { policies: [policy({ id: "s" })], rotateBytes: 64 * 1024 });
      const files = inspectPcapStore(dir).files;
      const scanFilter = "tcp and host 172.16.30.190 and port 8869";
      const want: Awaited<ReturnType<typeof packetsOf>> = [];
      for (const f of files) {
        await run("tcpdump", ["-r", `${dir}/${f.path}`, "-w", `${dir}/scan.pcap`, scanFilter]);
        want.push(...await packetsOf(`${dir}/scan.pcap`));
      }
      assert.ok(want.length > 10);
      const byFlow = extractPackets(dir, {
        flow: {
          protocol: 6,
          ip0: "172.16.210.84",
          port0: 31600,
          ip1: "172.16.30.190",
          port1: 8869,
        },
      }, `${dir}/flow.pcapng`);
      assert.equal(byFlow.packets, want.length);
      assert.deepEqual(await packetsOf(`${dir}/flow.pcapng`), want);
      extractPackets(dir, { host: "172.16.30.190", port: 8869 }, `${dir}/hp.pcapng`);
      assert.deepEqual(await packetsOf(`${dir}/hp.pcapng`), want);
      const middle = want[Math.floor(want.length / 2)]!.ns;
      const since = Number(middle / 1000n);
      extractPackets(
        dir,
        { host: "172.16.30.190", port: 8869, sinceUs: since },
        `${dir}/late.pcapng`,
      );
      assert.deepEqual(
        await packetsOf(`${dir}/late.pcapng`),
        want.filter((p) => p.ns / 1000n >= BigInt(since)),
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
);
