/**
 * Ports that mark their side as the server even above 1024. Below 1024 every port counts.
 */
export const SERVICE_PORTS: ReadonlySet<number> = new Set([
  1433, // SQL Server
  1521, // Oracle
  1883, // MQTT
  2049, // NFS
  3306, // MySQL
  5432, // PostgreSQL
  5672, // AMQP
  6379, // Redis
  8080, // HTTP alternate
  8443, // HTTPS alternate
  9092, // Kafka
  9200, // Elasticsearch
  11211, // memcached
  27017, // MongoDB
]);

export function isServicePort(port: number): boolean {
  return (port > 0 && port < 1024) || SERVICE_PORTS.has(port);
}

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
/** ICMP/ICMPv6 types sent by the side that asks: echo, timestamp, information, address mask. */
const ICMP_REQUESTS: ReadonlySet<number> = new Set([8, 13, 15, 17]);
const ICMP_REPLIES: ReadonlySet<number> = new Set([0, 14, 16, 18]);

/** What the client/server decision looks at in a flow's first packet (a `DecodedPacket` fits). */
export interface FirstPacket {
  protocol: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  icmpType: number;
}

/**
 * Decides from the first packet of a flow whether its sender is the client: a SYN without ACK
 * comes from the client and a SYN-ACK from the server; an ICMP request from the client; otherwise
 * the side on a well-known or service port is the server (the lower port when both are); and when
 * the ports tell nothing, the first sender is the client.
 */
export function senderIsClient(first: FirstPacket): boolean {
  const { protocol, srcPort, dstPort, tcpFlags, icmpType } = first;
  if (protocol === 6 && (tcpFlags & TCP_SYN) !== 0) return (tcpFlags & TCP_ACK) === 0;
  if (protocol === 1) {
    if (ICMP_REQUESTS.has(icmpType)) return true;
    if (ICMP_REPLIES.has(icmpType)) return false;
  }
  if (protocol === 58) {
    if (icmpType === 128) return true;
    if (icmpType === 129) return false;
  }
  const srcService = isServicePort(srcPort);
  const dstService = isServicePort(dstPort);
  if (srcService !== dstService) return dstService;
  if (srcService && srcPort !== dstPort) return dstPort < srcPort;
  return true;
}
