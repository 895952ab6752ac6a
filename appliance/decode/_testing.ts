/** Frame builders for the decode tests: just enough of each header, checksums left zero. */
import { CapturedPacket } from "../capture/mod.ts";
import { DecodedPacket, Decoder, type DecoderOptions, DecodeStatus } from "./mod.ts";

export function hex(text: string): number[] {
  return text.replace(/\s+/g, "").match(/../g)!.map((pair) => parseInt(pair, 16));
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

export const MAC_A = hex("020000000001");
export const MAC_B = hex("020000000002");

export function eth(type: number, payload: number[]): number[] {
  return [...MAC_B, ...MAC_A, ...u16(type), ...payload];
}

export interface Ipv4Options {
  protocol: number;
  src?: number[];
  dst?: number[];
  id?: number;
  /** Fragment offset in bytes (a multiple of 8). */
  offset?: number;
  more?: boolean;
  ttl?: number;
  /** Total length to write instead of the real one. */
  total?: number;
}

export function ipv4(o: Ipv4Options, payload: number[]): number[] {
  const flags = (o.more ? 0x2000 : 0) | ((o.offset ?? 0) >> 3);
  return [
    0x45,
    0,
    ...u16(o.total ?? 20 + payload.length),
    ...u16(o.id ?? 0x1234),
    ...u16(flags),
    o.ttl ?? 64,
    o.protocol,
    0,
    0,
    ...(o.src ?? [10, 0, 0, 1]),
    ...(o.dst ?? [10, 0, 0, 2]),
    ...payload,
  ];
}

export const V6_A = hex("20010db8000000000000000000000001");
export const V6_B = hex("20010db8000000000000000000000002");

export function ipv6(next: number, payload: number[], src = V6_A, dst = V6_B): number[] {
  return [0x60, 0, 0, 0, ...u16(payload.length), next, 64, ...src, ...dst, ...payload];
}

export function udp(sport: number, dport: number, payload: number[]): number[] {
  return [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
}

export interface TcpOptions {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  urgent?: number;
  /** Option bytes; padded to 4 with end-of-list. */
  options?: number[];
}

export function tcp(o: TcpOptions, payload: number[] = []): number[] {
  const options = [...(o.options ?? [])];
  while (options.length % 4 !== 0) options.push(0);
  const words = 5 + options.length / 4;
  return [
    ...u16(o.sport ?? 40000),
    ...u16(o.dport ?? 80),
    ...u32(o.seq ?? 100),
    ...u32(o.ack ?? 0),
    words << 4,
    o.flags ?? 0x02,
    ...u16(o.window ?? 65535),
    0,
    0,
    ...u16(o.urgent ?? 0),
    ...options,
    ...payload,
  ];
}

/** A captured packet over the bytes, which start at offset 2 (frames need not start at 0). */
export function packetOf(
  bytes: number[],
  options: { linkType?: number; originalLength?: number; number?: number; timeUs?: number } = {},
): CapturedPacket {
  const packet = new CapturedPacket();
  packet.buffer = new Uint8Array([0xee, 0xee, ...bytes]);
  packet.dataOffset = 2;
  packet.capturedLength = bytes.length;
  packet.originalLength = options.originalLength ?? bytes.length;
  packet.linkType = options.linkType ?? 1;
  packet.number = options.number ?? 7;
  packet.timestampUs = options.timeUs ?? 0;
  return packet;
}

export function decodeOne(
  bytes: number[],
  options: { linkType?: number; originalLength?: number; decoder?: DecoderOptions } = {},
): { status: DecodeStatus; out: DecodedPacket; decoder: Decoder } {
  const decoder = new Decoder(options.decoder);
  const status = decoder.decode(packetOf(bytes, options));
  return { status, out: decoder.out, decoder };
}

/** The layer names of the packet just decoded. */
export function layerNames(out: DecodedPacket, names: readonly string[]): string[] {
  return [...out.layers.subarray(0, out.layerCount)].map((l) => names[l]!);
}
