import assert from "node:assert/strict";
import { generate } from "../../tests/tools/gen_pcap.ts";
import { readPcap } from "../capture/mod.ts";
import { eth, ipv4, packetOf, udp } from "../decode/_testing.ts";
import { Decoder, DecodeStatus } from "../decode/mod.ts";
import { buildFlows } from "../pipeline.ts";
import { FlowTable, SecondCounters } from "./mod.ts";
import type { FlowRecord, SecondRecord } from "../wire/mod.ts";

interface Tally {
  packets: number;
  bytes: number;
  rst: number;
}

/**
 * The IP packets of a classic little-endian pcap per second, read without the appliance's
 * capture or decode code: frame bytes from the record header, RST from the TCP flags of an
 * untunnelled IPv4/IPv6 (no extension headers) packet.
 */
function scanPcap(bytes: Uint8Array): Map<number, Tally> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(view.getUint32(0, true), 0xa1b2c3d4);
  const out = new Map<number, Tally>();
  for (let at = 24; at + 16 <= bytes.length;) {
    const second = view.getUint32(at, true);
    const captured = view.getUint32(at + 8, true);
    const wire = view.getUint32(at + 12, true);
    const frame = at + 16;
    at = frame + captured;
    let type = view.getUint16(frame + 12);
    let l3 = frame + 14;
    if (type === 0x8100) {
      type = view.getUint16(frame + 16);
      l3 += 4;
    }
    let protocol = -1;
    let l4 = 0;
    if (type === 0x0800) {
      protocol = bytes[l3 + 9]!;
      l4 = l3 + (bytes[l3]! & 0xf) * 4;
    } else if (type === 0x86dd) {
      protocol = bytes[l3 + 6]!;
      l4 = l3 + 40;
    } else continue;
    const t = out.get(second * 1e6) ?? { packets: 0, bytes: 0, rst: 0 };
    t.packets++;
    t.bytes += wire;
    if (protocol === 6 && (bytes[l4 + 13]! & 0x04) !== 0) t.rst++;
    out.set(second * 1e6, t);
  }
  return out;
}

function perSecond(records: readonly SecondRecord[]): Map<number, Tally> {
  const out = new Map<number, Tally>();
  for (const r of records) {
    const t = out.get(r.time) ?? { packets: 0, bytes: 0, rst: 0 };
    t.packets += r.packetTx + r.packetRx;
    t.bytes += r.byteTx + r.byteRx;
    t.rst += r.rstCount;
    out.set(r.time, t);
  }
  return out;
}

type Sums = Record<string, number>;
const keyOf = (r: FlowRecord | SecondRecord) => `${r.ip0}|${r.ip1}|${r.protocol}|${r.serverPort}`;

function add(map: Map<string, Sums>, key: string, values: Sums): void {
  const sums = map.get(key) ?? {};
  for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] ?? 0) + v;
  map.set(key, sums);
}

Deno.test("SecondCounters: per-second totals equal an independent scan of the capture", () => {
  const { bytes } = generate({ flows: 400, durationS: 90, seed: 7, scenarios: true });
  const summary = buildFlows(readPcap(bytes), { seconds: true });
  const seconds = summary.seconds!;
  assert.ok(seconds.length > 60, `${seconds.length} records`);
  assert.equal(summary.fragmentsUnmatched, 0);
  const expected = scanPcap(bytes);
  assert.ok([...expected.values()].some((t) => t.rst > 0), "the scenarios hold RSTs");
  assert.deepEqual(
    [...perSecond(seconds)].sort((a, b) => a[0] - b[0]),
    [...expected].sort((a, b) => a[0] - b[0]),
  );
  // One record per key and second, oldest first, whole seconds.
  const seen = new Set<string>();
  for (let i = 0; i < seconds.length; i++) {
    const r = seconds[i]!;
    assert.equal(r.time % 1_000_000, 0);
    if (i > 0) assert.ok(r.time >= seconds[i - 1]!.time);
    const key = `${r.time}|${keyOf(r)}`;
    assert.ok(!seen.has(key), key);
    seen.add(key);
  }
});

Deno.test("SecondCounters: per key, the seconds add up to the flow-log records", () => {
  const { bytes } = generate({ flows: 300, durationS: 200, seed: 3, scenarios: true });
  const summary = buildFlows(readPcap(bytes), { seconds: true, observationPoint: "c" });
  const fromFlows = new Map<string, Sums>();
  for (const r of summary.records) {
    add(fromFlows, keyOf(r), {
      packetTx: r.packetTx,
      packetRx: r.packetRx,
      byteTx: r.byteTx,
      byteRx: r.byteRx,
      newFlow: r.isNewFlow,
      closedFlow: r.closeType !== 0 ? 1 : 0,
    });
  }
  const fromSeconds = new Map<string, Sums>();
  for (const r of summary.seconds!) {
    assert.equal(r.observationPoint, "c");
    add(fromSeconds, keyOf(r), {
      packetTx: r.packetTx,
      packetRx: r.packetRx,
      byteTx: r.byteTx,
      byteRx: r.byteRx,
      newFlow: r.newFlow,
      closedFlow: r.closedFlow,
    });
  }
  assert.ok(fromFlows.size > 50);
  assert.deepEqual(
    [...fromSeconds].sort((a, b) => a[0].localeCompare(b[0])),
    [...fromFlows].sort((a, b) => a[0].localeCompare(b[0])),
  );
});

Deno.test("buildFlows() without `seconds` counts no seconds", () => {
  const { bytes } = generate({ flows: 10, durationS: 10 });
  assert.equal(buildFlows(readPcap(bytes)).seconds, undefined);
});

Deno.test("SecondCounters.advance() ends seconds by the wall clock; a late packet joins the open one", () => {
  const decoder = new Decoder();
  const table = new FlowTable();
  const seconds = new SecondCounters({ observationPoint: "s" });
  const t0 = Date.UTC(2026, 11, 5, 10, 0, 0) * 1000;
  const send = (timeUs: number, fromClient: boolean) => {
    const frame = eth(
      0x0800,
      fromClient
        ? ipv4({ protocol: 17, src: [10, 0, 0, 1], dst: [10, 0, 0, 2] }, udp(40000, 53, [1, 2]))
        : ipv4({ protocol: 17, src: [10, 0, 0, 2], dst: [10, 0, 0, 1] }, udp(53, 40000, [3])),
    );
    assert.equal(decoder.decode(packetOf(frame, { timeUs })), DecodeStatus.Ok);
    const side = table.add(decoder.out);
    seconds.count(decoder.out, side, table.flowIdOf(side >> 1));
  };
  send(t0 + 100, true);
  send(t0 + 900_000, false);
  seconds.advance(t0 + 999_999);
  assert.deepEqual(seconds.drain(), []);
  seconds.advance(t0 + 1_200_000);
  const [first, ...rest] = seconds.drain();
  assert.deepEqual(rest, []);
  assert.deepEqual(
    { ...first },
    {
      time: t0,
      ipVersion: 4,
      ip0: "10.0.0.1",
      ip1: "10.0.0.2",
      protocol: 17,
      serverPort: 53,
      captureNic: 0,
      observationPoint: "s",
      packetTx: 1,
      packetRx: 1,
      byteTx: 44,
      byteRx: 43,
      newFlow: 1,
      closedFlow: 0,
      rstCount: 0,
    },
  );
  // Timestamped before the open second (the clock moved on): counted into it.
  send(t0 + 950_000, true);
  seconds.finish();
  const [late] = seconds.drain();
  assert.equal(late!.time, t0 + 1_000_000);
  assert.equal(late!.packetTx, 1);
  assert.equal(late!.newFlow, 0);
});

/** Runs a capture through a flow table and `SecondCounters` made with `options`. */
function countSeconds(bytes: Uint8Array, maxKeys?: number): SecondRecord[] {
  const decoder = new Decoder();
  const seconds = new SecondCounters({ maxKeys });
  const table: FlowTable = new FlowTable({
    onFlowEnd: (slot) => seconds.ended(slot, table.clock),
  });
  const source = readPcap(bytes);
  while (source.next()) {
    if (decoder.decode(source.packet) !== DecodeStatus.Ok) continue;
    const side = table.add(decoder.out);
    if (side >= 0) seconds.count(decoder.out, side, table.flowIdOf(side >> 1));
  }
  table.finish();
  seconds.finish();
  return seconds.drain();
}

Deno.test("SecondCounters: forgetting keys between seconds changes no record", () => {
  const { bytes } = generate({ flows: 300, durationS: 60, seed: 11, scenarios: true });
  const text = (records: SecondRecord[]) => records.map((r) => JSON.stringify(r)).sort();
  const kept = countSeconds(bytes);
  // Four keys kept: the key table is emptied at almost every second's end, and live flows
  // look their keys up again (their packets must still count under the same key).
  const forgetting = countSeconds(bytes, 4);
  assert.ok(kept.length > 100, `${kept.length} records`);
  assert.ok(new Set(kept.map(keyOf)).size > 20, "many keys");
  assert.deepEqual(text(forgetting), text(kept));
});
