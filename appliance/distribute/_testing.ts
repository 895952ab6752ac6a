/** Frame builders for the distribution tests (checksums left zero: nothing here checks them). */
import { CapturedPacket } from "../capture/mod.ts";
import type { DistributionPoint, DistributionPolicy } from "./types.ts";

export const MAC_DST = [2, 0, 0, 0, 0, 2];
export const MAC_SRC = [2, 0, 0, 0, 0, 1];

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

export function ether(type: number, payload: number[], vlans: number[] = []): number[] {
  return [
    ...MAC_DST,
    ...MAC_SRC,
    ...vlans.flatMap((v) => [0x81, 0, ...u16(v)]),
    ...u16(type),
    ...payload,
  ];
}

export function ip4(
  protocol: number,
  payload: number[],
  o: { src?: number[]; dst?: number[]; ttl?: number; checksum?: number } = {},
): number[] {
  return [
    0x45,
    0,
    ...u16(20 + payload.length),
    0x12,
    0x34,
    0,
    0,
    o.ttl ?? 64,
    protocol,
    ...u16(o.checksum ?? 0),
    ...(o.src ?? [10, 0, 0, 1]),
    ...(o.dst ?? [10, 0, 0, 2]),
    ...payload,
  ];
}

export function ip6(next: number, payload: number[], hopLimit = 64): number[] {
  const a = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1];
  const b = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 2];
  return [0x60, 0, 0, 0, ...u16(payload.length), next, hopLimit, ...a, ...b, ...payload];
}

export function udp4(sport: number, dport: number, payload: number[]): number[] {
  return [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
}

/** A TCP header of 20 bytes (flags default ACK|PSH). */
export function tcp4(sport: number, dport: number, payload: number[], flags = 0x18): number[] {
  return [
    ...u16(sport),
    ...u16(dport),
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0x50,
    flags,
    0xff,
    0xff,
    0,
    0,
    0,
    0,
    ...payload,
  ];
}

/** An Ethernet/IPv4/TCP frame from port `sport` to `dport` with `payload`. */
export function tcpFrame(sport: number, dport: number, payload: number[], ttl = 64): number[] {
  return ether(0x0800, ip4(6, tcp4(sport, dport, payload), { ttl, checksum: 0x1000 + ttl }));
}

export function packet(bytes: number[], timeUs = 1_000_000, linkType = 1): CapturedPacket {
  const p = new CapturedPacket();
  p.buffer = new Uint8Array([0xee, 0xee, 0xee, ...bytes]);
  p.dataOffset = 3;
  p.capturedLength = bytes.length;
  p.originalLength = bytes.length;
  p.linkType = linkType;
  p.timestampUs = timeUs;
  return p;
}

export function point(o: Partial<DistributionPoint> = {}): DistributionPoint {
  return {
    id: "p1",
    name: "",
    tunnel: "vxlan",
    vni: 100,
    sessionId: 0,
    destination: "127.0.0.1",
    source: null,
    port: 4789,
    mtu: 1500,
    vlan: null,
    ...o,
  };
}

export function policy(o: Partial<DistributionPolicy> = {}): DistributionPolicy {
  return {
    id: "a",
    name: "",
    enabled: true,
    direction: "both",
    filter: "",
    action: "distribute",
    slice: null,
    dedup: { enabled: false, windowMs: 1000 },
    bandwidthBps: null,
    fuseBps: null,
    points: [point()],
    mode: "replicate",
    strip: { vlan: false, vxlan: false, gre: false },
    masks: [],
    ...o,
  };
}
