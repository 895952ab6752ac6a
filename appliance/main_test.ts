import assert from "node:assert/strict";
import { generate } from "../tests/tools/gen_pcap.ts";
import { writePcap } from "../tests/tools/_frames.ts";
import { eth, hex, ipv4, tcp, udp } from "./decode/_testing.ts";
import { flowRecordColumns } from "./wire/mod.ts";

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
