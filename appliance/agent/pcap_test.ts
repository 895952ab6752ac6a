import assert from "node:assert/strict";
import { generate } from "../../tests/tools/gen_pcap.ts";
import { openCapture } from "../capture/mod.ts";
import { Decoder, DecodeStatus } from "../decode/mod.ts";
import { filterOptionsFor, PacketFilter } from "../policy/mod.ts";
import { AgentPcap } from "./pcap.ts";
import type { ConfigDocument } from "./config_sync.ts";

function doc(pcap: unknown[], quotaBytes: number | null = null): ConfigDocument {
  return {
    version: 1,
    applianceId: "a",
    name: "a",
    group: null,
    capturePoints: [],
    reporting: { batchRecords: 1000, flushSeconds: 5, spoolMaxBytes: 1e9, heartbeatSeconds: 5 },
    policies: { distribution: [], pcap },
    pcapStorage: { quotaBytes, quotaPercent: null },
    entitlement: null,
  };
}

Deno.test("AgentPcap keeps what the config's policies select and summarizes it per flow", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tapline-agent-pcap-" });
  const said: string[] = [];
  const pcap = new AgentPcap({ stateDir: dir, log: (l) => said.push(l) });
  try {
    const config = doc([
      { id: "tcp", filter: "tcp", truncateBytes: 64 },
      { id: "bad", filter: "tcp port" },
      { id: "neg", truncateBytes: -1 },
    ]);
    pcap.apply(config);
    assert.ok(
      said.some((l) => /policy bad: .*syntax error; the policy is left out/.test(l)),
      said.join("\n"),
    );
    assert.ok(said.some((l) => /policies\.pcap\[2\]\.truncateBytes/.test(l)), said.join("\n"));
    assert.ok(said.some((l) => /1 enabled policy/.test(l)), said.join("\n"));
    const first = pcap.store;
    pcap.apply(structuredClone(config));
    assert.equal(pcap.store, first, "the same policies do not reopen the store");

    const { bytes } = generate({ flows: 40, seed: 7 });
    const source = openCapture(bytes);
    const tcp = new PacketFilter("tcp", source.linkType, filterOptionsFor(source));
    const decoder = new Decoder();
    let expected = 0;
    while (source.next()) {
      if (tcp.matches(source.packet)) expected++;
      const ok = decoder.decode(source.packet) === DecodeStatus.Ok;
      pcap.offer(source.packet, ok ? decoder.out : undefined, "replay.pcap");
    }
    assert.ok(expected > 0);
    assert.equal(pcap.store!.counters()[0]!.kept, expected);
    pcap.close();
    const records = pcap.drain();
    assert.equal(
      records.reduce((n, r) => n + r.packets, 0),
      expected,
      "every kept packet in a flow",
    );
    assert.ok(records.every((r) => r.policy === "tcp" && r.protocol === 6 && r.evicted === 0));
    const files = [...Deno.readDirSync(`${dir}/pcap/tcp`)].map((e) => e.name);
    assert.ok(files.length > 0 && files.every((f) => f.endsWith(".pcapng")), files.join());

    // A new quota reopens the store (the files stay).
    pcap.apply(doc([{ id: "tcp", filter: "tcp", truncateBytes: 64 }], 10_000_000));
    assert.notEqual(pcap.store, undefined);
    assert.equal([...Deno.readDirSync(`${dir}/pcap/tcp`)].length, files.length);
  } finally {
    pcap.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AgentPcap: a policy or quota change keeps the packet/byte counts and duration window of the policies that did not change", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tapline-agent-pcap-limits-" });
  const pcap = new AgentPcap({ stateDir: dir, log: () => {} });
  try {
    const { bytes } = generate({ flows: 40, seed: 5 });
    const packets: Parameters<AgentPcap["offer"]>[0][] = [];
    for (const source = openCapture(bytes); source.next();) {
      packets.push({ ...source.packet, data: source.packet.data.slice() });
    }
    assert.ok(packets.length > 60, `${packets.length} packets`);
    const offer = (from: number, to: number) => {
      for (const p of packets.slice(from, to)) pcap.offer(p, undefined, "eth1");
    };
    const counters = (id: string) => pcap.store!.counters().find((c) => c.policy === id)!;
    const capped = { id: "capped", maxPackets: 20 };
    const window = { id: "window", durationSeconds: 1 };
    pcap.apply(doc([capped, window]));
    offer(0, 30);
    assert.equal(counters("capped").kept, 20);
    assert.equal(counters("capped").overLimit, 10);
    const windowKept = counters("window").kept;
    assert.ok(windowKept > 0);

    // Another policy and a quota: the store reopens; "capped" stays at its limit, "window"
    // stays in the window its first packet opened.
    const before = pcap.store;
    pcap.apply(doc([capped, window, { id: "new", maxPackets: 5 }], 50_000_000));
    assert.notEqual(pcap.store, before, "reopened");
    assert.equal(counters("capped").kept, 20, "not a fresh limit");
    offer(30, 60);
    assert.equal(counters("capped").kept, 20);
    assert.equal(counters("capped").overLimit, 40);
    assert.equal(counters("window").kept, windowKept, "the same duration window");
    assert.equal(counters("new").kept, 5);

    // A changed policy starts again.
    pcap.apply(doc([{ ...capped, maxPackets: 25 }, window, { id: "new", maxPackets: 5 }]));
    assert.equal(counters("capped").kept, 0);
    assert.equal(counters("new").kept, 5, "unchanged");
    offer(0, 30);
    assert.equal(counters("capped").kept, 25);
  } finally {
    pcap.close();
    await Deno.remove(dir, { recursive: true });
  }
});
