import { formatAddress, formatMac } from "./address.ts";
import {
  DECODE_ERRORS,
  DecodedPacket,
  DecodeStatus,
  Layer,
  LAYER_NAMES,
  TUNNEL_TYPE_NAMES,
} from "./decoded.ts";
import { describeDecodeError } from "./decoder.ts";
import type { PacketHeaders } from "./headers.ts";

/** IP and transport fields of one packet level, as `appliance decode --json` prints them. */
export interface HeadersJson {
  ip?: { version: number; src: string; dst: string; proto: number; ttl: number; id: number };
  fragment?: { id: number; offset: number; more: boolean; reassembled: boolean };
  tcp?: {
    sport: number;
    dport: number;
    flags: number;
    seq: number;
    ack: number;
    win: number;
    len: number;
    urg: number;
    options?: Record<string, number | boolean>;
  };
  udp?: { sport: number; dport: number; len: number };
  icmp?: { type: number; code: number };
}

/** One packet of `appliance decode --json` (a line of NDJSON). */
export interface PacketJson extends HeadersJson {
  frame: number;
  /** Seconds since the Unix epoch. */
  ts: number;
  caplen: number;
  len: number;
  layers: string[];
  eth?: { src: string; dst: string; type: number };
  vlan?: number[];
  mpls?: number[];
  arp?: { opcode: number };
  tunnel?: { type: string; typeId: number; id: number; depth: number };
  /** The innermost packet, when it is inside a tunnel. */
  inner?: HeadersJson & { eth?: { src: string; dst: string; type: number } };
  error?: { layer: string; kind: string; reason: string };
}

function ethJson(b: Uint8Array, at: number) {
  return {
    src: formatMac(b, at + 6),
    dst: formatMac(b, at),
    type: (b[at + 12]! << 8) | b[at + 13]!,
  };
}

function tcpOptions(h: PacketHeaders): Record<string, number | boolean> | undefined {
  const options: Record<string, number | boolean> = {};
  if (h.tcpMss > 0) options.mss = h.tcpMss;
  if (h.tcpWindowScale >= 0) options.wscale = h.tcpWindowScale;
  if (h.tcpSackPermitted) options.sackPermitted = true;
  if (h.tcpSackBlocks > 0) options.sackBlocks = h.tcpSackBlocks;
  if (h.tcpHasTimestamps) {
    options.tsval = h.tcpTsVal;
    options.tsecr = h.tcpTsEcr;
  }
  if (h.tcpOptionsMalformed) options.malformed = true;
  return Object.keys(options).length > 0 ? options : undefined;
}

function headersJson(h: PacketHeaders, reassembled: boolean): HeadersJson {
  const json: HeadersJson = {};
  if (h.ipVersion === 0) return json;
  const b = h.buffer;
  json.ip = {
    version: h.ipVersion,
    src: formatAddress(b, h.srcOffset, h.ipVersion),
    dst: formatAddress(b, h.dstOffset, h.ipVersion),
    proto: h.protocol,
    ttl: h.ttl,
    id: h.ipId,
  };
  if (h.isFragment || reassembled) {
    json.fragment = {
      id: h.fragmentId,
      offset: h.fragmentOffset,
      more: h.moreFragments,
      reassembled,
    };
  }
  if (!h.hasTransport) return json;
  if (h.protocol === 6) {
    json.tcp = {
      sport: h.srcPort,
      dport: h.dstPort,
      flags: h.tcpFlags,
      seq: h.tcpSeq,
      ack: h.tcpAck,
      win: h.tcpWindow,
      len: h.payloadLength,
      urg: h.tcpUrgent,
    };
    const options = tcpOptions(h);
    if (options) json.tcp.options = options;
  } else if (h.protocol === 17) {
    json.udp = { sport: h.srcPort, dport: h.dstPort, len: h.udpLength };
  } else if (h.protocol === 1 || h.protocol === 58) {
    json.icmp = { type: h.icmpType, code: h.icmpCode };
  }
  return json;
}

/** The JSON object `appliance decode --json` prints for the packet just decoded into `out`. */
export function packetJson(out: DecodedPacket, status: DecodeStatus): PacketJson {
  const layers: string[] = [];
  for (let i = 0; i < out.layerCount; i++) layers.push(LAYER_NAMES[out.layer(i)] ?? "?");
  const json: PacketJson = {
    frame: out.number,
    ts: out.timestampUs / 1e6,
    caplen: out.capturedLength,
    len: out.frameLength,
    layers,
  };
  if (out.ethOffset >= 0) json.eth = ethJson(out.frameBuffer, out.ethOffset);
  if (out.vlanCount > 0) json.vlan = [...out.vlanIds.subarray(0, out.vlanCount)];
  if (out.mplsLabels > 0) json.mpls = [...out.mplsStack.subarray(0, out.mplsLabels)];
  if (out.arpOffset >= 0) json.arp = { opcode: out.arpOpcode };
  const tunnelled = out.tunnelDepth > 0;
  // The reassembled datagram is the outer one when the outer headers were read from it.
  const outerReassembled = out.reassembled && out.outer.buffer !== out.frameBuffer;
  Object.assign(json, headersJson(out.outer, outerReassembled));
  if (tunnelled) {
    json.tunnel = {
      type: TUNNEL_TYPE_NAMES[out.tunnelType] ?? String(out.tunnelType),
      typeId: out.tunnelType,
      id: out.tunnelId,
      depth: out.tunnelDepth,
    };
    json.inner = headersJson(out, out.reassembled && !outerReassembled);
    if (out.innerEthOffset >= 0) json.inner.eth = ethJson(out.innerEthBuffer, out.innerEthOffset);
  }
  if (status === DecodeStatus.Malformed) {
    const [kind, layer] = DECODE_ERRORS[out.error] ?? ["unknown", "?"];
    json.error = { layer, kind, reason: describeDecodeError(out) };
  }
  return json;
}

/** tcpdump's flag letters: S F P R U, "." for ACK, E W for ECN. */
function tcpFlagText(flags: number): string {
  let text = "";
  if (flags & 0x02) text += "S";
  if (flags & 0x01) text += "F";
  if (flags & 0x08) text += "P";
  if (flags & 0x04) text += "R";
  if (flags & 0x20) text += "U";
  if (flags & 0x40) text += "E";
  if (flags & 0x80) text += "W";
  if (flags & 0x10) text += ".";
  return text || "none";
}

function endpoint(h: PacketHeaders, offset: number, port: number): string {
  const ip = formatAddress(h.buffer, offset, h.ipVersion);
  return h.hasTransport && (h.protocol === 6 || h.protocol === 17) ? `${ip}.${port}` : ip;
}

function ipSummary(h: PacketHeaders): string {
  const family = h.ipVersion === 4 ? "IP" : "IP6";
  const route = `${family} ${endpoint(h, h.srcOffset, h.srcPort)} > ${
    endpoint(h, h.dstOffset, h.dstPort)
  }`;
  if (h.isLaterFragment) {
    return `${route}: fragment offset ${h.fragmentOffset}, proto ${h.protocol}`;
  }
  if (!h.hasTransport) return `${route}: proto ${h.protocol}`;
  if (h.protocol === 6) {
    return `${route}: Flags [${
      tcpFlagText(h.tcpFlags)
    }], seq ${h.tcpSeq}, ack ${h.tcpAck}, win ${h.tcpWindow}, length ${h.payloadLength}`;
  }
  if (h.protocol === 17) return `${route}: UDP, length ${h.payloadLength}`;
  return `${route}: ICMP${h.protocol === 58 ? "6" : ""} type ${h.icmpType} code ${h.icmpCode}`;
}

/** The EtherType the last Ethernet header or VLAN tag named (what was not decoded). */
function etherTypeAfter(out: DecodedPacket): string {
  const i = out.layerCount - 1;
  if (i < 0) return "";
  const layer = out.layer(i);
  const at = out.layerOffsets[i]! + (layer === Layer.eth ? 12 : 2);
  if (layer !== Layer.eth && layer !== Layer.vlan) return "";
  const b = out.layerBuffer(i);
  return ` type 0x${((b[at]! << 8) | b[at + 1]!).toString(16).padStart(4, "0")}`;
}

function timeOfDay(timestampUs: number): string {
  const micros = String(((timestampUs % 1e6) + 1e6) % 1e6).padStart(6, "0");
  return `${new Date(Math.floor(timestampUs / 1000)).toISOString().slice(11, 19)}.${micros}`;
}

/** One readable line per packet, like `tcpdump -nn`, for `appliance decode` without `--json`. */
export function packetLine(out: DecodedPacket, status: DecodeStatus): string {
  const head = `${String(out.number).padStart(6)} ${timeOfDay(out.timestampUs)}`;
  const layers: string[] = [];
  for (let i = 0; i < out.layerCount; i++) layers.push(LAYER_NAMES[out.layer(i)] ?? "?");
  let text: string;
  if (status === DecodeStatus.Malformed) {
    text = `malformed: ${describeDecodeError(out)}`;
  } else if (out.ipVersion !== 0 && status === DecodeStatus.Ok) {
    text = ipSummary(out);
    if (out.tunnelDepth > 0) {
      const o = out.outer;
      const name = TUNNEL_TYPE_NAMES[out.tunnelType] ?? String(out.tunnelType);
      text += ` (in ${name} ${out.tunnelId} via ${
        formatAddress(o.buffer, o.srcOffset, o.ipVersion)
      } > ${formatAddress(o.buffer, o.dstOffset, o.ipVersion)})`;
    }
    if (out.reassembled) text += " (reassembled)";
  } else if (out.arpOffset >= 0) {
    const kind = out.arpOpcode === 1
      ? "request"
      : out.arpOpcode === 2
      ? "reply"
      : `op ${out.arpOpcode}`;
    text = `ARP ${kind}`;
  } else {
    text = `not IP${etherTypeAfter(out)}`;
  }
  return `${head} ${text} [${layers.join(" ")}]`;
}
