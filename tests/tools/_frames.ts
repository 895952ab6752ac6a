/** Frame building for the traffic generator: Ethernet, IPv4/IPv6, TCP/UDP with checksums, pcap. */

export interface Host {
  version: 4 | 6;
  text: string;
  ip: Uint8Array;
  mac: Uint8Array;
  /** Next IPv4 identification this host sends. */
  ipId: number;
}

function parseIpv4(text: string): Uint8Array {
  return new Uint8Array(text.split(".").map(Number));
}

function parseIpv6(text: string): Uint8Array {
  const [head = "", tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined
    ? left
    : [...left, ...new Array(8 - left.length - right.length).fill("0"), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}

/** A host whose MAC is derived from its address (locally administered, unicast). */
export function makeHost(text: string, ipId = 1): Host {
  const version = text.includes(":") ? 6 : 4;
  const ip = version === 4 ? parseIpv4(text) : parseIpv6(text);
  const mac = new Uint8Array([0x02, 0x54, ...ip.subarray(ip.length - 4)]);
  return { version, text, ip, mac, ipId };
}

/** RFC 1071 Internet checksum of the given parts, as the value to put in the header. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i + 1 < part.length; i += 2) sum += (part[i]! << 8) | part[i + 1]!;
    if (part.length % 2 === 1) sum += part[part.length - 1]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoHeader(from: Host, to: Host, protocol: number, length: number): Uint8Array {
  if (from.version === 4) {
    const p = new Uint8Array(12);
    p.set(from.ip, 0);
    p.set(to.ip, 4);
    p[9] = protocol;
    p[10] = length >> 8;
    p[11] = length & 0xff;
    return p;
  }
  const p = new Uint8Array(40);
  p.set(from.ip, 0);
  p.set(to.ip, 16);
  new DataView(p.buffer).setUint32(32, length);
  p[39] = protocol;
  return p;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  options?: Uint8Array;
  payload?: Uint8Array;
}

export function tcpSegment(from: Host, to: Host, f: TcpFields): Uint8Array {
  const options = f.options ?? new Uint8Array(0);
  const payload = f.payload ?? new Uint8Array(0);
  const headerLength = 20 + options.length;
  const segment = new Uint8Array(headerLength + payload.length);
  const view = new DataView(segment.buffer);
  view.setUint16(0, f.srcPort);
  view.setUint16(2, f.dstPort);
  view.setUint32(4, f.seq >>> 0);
  view.setUint32(8, f.flags & TCP_ACK ? f.ack >>> 0 : 0);
  segment[12] = (headerLength / 4) << 4;
  segment[13] = f.flags;
  view.setUint16(14, f.window);
  segment.set(options, 20);
  segment.set(payload, headerLength);
  view.setUint16(16, internetChecksum(pseudoHeader(from, to, 6, segment.length), segment));
  return segment;
}

export function udpDatagram(
  from: Host,
  to: Host,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
): Uint8Array {
  const datagram = new Uint8Array(8 + payload.length);
  const view = new DataView(datagram.buffer);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint16(4, datagram.length);
  datagram.set(payload, 8);
  const sum = internetChecksum(pseudoHeader(from, to, 17, datagram.length), datagram);
  // RFC 768: a computed zero is sent as all ones (zero means "no checksum").
  view.setUint16(6, sum === 0 ? 0xffff : sum);
  return datagram;
}

/** Ethernet + IP around a transport segment, padded to the 60-byte Ethernet minimum. */
export function ipFrame(from: Host, to: Host, protocol: number, segment: Uint8Array): Uint8Array {
  const ipHeaderLength = from.version === 4 ? 20 : 40;
  const length = Math.max(60, 14 + ipHeaderLength + segment.length);
  const frame = new Uint8Array(length);
  const view = new DataView(frame.buffer);
  frame.set(to.mac, 0);
  frame.set(from.mac, 6);
  view.setUint16(12, from.version === 4 ? 0x0800 : 0x86dd);
  const ip = frame.subarray(14, 14 + ipHeaderLength);
  const ipView = new DataView(frame.buffer, 14, ipHeaderLength);
  if (from.version === 4) {
    ip[0] = 0x45;
    ipView.setUint16(2, ipHeaderLength + segment.length);
    ipView.setUint16(4, from.ipId);
    from.ipId = (from.ipId + 1) & 0xffff;
    ipView.setUint16(6, 0x4000); // don't fragment
    ip[8] = 64;
    ip[9] = protocol;
    ip.set(from.ip, 12);
    ip.set(to.ip, 16);
    ipView.setUint16(10, internetChecksum(ip));
  } else {
    ipView.setUint32(0, 0x60000000);
    ipView.setUint16(4, segment.length);
    ip[6] = protocol;
    ip[7] = 64;
    ip.set(from.ip, 8);
    ip.set(to.ip, 24);
  }
  frame.set(segment, 14 + ipHeaderLength);
  return frame;
}

/** ARP request or reply (RFC 826) for IPv4 hosts. */
export function arpFrame(from: Host, to: Host, reply: boolean): Uint8Array {
  const frame = new Uint8Array(60);
  const view = new DataView(frame.buffer);
  frame.set(reply ? to.mac : [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
  frame.set(from.mac, 6);
  view.setUint16(12, 0x0806);
  view.setUint16(14, 1);
  view.setUint16(16, 0x0800);
  frame[18] = 6;
  frame[19] = 4;
  view.setUint16(20, reply ? 2 : 1);
  frame.set(from.mac, 22);
  frame.set(from.ip, 28);
  if (reply) frame.set(to.mac, 32);
  frame.set(to.ip, 38);
  return frame;
}

/** Classic pcap, little-endian, microsecond timestamps, Ethernet. */
export function writePcap(packets: { timeUs: number; frame: Uint8Array }[]): Uint8Array {
  const size = 24 + packets.reduce((sum, p) => sum + 16 + p.frame.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 262_144, true);
  view.setUint32(20, 1, true);
  let at = 24;
  for (const { timeUs, frame } of packets) {
    view.setUint32(at, Math.floor(timeUs / 1e6), true);
    view.setUint32(at + 4, timeUs % 1e6, true);
    view.setUint32(at + 8, frame.length, true);
    view.setUint32(at + 12, frame.length, true);
    bytes.set(frame, at + 16);
    at += 16 + frame.length;
  }
  return bytes;
}
