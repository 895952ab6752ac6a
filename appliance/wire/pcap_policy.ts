/**
 * PCAP policies: which packets the appliance keeps on disk. Plain JSON (the manager's policy pages
 * and the fleet config's `policies.pcap` carry the same document), validated here with every
 * problem named by its field.
 */

/** Frames are cut to this many bytes when the policy keeps whole packets (libpcap's maximum). */
export const WHOLE_PACKET = 262_144;

/** A PCAP policy, as validated by {@link parsePcapPolicy}. Times are ms since the Unix epoch. */
export interface PcapPolicy {
  /** Stable id: letters, digits, `_` and `-`, 1–64 characters (it names the policy's folder). */
  id: string;
  name: string;
  enabled: boolean;
  /** Interface names the policy applies to; empty: every capture point. */
  capturePoints: string[];
  /** A tcpdump expression; combined (and) with `match`. Null: every packet. */
  filter: string | null;
  /** Fields that compile to a tcpdump expression (see {@link policyExpression}). */
  match: PcapMatch;
  /** Bytes kept of each frame; 0 keeps whole packets. */
  truncateBytes: number;
  /** Packets before `start` or from `stop` on are not kept; null: unbounded. */
  start: number | null;
  stop: number | null;
  /** Keep packets for this long after the first kept one; null: no bound. */
  durationSeconds: number | null;
  /** Stop keeping packets once this many were kept; null: no bound. */
  maxPackets: number | null;
  /** Stop keeping packets once this many frame bytes were kept; null: no bound. */
  maxBytes: number | null;
  /** Disk bytes the policy's files may use; the oldest files go first. Null: only the global quota. */
  quotaBytes: number | null;
}

export interface PcapMatch {
  ip?: string;
  port?: number;
  protocol?: "tcp" | "udp" | "icmp" | "icmp6" | "sctp";
  peerIp?: string;
  peerPort?: number;
}

export const PCAP_PROTOCOLS: readonly string[] = ["tcp", "udp", "icmp", "icmp6", "sctp"];
const PROTOCOLS = PCAP_PROTOCOLS;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/\d{1,2})?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/;

export type PolicyResult = { ok: true; policy: PcapPolicy } | { ok: false; problems: string[] };

function isAddress(text: string): boolean {
  const v4 = IPV4.exec(text);
  if (v4) {
    const prefix = v4[5] === undefined ? 32 : Number(v4[5].slice(1));
    return [1, 2, 3, 4].every((i) => Number(v4[i]) <= 255) && prefix <= 32;
  }
  if (!text.includes(":") || !IPV6.test(text)) return false;
  const [address, prefix] = text.split("/");
  try {
    new URL(`http://[${address}]/`);
  } catch {
    return false;
  }
  return prefix === undefined || Number(prefix) <= 128;
}

/**
 * Validates one policy document; `where` prefixes the field names in problems (e.g.
 * `policies.pcap[2]`). Unknown fields are problems too, so a typo never silently widens a policy.
 */
export function parsePcapPolicy(value: unknown, where = "policy"): PolicyResult {
  const problems: string[] = [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, problems: [`${where}: expected an object`] };
  }
  const doc = value as Record<string, unknown>;
  const known = new Set([
    "id",
    "name",
    "enabled",
    "capturePoints",
    "filter",
    "match",
    "truncateBytes",
    "start",
    "stop",
    "durationSeconds",
    "maxPackets",
    "maxBytes",
    "quotaBytes",
  ]);
  for (const key of Object.keys(doc)) {
    if (!known.has(key)) problems.push(`${where}.${key}: unknown field`);
  }
  const id = doc.id;
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    problems.push(`${where}.id: expected 1-64 letters, digits, _ or -, got ${JSON.stringify(id)}`);
  }
  const name = doc.name ?? id;
  if (typeof name !== "string" || name.length === 0 || name.length > 128) {
    problems.push(`${where}.name: expected a text of 1-128 characters`);
  }
  const enabled = doc.enabled ?? true;
  if (typeof enabled !== "boolean") problems.push(`${where}.enabled: expected true or false`);
  const points = doc.capturePoints ?? [];
  if (!Array.isArray(points) || points.some((p) => typeof p !== "string" || p === "")) {
    problems.push(`${where}.capturePoints: expected a list of interface names`);
  }
  const filter = doc.filter ?? null;
  if (filter !== null && (typeof filter !== "string" || filter.length > 4096)) {
    problems.push(`${where}.filter: expected a tcpdump expression (text) or null`);
  }
  const match = parseMatch(doc.match ?? {}, `${where}.match`, problems);
  const count = (field: string, min: number, fallback: number | null) => {
    const v = doc[field] ?? fallback;
    if (v === null) return null;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
      problems.push(
        `${where}.${field}: expected an integer of at least ${min}, got ${JSON.stringify(v)}`,
      );
      return null;
    }
    return v;
  };
  const truncateBytes = count("truncateBytes", 0, 0) ?? 0;
  if (truncateBytes > WHOLE_PACKET) {
    problems.push(`${where}.truncateBytes: at most ${WHOLE_PACKET} (0 keeps whole packets)`);
  }
  const start = count("start", 0, null);
  const stop = count("stop", 0, null);
  if (start !== null && stop !== null && stop <= start) {
    problems.push(`${where}.stop: must be after start`);
  }
  const durationSeconds = count("durationSeconds", 1, null);
  const maxPackets = count("maxPackets", 1, null);
  const maxBytes = count("maxBytes", 1, null);
  const quotaBytes = count("quotaBytes", 1, null);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    policy: {
      id: id as string,
      name: name as string,
      enabled: enabled as boolean,
      capturePoints: points as string[],
      filter: filter as string | null,
      match,
      truncateBytes,
      start,
      stop,
      durationSeconds,
      maxPackets,
      maxBytes,
      quotaBytes,
    },
  };
}

function parseMatch(value: unknown, where: string, problems: string[]): PcapMatch {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${where}: expected an object`);
    return {};
  }
  const doc = value as Record<string, unknown>;
  const match: PcapMatch = {};
  for (const key of Object.keys(doc)) {
    const v = doc[key];
    if (v === undefined || v === null) continue;
    if (key === "ip" || key === "peerIp") {
      if (typeof v !== "string" || !isAddress(v)) {
        problems.push(
          `${where}.${key}: expected an IPv4/IPv6 address or CIDR, got ${JSON.stringify(v)}`,
        );
      } else match[key] = v;
    } else if (key === "port" || key === "peerPort") {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) {
        problems.push(`${where}.${key}: expected a port 0-65535, got ${JSON.stringify(v)}`);
      } else match[key] = v;
    } else if (key === "protocol") {
      if (typeof v !== "string" || !PROTOCOLS.includes(v)) {
        problems.push(`${where}.protocol: expected one of ${PROTOCOLS.join(", ")}`);
      } else match.protocol = v as PcapMatch["protocol"];
    } else {
      problems.push(`${where}.${key}: unknown field`);
    }
  }
  if (match.peerPort !== undefined && match.peerIp === undefined && match.port === undefined) {
    problems.push(`${where}.peerPort: needs peerIp or port`);
  }
  return match;
}

function hostTerm(address: string): string {
  return address.includes("/") ? `net ${address}` : `host ${address}`;
}

/**
 * The tcpdump expression a policy selects with: `filter` and the `match` fields, joined by `and`;
 * an empty string selects every packet. The peer is the other end: `ip` and `peerIp` are both
 * hosts of the packet, `port` and `peerPort` both ports.
 */
export function policyExpression(policy: Pick<PcapPolicy, "filter" | "match">): string {
  const terms: string[] = [];
  if (policy.filter !== null && policy.filter.trim() !== "") terms.push(`(${policy.filter})`);
  const m = policy.match;
  if (m.protocol !== undefined) terms.push(m.protocol === "icmp6" ? "icmp6" : m.protocol);
  if (m.ip !== undefined) terms.push(hostTerm(m.ip));
  if (m.port !== undefined) terms.push(`port ${m.port}`);
  if (m.peerIp !== undefined) terms.push(hostTerm(m.peerIp));
  if (m.peerPort !== undefined) terms.push(`port ${m.peerPort}`);
  return terms.join(" and ");
}

/** Snap length of a policy's files: its truncation, or whole packets. */
export function policySnapLength(policy: Pick<PcapPolicy, "truncateBytes">): number {
  return policy.truncateBytes === 0 ? WHOLE_PACKET : policy.truncateBytes;
}
