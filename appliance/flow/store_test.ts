import assert from "node:assert/strict";
import * as F from "./store.ts";
import { FlowStore } from "./store.ts";

/** Every field of a slot: its byte offset in the slot and its size in bytes. */
function fieldBytes(): { name: string; start: number; end: number }[] {
  const f64 = (name: string, at: number, n = 1) => ({ name, start: at * 8, end: (at + n) * 8 });
  const u32 = (name: string, at: number, n = 1) => ({ name, start: at * 4, end: (at + n) * 4 });
  const u16 = (name: string, at: number, n = 1) => ({ name, start: at * 2, end: (at + n) * 2 });
  const u8 = (name: string, at: number) => ({ name, start: at, end: at + 1 });
  return [
    f64("LAST_TIME", F.LAST_TIME),
    f64("BYTES", F.BYTES, 2),
    f64("L3_BYTES", F.L3_BYTES, 2),
    f64("L4_BYTES", F.L4_BYTES, 2),
    f64("EVENT_TIME", F.EVENT_TIME),
    f64("FIRST_TIME", F.FIRST_TIME),
    f64("FLOW_ID", F.FLOW_ID),
    f64("SRT_SUM", F.SRT_SUM),
    f64("ART_SUM", F.ART_SUM),
    u32("HASH", F.HASH),
    u32("ADDR", F.ADDR, 8),
    u32("TUNNEL_ID", F.TUNNEL_ID),
    u32("PACKETS", F.PACKETS, 2),
    u32("NEXT_SEQ", F.NEXT_SEQ, 2),
    u32("ACK_SEEN", F.ACK_SEEN, 2),
    u32("SRT_SEQ", F.SRT_SEQ),
    u32("RETRANS", F.RETRANS, 2),
    u32("ZERO_WIN", F.ZERO_WIN, 2),
    u32("HOLE_START", F.HOLE_START, 2),
    u32("HOLE_END", F.HOLE_END, 2),
    u32("SRT_COUNT", F.SRT_COUNT),
    u32("SRT_MAX", F.SRT_MAX),
    u32("ART_COUNT", F.ART_COUNT),
    u32("ART_MAX", F.ART_MAX),
    u32("SYN_SEQ", F.SYN_SEQ),
    u32("SYN_ACK_SEQ", F.SYN_ACK_SEQ),
    u32("KEEPALIVE_SEQ", F.KEEPALIVE_SEQ),
    u32("KEEPALIVE_ACK", F.KEEPALIVE_ACK),
    u32("RTT_CLIENT", F.RTT_CLIENT),
    u32("RTT_SERVER", F.RTT_SERVER),
    u32("PREV", F.PREV),
    u32("NEXT", F.NEXT),
    u16("PORTS", F.PORTS, 2),
    u16("VLAN", F.VLAN),
    u16("CAPTURE_POINT", F.CAPTURE_POINT),
    u16("FLAGS", F.FLAGS, 2),
    u16("TOTAL_FLAGS", F.TOTAL_FLAGS, 2),
    u16("BITS", F.BITS),
    u16("SYN_COUNT", F.SYN_COUNT),
    u16("SYNACK_COUNT", F.SYNACK_COUNT),
    u16("RETRANS_SYN", F.RETRANS_SYN),
    u16("RETRANS_SYNACK", F.RETRANS_SYNACK),
    u8("PROTOCOL", F.PROTOCOL),
    u8("IP_VERSION", F.IP_VERSION),
    u8("TUNNEL_TYPE", F.TUNNEL_TYPE),
    u8("TIMEOUT_CLASS", F.TIMEOUT_CLASS),
    u8("STATE", F.STATE),
    u8("CLOSE_TYPE", F.CLOSE_TYPE),
  ];
}

Deno.test("FlowStore's slot layout has no overlapping fields and fits its stride", () => {
  const fields = fieldBytes().sort((a, b) => a.start - b.start);
  for (const [i, field] of fields.entries()) {
    assert.ok(field.start >= 0 && field.end <= F.STRIDE_BYTES, `${field.name} outside the slot`);
    const next = fields[i + 1];
    if (next !== undefined) {
      assert.ok(field.end <= next.start, `${field.name} overlaps ${next.name}`);
    }
  }
  assert.equal(F.STRIDE_BYTES % 8, 0);
});

Deno.test("FlowStore's word fields read the small fields they cover", () => {
  const s = new FlowStore(4);
  const slot = s.allocate(7);
  const u = slot * F.U32_STRIDE;
  s.u16[u * 2 + F.PORTS] = 51_000;
  s.u16[u * 2 + F.PORTS + 1] = 443;
  s.u8[u * 4 + F.PROTOCOL] = 6;
  s.u8[u * 4 + F.IP_VERSION] = 4;
  s.u8[u * 4 + F.TUNNEL_TYPE] = 1;
  s.u16[u * 2 + F.VLAN] = 4094;
  s.u16[u * 2 + F.CAPTURE_POINT] = 40_000;
  assert.equal(s.u32[u + F.PORT_PAIR], (51_000 | (443 << 16)) >>> 0);
  assert.equal(s.u32[u + F.KIND]! & 0xffffff, 6 | (4 << 8) | (1 << 16));
  assert.equal(s.u32[u + F.VLAN_POINT], (4094 | (40_000 << 16)) >>> 0);
});

Deno.test("FlowStore.allocate() clears a reused slot and grow() keeps every live slot findable", () => {
  const s = new FlowStore(4);
  const slots: number[] = [];
  for (let i = 0; i < 4; i++) {
    const slot = s.allocate(i * 0x9e3779b1 >>> 0);
    s.f64[slot * F.F64_STRIDE + F.FLOW_ID] = i + 1;
    s.u32[slot * F.U32_STRIDE + F.PACKETS] = 100 + i;
    s.link(slot, 0);
    slots.push(slot);
  }
  s.release(slots[1]!);
  const again = s.allocate(12345);
  assert.equal(again, slots[1]);
  assert.equal(s.u32[again * F.U32_STRIDE + F.PACKETS], 0);
  assert.equal(s.flowId(again), 0);
  s.f64[again * F.F64_STRIDE + F.FLOW_ID] = 9;
  s.link(again, 0);
  s.grow(16);
  assert.equal(s.capacity, 16);
  for (const slot of [slots[0]!, again, slots[2]!, slots[3]!]) {
    const hash = s.u32[slot * F.U32_STRIDE + F.HASH]!;
    const mask = s.index.length - 1;
    let i = hash & mask;
    while (s.index[i] !== 0 && s.index[i] !== slot + 1) i = (i + 1) & mask;
    assert.equal(s.index[i], slot + 1, `slot ${slot} not in the rebuilt index`);
  }
  assert.equal(s.u32[slots[3]! * F.U32_STRIDE + F.PACKETS], 103);
  assert.equal(s.flowId(again), 9);
  assert.equal(s.live, 4);
});
