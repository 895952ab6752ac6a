// The built-in decoder of the analysis pages, for when tshark is not installed and for the
// session/sequence views (which need the TCP fields of every packet either way): Ethernet (VLAN,
// QinQ), Linux cooked, raw IP, IPv4, IPv6, TCP, UDP, ICMP, DNS and HTTP/1. Each layer is a tree
// node with the byte range it covers, like Wireshark's, so the hex view can highlight it.

export interface TreeNode {
  label: string;
  /** Byte offset in the frame and length (0 when the node covers no bytes of its own). */
  start: number;
  length: number;
  children: TreeNode[];
}

export interface TcpInfo {
  seq: number;
  ack: number;
  /** Flag bits: FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128. */
  flags: number;
  window: number;
}

export interface Dissected {
  tree: TreeNode[];
  src: string;
  dst: string;
  protocol: string;
  info: string;
  /** IP protocol number, when there is an IP layer. */
  ipProtocol?: number;
  srcPort?: number;
  dstPort?: number;
  tcp?: TcpInfo;
  /** The transport payload (TCP/UDP). */
  payload?: Uint8Array;
}

const FLAG_NAMES: [number, string][] = [
  [0x80, "CWR"],
  [0x40, "ECE"],
  [0x20, "URG"],
  [0x10, "ACK"],
  [0x08, "PSH"],
  [0x04, "RST"],
  [0x02, "SYN"],
  [0x01, "FIN"],
];

/** `SYN, ACK` style, in Wireshark's order. */
export function tcpFlagNames(flags: number): string {
  const out = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n).reverse();
  const order = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
  out.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return out.join(", ");
}

function node(label: string, start: number, length: number, children: TreeNode[] = []): TreeNode {
  return { label, start, length, children };
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");
const mac = (d: Uint8Array, o: number) => [...d.subarray(o, o + 6)].map(hex2).join(":");

export function ipv4Text(d: Uint8Array, o: number): string {
  return `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
}

/** RFC 5952 text (longest zero run compressed). */
export function ipv6Text(d: Uint8Array, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((d[o + 2 * i]! << 8) | d[o + 2 * i + 1]!);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) best = i, bestLen = j - i;
    i = j;
  }
  const h = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  return best < 0 ? h(g) : `${h(g.slice(0, best))}::${h(g.slice(best + bestLen))}`;
}

const ETHERTYPES: Record<number, string> = {
  0x0800: "IPv4",
  0x86dd: "IPv6",
  0x0806: "ARP",
  0x8100: "802.1Q",
  0x88a8: "802.1ad",
};
const DNS_TYPES: Record<number, string> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  12: "PTR",
  15: "MX",
  16: "TXT",
  28: "AAAA",
  33: "SRV",
  41: "OPT",
  65: "HTTPS",
};

function dnsName(d: Uint8Array, start: number, base: number): { name: string; end: number } {
  const labels: string[] = [];
  let o = start, end = -1, hops = 0;
  while (o < d.length && hops < 32) {
    const len = d[o]!;
    if (len === 0) {
      o++;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = o + 2;
      o = base + (((len & 0x3f) << 8) | d[o + 1]!);
      hops++;
      continue;
    }
    labels.push(new TextDecoder().decode(d.subarray(o + 1, o + 1 + len)));
    o += 1 + len;
  }
  return { name: labels.join(".") || "<Root>", end: end < 0 ? o : end };
}

function dns(d: Uint8Array, o: number, out: Dissected): TreeNode | undefined {
  if (d.length - o < 12) return undefined;
  const v = new DataView(d.buffer, d.byteOffset);
  const id = v.getUint16(o),
    flags = v.getUint16(o + 2),
    qd = v.getUint16(o + 4),
    an = v.getUint16(o + 6);
  const response = (flags & 0x8000) !== 0;
  const kids = [
    node(`Transaction ID: 0x${id.toString(16).padStart(4, "0")}`, o, 2),
    node(
      `Flags: 0x${flags.toString(16).padStart(4, "0")} ${
        response ? "Standard query response" : "Standard query"
      }`,
      o + 2,
      2,
    ),
    node(`Questions: ${qd}`, o + 4, 2),
    node(`Answer RRs: ${an}`, o + 6, 2),
  ];
  let p = o + 12;
  const names: string[] = [];
  for (let i = 0; i < qd && p < d.length; i++) {
    const { name, end } = dnsName(d, p, o);
    if (end + 4 > d.length) break;
    const type = v.getUint16(end);
    const t = DNS_TYPES[type] ?? String(type);
    names.push(`${t} ${name}`);
    kids.push(node(`Query: ${name}: type ${t}, class IN`, p, end + 4 - p));
    p = end + 4;
  }
  out.protocol = "DNS";
  out.info = `Standard query${response ? " response" : ""} 0x${id.toString(16).padStart(4, "0")} ${
    names.join(" ")
  }`;
  return node("Domain Name System", o, d.length - o, kids);
}

const HTTP_START =
  /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) \S+ HTTP\/1\.[01]\r\n|^HTTP\/1\.[01] \d{3}/;

function http(d: Uint8Array, o: number, out: Dissected): TreeNode | undefined {
  const text = new TextDecoder("latin1").decode(d.subarray(o, Math.min(d.length, o + 8192)));
  if (!HTTP_START.test(text)) return undefined;
  const head = text.split("\r\n\r\n")[0]!;
  const kids: TreeNode[] = [];
  let p = o;
  for (const line of head.split("\r\n")) {
    kids.push(node(line, p, line.length + 2));
    p += line.length + 2;
  }
  out.protocol = "HTTP";
  out.info = head.split("\r\n")[0]!;
  return node("Hypertext Transfer Protocol", o, d.length - o, kids);
}

function transport(
  d: Uint8Array,
  o: number,
  end: number,
  proto: number,
  out: Dissected,
  tree: TreeNode[],
): void {
  const v = new DataView(d.buffer, d.byteOffset);
  out.ipProtocol = proto;
  if (proto === 6 && end - o >= 20) {
    const sp = v.getUint16(o), dp = v.getUint16(o + 2);
    const seq = v.getUint32(o + 4), ack = v.getUint32(o + 8);
    const hl = (d[o + 12]! >> 4) * 4, flags = d[o + 13]!, win = v.getUint16(o + 14);
    const payload = d.subarray(Math.min(end, o + hl), end);
    out.srcPort = sp, out.dstPort = dp;
    out.tcp = { seq, ack, flags, window: win };
    out.payload = payload;
    out.protocol = "TCP";
    out.info = `${sp} → ${dp} [${
      tcpFlagNames(flags)
    }] Seq=${seq} Ack=${ack} Win=${win} Len=${payload.length}`;
    tree.push(
      node(
        `Transmission Control Protocol, Src Port: ${sp}, Dst Port: ${dp}, Len: ${payload.length}`,
        o,
        hl,
        [
          node(`Source Port: ${sp}`, o, 2),
          node(`Destination Port: ${dp}`, o + 2, 2),
          node(`Sequence Number (raw): ${seq}`, o + 4, 4),
          node(`Acknowledgment Number (raw): ${ack}`, o + 8, 4),
          node(`Header Length: ${hl} bytes`, o + 12, 1),
          node(
            `Flags: 0x${flags.toString(16).padStart(3, "0")} (${tcpFlagNames(flags)})`,
            o + 12,
            2,
          ),
          node(`Window: ${win}`, o + 14, 2),
          node(`Checksum: 0x${v.getUint16(o + 16).toString(16).padStart(4, "0")}`, o + 16, 2),
        ],
      ),
    );
    if (payload.length > 0) {
      const app = (sp === 53 || dp === 53) && payload.length > 2
        ? dns(d, o + hl + 2, out)
        : http(d, o + hl, out);
      if (app) tree.push(app);
      else tree.push(node(`Data (${payload.length} bytes)`, o + hl, payload.length));
    }
  } else if (proto === 17 && end - o >= 8) {
    const sp = v.getUint16(o), dp = v.getUint16(o + 2), len = v.getUint16(o + 4);
    out.srcPort = sp, out.dstPort = dp;
    out.payload = d.subarray(o + 8, end);
    out.protocol = "UDP";
    out.info = `${sp} → ${dp} Len=${end - o - 8}`;
    tree.push(node(`User Datagram Protocol, Src Port: ${sp}, Dst Port: ${dp}`, o, 8, [
      node(`Source Port: ${sp}`, o, 2),
      node(`Destination Port: ${dp}`, o + 2, 2),
      node(`Length: ${len}`, o + 4, 2),
      node(`Checksum: 0x${v.getUint16(o + 6).toString(16).padStart(4, "0")}`, o + 6, 2),
    ]));
    const app = sp === 53 || dp === 53 || sp === 5353 || dp === 5353
      ? dns(d, o + 8, out)
      : undefined;
    if (app) tree.push(app);
    else if (end > o + 8) tree.push(node(`Data (${end - o - 8} bytes)`, o + 8, end - o - 8));
  } else if ((proto === 1 || proto === 58) && end - o >= 4) {
    out.protocol = proto === 1 ? "ICMP" : "ICMPv6";
    out.info = `type ${d[o]}, code ${d[o + 1]}`;
    tree.push(
      node(
        `${
          proto === 1 ? "Internet Control Message Protocol" : "Internet Control Message Protocol v6"
        }`,
        o,
        end - o,
        [
          node(`Type: ${d[o]}`, o, 1),
          node(`Code: ${d[o + 1]}`, o + 1, 1),
        ],
      ),
    );
  }
}

function ip(d: Uint8Array, o: number, out: Dissected, tree: TreeNode[]): void {
  const v = new DataView(d.buffer, d.byteOffset);
  const version = d[o]! >> 4;
  if (version === 4 && d.length - o >= 20) {
    const ihl = (d[o]! & 15) * 4, total = v.getUint16(o + 2), proto = d[o + 9]!;
    out.src = ipv4Text(d, o + 12), out.dst = ipv4Text(d, o + 16);
    out.protocol = "IPv4";
    out.info = `protocol ${proto}`;
    const end = Math.min(d.length, o + Math.max(total, ihl));
    tree.push(node(`Internet Protocol Version 4, Src: ${out.src}, Dst: ${out.dst}`, o, ihl, [
      node(`Header Length: ${ihl} bytes`, o, 1),
      node(`Total Length: ${total}`, o + 2, 2),
      node(`Identification: 0x${v.getUint16(o + 4).toString(16).padStart(4, "0")}`, o + 4, 2),
      node(`Time to Live: ${d[o + 8]}`, o + 8, 1),
      node(`Protocol: ${proto}`, o + 9, 1),
      node(`Source Address: ${out.src}`, o + 12, 4),
      node(`Destination Address: ${out.dst}`, o + 16, 4),
    ]));
    const fragment = v.getUint16(o + 6) & 0x1fff;
    if (fragment === 0) transport(d, o + ihl, end, proto, out, tree);
  } else if (version === 6 && d.length - o >= 40) {
    const plen = v.getUint16(o + 4), next = d[o + 6]!;
    out.src = ipv6Text(d, o + 8), out.dst = ipv6Text(d, o + 24);
    out.protocol = "IPv6";
    out.info = `next header ${next}`;
    tree.push(node(`Internet Protocol Version 6, Src: ${out.src}, Dst: ${out.dst}`, o, 40, [
      node(`Payload Length: ${plen}`, o + 4, 2),
      node(`Next Header: ${next}`, o + 6, 1),
      node(`Hop Limit: ${d[o + 7]}`, o + 7, 1),
      node(`Source Address: ${out.src}`, o + 8, 16),
      node(`Destination Address: ${out.dst}`, o + 24, 16),
    ]));
    transport(d, o + 40, Math.min(d.length, o + 40 + plen), next, out, tree);
  }
}

/** Decodes one frame of `linkType` (1 Ethernet, 113 Linux cooked, 101/228/229 raw IP, 0 null). */
export function dissect(data: Uint8Array, linkType: number): Dissected {
  const out: Dissected = { tree: [], src: "", dst: "", protocol: "", info: "" };
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  out.tree.push(node(`Frame: ${data.length} bytes captured`, 0, 0));
  let o = 0;
  let type: number | undefined;
  if (linkType === 1 && data.length >= 14) {
    out.src = mac(data, 6), out.dst = mac(data, 0);
    type = v.getUint16(12);
    const eth = node(`Ethernet II, Src: ${out.src}, Dst: ${out.dst}`, 0, 14, [
      node(`Destination: ${out.dst}`, 0, 6),
      node(`Source: ${out.src}`, 6, 6),
      node(
        `Type: ${ETHERTYPES[type] ?? "unknown"} (0x${type.toString(16).padStart(4, "0")})`,
        12,
        2,
      ),
    ]);
    out.tree.push(eth);
    out.protocol = ETHERTYPES[type] ?? "Ethernet";
    o = 14;
    while ((type === 0x8100 || type === 0x88a8) && data.length - o >= 4) {
      const tci = v.getUint16(o);
      type = v.getUint16(o + 2);
      out.tree.push(node(`802.1Q Virtual LAN, PRI: ${tci >> 13}, ID: ${tci & 0xfff}`, o, 4, [
        node(`ID: ${tci & 0xfff}`, o, 2),
        node(
          `Type: ${ETHERTYPES[type] ?? "unknown"} (0x${type.toString(16).padStart(4, "0")})`,
          o + 2,
          2,
        ),
      ]));
      o += 4;
    }
  } else if (linkType === 113 && data.length >= 16) {
    type = v.getUint16(14);
    out.tree.push(node("Linux cooked capture v1", 0, 16));
    o = 16;
  } else if (linkType === 0 && data.length >= 4) {
    const family = v.getUint32(0, true);
    type = family === 2 ? 0x0800 : 0x86dd;
    out.tree.push(node(`Null/Loopback, Family: ${family}`, 0, 4));
    o = 4;
  } else if (linkType === 101 || linkType === 228 || linkType === 229 || linkType === 12) {
    type = (data[0]! >> 4) === 6 ? 0x86dd : 0x0800;
  }
  if (type === 0x0800 || type === 0x86dd) ip(data, o, out, out.tree);
  else if (type === 0x0806) out.protocol = "ARP", out.info = "ARP";
  if (out.protocol === "") out.protocol = `link type ${linkType}`;
  return out;
}
