import assert from "node:assert/strict";
import { readPcap } from "../../appliance/capture/mod.ts";
import { DEFAULT_START_MS, generate, generateCapture } from "./gen_pcap.ts";
import { generateNatScenario } from "./_nat.ts";

Deno.test("generateCapture() is deterministic for the same options", () => {
  const a = generateCapture({ flows: 40 });
  const b = generateCapture({ flows: 40 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(generateCapture({ flows: 40, seed: 2 }), a);
});

Deno.test("generate() spreads flows over the duration from the start", () => {
  const start = Date.UTC(2026, 4, 1, 12);
  const { summary } = generate({ flows: 50, start, durationS: 120 });
  assert.ok(summary.firstUs >= start * 1000);
  assert.ok(summary.lastUs <= (start + 120_000) * 1000);
  assert.ok(summary.lastUs - summary.firstUs > 60e6, "flows are spread, not bunched");
  assert.equal(generate({ flows: 1 }).summary.firstUs, DEFAULT_START_MS * 1000);
});

Deno.test("generate() output is readable by readPcap() with the summary's counts", () => {
  const { bytes, summary } = generate({ flows: 80 });
  const reader = readPcap(bytes);
  let packets = 0;
  let frameBytes = 0;
  let last = 0;
  while (reader.next()) {
    packets++;
    frameBytes += reader.packet.originalLength;
    assert.ok(reader.packet.timestampUs >= last, "packets are in time order");
    last = reader.packet.timestampUs;
  }
  assert.equal(reader.error, undefined);
  assert.equal(packets, summary.packets);
  assert.equal(frameBytes, summary.bytes);
  assert.equal(summary.flows, 80);
  assert.equal(summary.tcpFlows + summary.udpFlows, 80);
  assert.ok(summary.ipv6Flows > 0 && summary.retransmissions > 0 && summary.resets > 0);
  assert.ok(summary.nxdomain > 0 && summary.httpResponses["404"]! > 0);
  assert.ok(summary.httpResponses["500"]! > 0);
});

function tsharkAvailable(): boolean {
  try {
    return new Deno.Command("tshark", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const FIELDS = [
  "http.request.method",
  "http.response.code",
  "dns.flags.response",
  "dns.flags.rcode",
  "tcp.analysis.retransmission",
  "_ws.malformed",
  "ip.checksum.status",
  "tcp.checksum.status",
  "udp.checksum.status",
  "_ws.expert.severity",
  "tcp.flags.reset",
];
/** Wireshark's PI_WARN; RST packets carry a warning on purpose ("Connection reset"). */
const SEVERITY_WARNING = 0x00600000;

Deno.test({
  name: "generate() output passes tshark's checksum and malformed checks, with the same counts",
  ignore: !tsharkAvailable(),
  async fn() {
    const { bytes, summary } = generate({ flows: 90, seed: 7 });
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    try {
      await Deno.writeFile(path, bytes);
      const args = ["-n", "-r", path, "-T", "fields", "-E", "separator=/t"];
      for (const check of ["ip", "tcp", "udp"]) args.push("-o", `${check}.check_checksum:TRUE`);
      for (const field of FIELDS) args.push("-e", field);
      const output = await new Deno.Command("tshark", { args, stdout: "piped", stderr: "null" })
        .output();
      assert.ok(output.success);
      const rows = new TextDecoder().decode(output.stdout).trimEnd().split("\n").map((line) => {
        const cells = line.split("\t");
        return Object.fromEntries(FIELDS.map((f, i) => [f, cells[i] ?? ""]));
      });
      assert.equal(rows.length, summary.packets);
      const count = (test: (row: Record<string, string>) => boolean) => rows.filter(test).length;
      assert.equal(count((r) => r["_ws.malformed"] !== ""), 0);
      for (const check of ["ip", "tcp", "udp"]) {
        const field = `${check}.checksum.status`;
        assert.equal(count((r) => r[field] !== "" && r[field] !== "1"), 0, `${check} checksums`);
      }
      const severe = count((r) =>
        r["tcp.flags.reset"] !== "1" &&
        r["_ws.expert.severity"]!.split(",").some((s) => Number(s) >= SEVERITY_WARNING)
      );
      assert.equal(severe, 0, "no warnings apart from connection resets");
      assert.equal(count((r) => r["http.request.method"] !== ""), summary.httpRequests);
      for (const [code, n] of Object.entries(summary.httpResponses)) {
        assert.equal(count((r) => r["http.response.code"] === code), n, `HTTP ${code}`);
      }
      assert.equal(count((r) => r["dns.flags.response"] === "0"), summary.dnsQueries);
      assert.equal(count((r) => r["dns.flags.response"] === "1"), summary.dnsResponses);
      assert.equal(count((r) => r["dns.flags.rcode"] === "3"), summary.nxdomain);
      assert.equal(count((r) => r["tcp.analysis.retransmission"] !== ""), summary.retransmissions);
      assert.equal(count((r) => r["tcp.flags.reset"] === "1"), summary.resets);
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test("generate() adds the scenario flows, the same whatever else it makes", () => {
  const alone = generate({ flows: 0, scenarios: true }).summary;
  const mixed = generate({ flows: 50, seed: 9, scenarios: true }).summary;
  const names = alone.scenarios.map((s) => s.name);
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.includes("client-syn-repeat") && names.includes("long-flow"));
  assert.deepEqual(mixed.scenarios.map((s) => s.name), names);
  assert.deepEqual(
    mixed.scenarios.map((s) => [s.ip0, s.clientPort]),
    alone.scenarios.map((s) => [s.ip0, s.clientPort]),
  );
  assert.equal(alone.flows, names.length);
  assert.equal(mixed.flows, 50 + names.length);
  assert.ok(alone.lastUs - alone.firstUs > 7 * 60e6, "the scenarios span about 7 minutes");
  // The default capture has none, and is unchanged by the option's existence.
  assert.deepEqual(generate({ flows: 50, seed: 9 }).summary.scenarios, []);
});

Deno.test({
  name: "generate() scenarios pass tshark's checks and resend what the summary says",
  ignore: !tsharkAvailable(),
  async fn() {
    const { bytes, summary } = generate({ flows: 0, scenarios: true });
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    try {
      await Deno.writeFile(path, bytes);
      const fields = ["_ws.malformed", "tcp.checksum.status", "ip.checksum.status"];
      const args = ["-n", "-r", path, "-T", "fields", "-E", "separator=/t"];
      for (const check of ["ip", "tcp"]) args.push("-o", `${check}.check_checksum:TRUE`);
      // A one-byte keep-alive repeats a byte that HTTP reassembly already used, which tshark
      // reports as a reassembly error ("retransmission?"): it is one, on purpose.
      args.push("-o", "tcp.desegment_tcp_streams:FALSE");
      args.push("-e", "tcp.analysis.retransmission", "-e", "tcp.analysis.zero_window");
      for (const field of fields) args.push("-e", field);
      const output = await new Deno.Command("tshark", { args, stdout: "piped", stderr: "null" })
        .output();
      assert.ok(output.success);
      const rows = new TextDecoder().decode(output.stdout).trimEnd().split("\n").map((l) =>
        l.split("\t")
      );
      assert.equal(rows.length, summary.packets);
      const count = (column: number, test: (cell: string) => boolean) =>
        rows.filter((r) => test(r[column] ?? "")).length;
      assert.equal(count(2, (c) => c !== ""), 0, "malformed");
      assert.equal(count(3, (c) => c !== "" && c !== "1"), 0, "TCP checksums");
      assert.equal(count(4, (c) => c !== "" && c !== "1"), 0, "IP checksums");
      const sum = (key: "retransTx" | "retransRx" | "zeroWinTx" | "zeroWinRx") =>
        summary.expected.reduce((n, r) => n + r[key], 0);
      assert.equal(count(0, (c) => c !== ""), sum("retransTx") + sum("retransRx"));
      assert.equal(count(1, (c) => c !== ""), sum("zeroWinTx") + sum("zeroWinRx"));
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test("gen_pcap.ts writes the capture and prints its summary as a command", async () => {
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./gen_pcap.ts", import.meta.url).pathname,
        "--out",
        path,
        "--flows",
        "12",
        "--start",
        "2026-03-01T10:00:00Z",
        "--duration-s",
        "60",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(output.stderr), "");
    assert.equal(output.code, 0);
    const printed = JSON.parse(new TextDecoder().decode(output.stdout));
    const { bytes, summary } = generate({
      flows: 12,
      start: Date.UTC(2026, 2, 1, 10),
      durationS: 60,
    });
    assert.deepEqual(await Deno.readFile(path), bytes);
    assert.equal(printed.packets, summary.packets);
    assert.equal(printed.flows, 12);
    assert.equal(printed.expected, undefined, "the records are not printed");
    const scenarios = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./gen_pcap.ts", import.meta.url).pathname,
        "--out",
        path,
        "--flows",
        "0",
        "--scenarios",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(scenarios.code, 0);
    const listed = JSON.parse(new TextDecoder().decode(scenarios.stdout)).scenarios;
    assert.deepEqual(listed, generate({ flows: 0, scenarios: true }).summary.scenarios);
    const bad = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./gen_pcap.ts", import.meta.url).pathname, "--flows", "x"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bad.code, 2);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("gen_pcap.ts --nat writes the outside and inside files of the NAT scenario", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tapline-nat-" });
  try {
    const run = (...extra: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("./gen_pcap.ts", import.meta.url).pathname, ...extra],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const output = await run("--nat", "--out", `${dir}/nat.pcap`, "--flows", "2", "--seed", "5");
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const printed = JSON.parse(new TextDecoder().decode(output.stdout));
    const scenario = generateNatScenario({ connections: 2, seed: 5 });
    for (const [i, point] of scenario.points.entries()) {
      assert.equal(printed.nat[i].file, `${dir}/nat-${point.name}.pcap`);
      assert.equal(printed.nat[i].captureNic, point.captureNic);
      assert.deepEqual(await Deno.readFile(printed.nat[i].file), point.pcap);
    }
    assert.deepEqual(printed.connections[1].inside, scenario.connections[1]!.inside);
    const bad = await run("--out", `${dir}/x.pcap`, "--randomize-seq");
    assert.equal(bad.code, 2);
    assert.match(new TextDecoder().decode(bad.stderr), /--randomize-seq: needs --nat/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
