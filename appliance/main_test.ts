import assert from "node:assert/strict";
import { generate } from "../tests/tools/gen_pcap.ts";
import { writePcap } from "../tests/tools/_frames.ts";
import { eth, hex, ipv4, tcp, udp } from "./decode/_testing.ts";
import { decodeBatch, type FlowBatch, flowRecordColumns } from "./wire/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function run(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "appliance/main.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

function stderrLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.length > 0);
}

async function withFile(bytes: Uint8Array, fn: (path: string) => Promise<void>): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    await Deno.writeFile(path, bytes);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

/** A manager stand-in recording the batches it decodes (status 400 for undecodable ones). */
function startManager() {
  const batches: FlowBatch[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const result = decodeBatch(new Uint8Array(await req.arrayBuffer()));
    if (!result.ok) return Response.json({ error: result.error }, { status: 400 });
    batches.push(result.batch);
    return Response.json({ acked: result.batch.seq });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, batches, close: () => server.shutdown() };
}

const generated = generate({ flows: 60, seed: 11 });

Deno.test("main flows --json prints one flow record per line", async () => {
  await withFile(generated.bytes, async (path) => {
    const { code, stdout, stderr } = await run(["flows", path, "--json"]);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const records = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(records, generated.summary.expected.map(flowRecordColumns));
    assert.equal(records[0]?.is_new_flow, 1);
  });
});

Deno.test("main replay of a text file fails with one line and sends nothing", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  const manager = startManager();
  try {
    await Deno.writeTextFile(path, "hello, this is not a capture\n");
    const { code, stdout, stderr } = await run([
      "replay",
      path,
      "--manager",
      "http://127.0.0.1:1",
    ]);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.deepEqual(stderrLines(stderr), [
      `appliance: cannot read ${path}: not a pcap file (bad magic 0x68656c6c)`,
    ]);
    const live = await run(["replay", path, "--manager", manager.url]);
    assert.equal(live.code, 1);
    assert.equal(manager.batches.length, 0);
  } finally {
    await manager.close();
    await Deno.remove(path);
  }
});

Deno.test("main replay sends the flows as CBOR batches with consecutive seqs from the clock", async () => {
  const manager = startManager();
  try {
    await withFile(generated.bytes, async (path) => {
      const before = Date.now() * 1000;
      const { code, stdout, stderr } = await run([
        "replay",
        path,
        "--manager",
        manager.url,
        "--appliance",
        "test-box",
        "--batch-size",
        "25",
      ]);
      assert.equal(stderr, "");
      assert.equal(code, 0);
      const first = manager.batches[0]!.seq;
      assert.ok(first >= before && first <= Date.now() * 1000, `seq ${first} is from the clock`);
      assert.deepEqual(manager.batches.map((b) => b.seq), [first, first + 1, first + 2]);
      assert.ok(manager.batches.every((b) => b.appliance === "test-box"));
      const records = manager.batches.flatMap((b) => b.records);
      assert.deepEqual(records, generated.summary.expected);
      assert.match(stdout, /flows +60 \(40 TCP, 20 UDP, 0 other\)/);
      assert.ok(stdout.includes(`batches sent   3 (seq ${first}-${first + 2})`), stdout);
      assert.match(stdout, /decode errors +none/);
    });
  } finally {
    await manager.close();
  }
});

Deno.test("main replay of a cut-short file sends the flows before the damage and warns", async () => {
  const manager = startManager();
  try {
    await withFile(generated.bytes.subarray(0, generated.bytes.length - 7), async (path) => {
      const { code, stderr } = await run(["replay", path, "--manager", manager.url]);
      assert.equal(code, 0);
      const lines = stderrLines(stderr);
      assert.equal(lines.length, 1);
      assert.match(
        lines[0]!,
        new RegExp(
          `^appliance: warning: .* is damaged \\(truncated packet data: packet ${generated.summary.packets} at byte offset \\d+ needs \\d+ bytes, only \\d+ present\\); using the ${
            generated.summary.packets - 1
          } packets before it$`,
        ),
      );
      const sent = manager.batches.flatMap((b) => b.records);
      assert.equal(new Set(sent.map((r) => r.flowId)).size, generated.summary.flows);
      const packets = sent.reduce((n, r) => n + r.packetTx + r.packetRx, 0);
      assert.equal(packets, generated.summary.packets - generated.summary.arpPackets - 1);
    });
  } finally {
    await manager.close();
  }
});

Deno.test("main replay reports a refusing manager in one line", async () => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => Response.json({ error: "unknown appliance" }, { status: 403 }),
  );
  try {
    await withFile(generated.bytes, async (path) => {
      const url = `http://127.0.0.1:${server.addr.port}`;
      const { code, stderr } = await run(["replay", path, "--manager", url]);
      assert.equal(code, 1);
      const lines = stderrLines(stderr);
      assert.equal(lines.length, 1, stderr);
      assert.match(
        lines[0]!,
        /^appliance: manager refused batch \d{16} \(HTTP 403 Forbidden\): unknown appliance$/,
      );
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("main rejects an unknown command or flag with usage and exit 2", async () => {
  const unknown = await run(["capture", "x.pcap"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^appliance: unknown command "capture"\n\nUsage: appliance/);
  const flag = await run(["flows", "x.pcap", "--verbose"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^appliance: unknown option --verbose\n/);
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: appliance <command> \[options\]/);
  assert.equal(help.stderr, "");
});

Deno.test("main decode prints one JSON object per packet, tunnels and errors included", async () => {
  const inner = ipv4({ protocol: 6, src: [172, 16, 0, 1] }, tcp({ sport: 1111, dport: 80 }));
  const vxlan = udp(50000, 4789, [...hex("08000000 00002a00"), ...eth(0x0800, inner)]);
  const frames = [
    eth(0x0800, ipv4({ protocol: 17 }, vxlan)),
    eth(0x0800, ipv4({ protocol: 6 }, [])),
  ];
  const bytes = writePcap(
    frames.map((f, i) => ({ timeUs: 1_500_000 + i, frame: new Uint8Array(f) })),
  );
  await withFile(bytes, async (path) => {
    const json = await run(["decode", path, "--json"]);
    assert.equal(json.code, 0);
    assert.equal(json.stderr, "");
    const [first, second] = json.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual([first.frame, first.ts, first.layers.length], [1, 1.5, 7]);
    assert.deepEqual([first.udp.dport, first.tunnel.type, first.inner.tcp.sport], [
      4789,
      "vxlan",
      1111,
    ]);
    assert.deepEqual([second.frame, second.error.layer, second.error.kind], [
      2,
      "tcp",
      "tcp_truncated",
    ]);
    const plain = await run(["decode", path]);
    assert.equal(plain.code, 0);
    const lines = plain.stdout.trimEnd().split("\n");
    assert.match(
      lines[0]!,
      /IP 172\.16\.0\.1\.1111 > 10\.0\.0\.2\.80: Flags \[S\].*\(in vxlan 42 via/,
    );
    assert.match(
      lines[2]!,
      /^2 packets: 1 IP \(1 tunnelled\), 0 not IP, 1 malformed \(tcp_truncated 1\)$/,
    );
  });
});

Deno.test("main --filter keeps only matching packets, and a bad filter exits 2 in one line", async () => {
  await withFile(generated.bytes, async (path) => {
    const udp = await run(["flows", path, "--json", "--filter", "udp"]);
    assert.equal(udp.stderr, "");
    assert.equal(udp.code, 0);
    const records = udp.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    const expected = generated.summary.expected.filter((r) => r.protocol === 17);
    assert.ok(expected.length > 0 && expected.length < generated.summary.expected.length);
    assert.equal(records.length, expected.length);
    assert.ok(records.every((r) => r.protocol === 17));
    const bad = await run(["flows", path, "--filter", "tcp port"]);
    assert.equal(bad.code, 2);
    assert.deepEqual(stderrLines(bad.stderr), [
      'appliance: invalid filter "tcp port": can\'t parse filter expression: syntax error',
    ]);
    const decode = await run(["decode", path, "--filter", "not (ip or ip6)"]);
    assert.equal(decode.code, 0);
    assert.match(decode.stdout, /^\d+ packets matching the filter \([\d,]+ filtered out\): 0 IP/m);
  });
});
