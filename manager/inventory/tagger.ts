// The tagger: the inventory compiled into lookup structures. Subnets go into a binary trie per
// address family (longest-prefix match walks at most 32 / 128 bits); hosts and pods are exact
// addresses, services exact `address:port` (+ protocol). Ingest calls it once per flow-log or
// request-log row and side, so a lookup allocates only the result.
import { formatIp, parseCidr, parseIp } from "./ip.ts";

export interface SubnetItem {
  id: number;
  name: string;
  cidr: string;
  vpc: string;
  region: string;
  labels: Record<string, string>;
}
export interface HostItem {
  name: string;
  ips: string[];
  region: string;
  vpc: string;
  labels: Record<string, string>;
}
export interface ServiceItem {
  name: string;
  /** IP protocol number; 0 = any. */
  protocol: number;
  endpoints: string[];
  labels: Record<string, string>;
}
export interface PodItem {
  name: string;
  namespace: string;
  ips: string[];
  host: string;
  labels: Record<string, string>;
}

/** What the tagger is compiled from. */
export interface InventorySnapshot {
  vpcs: { name: string; region: string }[];
  subnets: SubnetItem[];
  hosts: HostItem[];
  services: ServiceItem[];
  pods: PodItem[];
}

/** The tags of one address (one side of a flow); '' / 0 / {} when unknown. */
export interface Tags {
  region: string;
  vpc: string;
  subnet: string;
  subnetId: number;
  host: string;
  service: string;
  podNs: string;
  pod: string;
  labels: Record<string, string>;
}

/** A flow-log or request-log row as the tagger reads and fills it (drizzle keys of flow_log). */
export interface TaggableRow {
  ip0: string;
  ip1: string;
  clientPort: number;
  serverPort: number;
  protocol: number;
  region0?: string;
  vpc0?: string;
  subnet0?: string;
  subnetId0?: number;
  host0?: string;
  service0?: string;
  podNs0?: string;
  pod0?: string;
  labels0?: Record<string, string>;
  region1?: string;
  vpc1?: string;
  subnet1?: string;
  subnetId1?: number;
  host1?: string;
  service1?: string;
  podNs1?: string;
  pod1?: string;
  labels1?: Record<string, string>;
}

/**
 * The tag columns of flow_log and request_log in the order {@link Tagger.tagValues} returns them
 * (for COPY).
 */
export const FLOW_TAG_COLUMNS: readonly string[] = [0, 1].flatMap((n) =>
  ["region", "vpc", "subnet", "subnet_id", "host", "service", "pod_ns", "pod", "labels"].map((c) =>
    `${c}_${n}`
  )
);

/** A binary trie over address bits; `value[node]` is a subnet index or -1. */
class PrefixTrie {
  #zero: number[] = [-1];
  #one: number[] = [-1];
  #value: number[] = [-1];

  insert(bytes: Uint8Array, prefix: number, value: number): void {
    let node = 0;
    for (let bit = 0; bit < prefix; bit++) {
      const set = (bytes[bit >> 3]! & (0x80 >> (bit & 7))) !== 0;
      const next = set ? this.#one : this.#zero;
      let child = next[node]!;
      if (child < 0) {
        child = this.#value.length;
        this.#zero.push(-1);
        this.#one.push(-1);
        this.#value.push(-1);
        next[node] = child;
      }
      node = child;
    }
    this.#value[node] = value;
  }

  /** The value of the longest prefix containing `bytes`, or -1. */
  lookup(bytes: Uint8Array): number {
    let node = 0;
    let best = this.#value[0]!;
    const bits = bytes.length * 8;
    for (let bit = 0; bit < bits; bit++) {
      const set = (bytes[bit >> 3]! & (0x80 >> (bit & 7))) !== 0;
      node = (set ? this.#one : this.#zero)[node]!;
      if (node < 0) break;
      const v = this.#value[node]!;
      if (v >= 0) best = v;
    }
    return best;
  }
}

export const NO_TAGS: Readonly<Tags> = Object.freeze({
  region: "",
  vpc: "",
  subnet: "",
  subnetId: 0,
  host: "",
  service: "",
  podNs: "",
  pod: "",
  labels: Object.freeze({}) as Record<string, string>,
});

/** Compiled inventory; build with {@link compileTagger}. */
export class Tagger {
  readonly #v4 = new PrefixTrie();
  readonly #v6 = new PrefixTrie();
  readonly #subnets: SubnetItem[];
  readonly #vpcRegion = new Map<string, string>();
  readonly #hosts = new Map<string, HostItem>();
  readonly #hostByName = new Map<string, HostItem>();
  readonly #pods = new Map<string, PodItem>();
  /** `address|port` → services (a protocol-specific one and/or an any-protocol one). */
  readonly #services = new Map<string, ServiceItem[]>();
  /** How many items of each kind went in, for the inventory page. */
  readonly size: { subnets: number; hosts: number; services: number; pods: number };

  constructor(snapshot: InventorySnapshot) {
    for (const v of snapshot.vpcs) this.#vpcRegion.set(v.name, v.region);
    this.#subnets = snapshot.subnets;
    snapshot.subnets.forEach((s, i) => {
      const c = parseCidr(s.cidr);
      if ("error" in c) return;
      (c.bytes.length === 4 ? this.#v4 : this.#v6).insert(c.bytes, c.prefix, i);
    });
    for (const h of snapshot.hosts) {
      this.#hostByName.set(h.name, h);
      for (const ip of h.ips) this.#hosts.set(ip, h);
    }
    for (const p of snapshot.pods) for (const ip of p.ips) this.#pods.set(ip, p);
    for (const s of snapshot.services) {
      for (const ep of s.endpoints) {
        const cut = ep.lastIndexOf(":");
        const ip = ep.slice(0, cut).replace(/^\[|\]$/g, "");
        const key = `${ip}|${ep.slice(cut + 1)}`;
        const list = this.#services.get(key) ?? [];
        list.push(s);
        this.#services.set(key, list);
      }
    }
    this.size = {
      subnets: snapshot.subnets.length,
      hosts: snapshot.hosts.length,
      services: snapshot.services.length,
      pods: snapshot.pods.length,
    };
  }

  /** The tags of `ip` (any text form) talking on `port` with IP `protocol` (0 = unknown). */
  tag(ip: string, port: number, protocol = 0): Tags {
    const bytes = parseIp(ip);
    if (!bytes) return NO_TAGS;
    const canonical = formatIp(bytes);
    const subnetIdx = (bytes.length === 4 ? this.#v4 : this.#v6).lookup(bytes);
    const subnet = subnetIdx >= 0 ? this.#subnets[subnetIdx] : undefined;
    const pod = this.#pods.get(canonical);
    const host = this.#hosts.get(canonical) ??
      (pod?.host ? this.#hostByName.get(pod.host) : undefined);
    const candidates = this.#services.get(`${canonical}|${port}`);
    const service = candidates?.find((s) => s.protocol === protocol) ??
      candidates?.find((s) => s.protocol === 0);
    if (!subnet && !pod && !host && !service) return NO_TAGS;
    const vpc = subnet?.vpc || host?.vpc || "";
    const region = subnet?.region || host?.region || this.#vpcRegion.get(vpc) || "";
    const labels = { ...subnet?.labels, ...host?.labels, ...pod?.labels, ...service?.labels };
    return {
      region,
      vpc,
      subnet: subnet?.name ?? "",
      subnetId: subnet?.id ?? 0,
      host: host?.name ?? pod?.host ?? "",
      service: service?.name ?? "",
      podNs: pod?.namespace ?? "",
      pod: pod?.name ?? "",
      labels,
    };
  }

  /**
   * The tag column values of a flow (client side, then server side) in {@link FLOW_TAG_COLUMNS}
   * order, labels as JSON text: what a COPY line needs.
   */
  tagValues(row: TaggableRow): (string | number)[] {
    const out: (string | number)[] = [];
    for (
      const t of [
        this.tag(row.ip0, row.clientPort, row.protocol),
        this.tag(row.ip1, row.serverPort, row.protocol),
      ]
    ) {
      out.push(t.region, t.vpc, t.subnet, t.subnetId, t.host, t.service, t.podNs, t.pod);
      out.push(JSON.stringify(t.labels));
    }
    return out;
  }

  /** Fills the `_0` (client) and `_1` (server) tag columns of a flow-log row in place. */
  tagRow<R extends TaggableRow>(row: R): R & Required<TaggableRow> {
    const c = this.tag(row.ip0, row.clientPort, row.protocol);
    const s = this.tag(row.ip1, row.serverPort, row.protocol);
    row.region0 = c.region;
    row.vpc0 = c.vpc;
    row.subnet0 = c.subnet;
    row.subnetId0 = c.subnetId;
    row.host0 = c.host;
    row.service0 = c.service;
    row.podNs0 = c.podNs;
    row.pod0 = c.pod;
    row.labels0 = c.labels;
    row.region1 = s.region;
    row.vpc1 = s.vpc;
    row.subnet1 = s.subnet;
    row.subnetId1 = s.subnetId;
    row.host1 = s.host;
    row.service1 = s.service;
    row.podNs1 = s.podNs;
    row.pod1 = s.pod;
    row.labels1 = s.labels;
    return row as R & Required<TaggableRow>;
  }
}

export function compileTagger(snapshot: InventorySnapshot): Tagger {
  return new Tagger(snapshot);
}

export const EMPTY_SNAPSHOT: InventorySnapshot = {
  vpcs: [],
  subnets: [],
  hosts: [],
  services: [],
  pods: [],
};
