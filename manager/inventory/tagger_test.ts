import assert from "node:assert/strict";
import { formatIp, parseCidr } from "./ip.ts";
import {
  compileTagger,
  EMPTY_SNAPSHOT,
  FLOW_TAG_COLUMNS,
  type InventorySnapshot,
  type SubnetItem,
} from "./tagger.ts";

function subnet(
  id: number,
  name: string,
  cidr: string,
  over: Partial<SubnetItem> = {},
): SubnetItem {
  return { id, name, cidr, vpc: "", region: "", labels: {}, ...over };
}

const SNAPSHOT: InventorySnapshot = {
  vpcs: [{ name: "prod", region: "eu-west" }],
  subnets: [
    subnet(1, "corp", "10.0.0.0/8", { labels: { zone: "corp", env: "any" } }),
    subnet(2, "app", "10.1.0.0/16", { vpc: "prod", labels: { env: "prod" } }),
    subnet(3, "app-db", "10.1.2.0/24", { vpc: "prod" }),
    subnet(4, "v6-site", "2001:db8::/32", { region: "lab" }),
    subnet(5, "v6-rack", "2001:db8:0:1::/64", { region: "lab" }),
    subnet(6, "default", "0.0.0.0/0"),
  ],
  hosts: [{
    name: "db-1",
    ips: ["10.1.2.7", "2001:db8:0:1::7"],
    region: "",
    vpc: "",
    labels: { role: "db" },
  }],
  services: [
    { name: "postgres", protocol: 6, endpoints: ["10.1.2.7:5432"], labels: {} },
    { name: "dns", protocol: 0, endpoints: ["10.1.2.7:53", "[2001:db8:0:1::7]:53"], labels: {} },
    { name: "dns-udp", protocol: 17, endpoints: ["10.1.2.7:53"], labels: {} },
  ],
  pods: [{
    name: "checkout-7f",
    namespace: "shop",
    ips: ["10.1.3.9"],
    host: "db-1",
    labels: { app: "checkout" },
  }],
};

Deno.test("Tagger.tag() picks the longest matching IPv4 prefix", () => {
  const t = compileTagger(SNAPSHOT);
  assert.equal(t.tag("10.1.2.200", 0).subnet, "app-db");
  assert.equal(t.tag("10.1.9.1", 0).subnet, "app");
  assert.equal(t.tag("10.200.0.1", 0).subnet, "corp");
  assert.equal(t.tag("192.0.2.1", 0).subnet, "default");
  assert.equal(t.tag("10.1.2.200", 0).subnetId, 3);
});

Deno.test("Tagger.tag() matches IPv6 prefixes whatever the address's spelling", () => {
  const t = compileTagger(SNAPSHOT);
  assert.equal(t.tag("2001:db8:0:1::99", 0).subnet, "v6-rack");
  assert.equal(t.tag("2001:0DB8:0000:0001:0000:0000:0000:0099", 0).subnet, "v6-rack");
  assert.equal(t.tag("2001:db8:ffff::1", 0).subnet, "v6-site");
  assert.equal(t.tag("2001:db8:ffff::1", 0).region, "lab");
  assert.equal(t.tag("2001:db9::1", 0).subnet, "", "no IPv6 default route");
});

Deno.test("Tagger.tag() names hosts, services by address:port and protocol, pods and labels", () => {
  const t = compileTagger(SNAPSHOT);
  const db = t.tag("10.1.2.7", 5432, 6);
  assert.deepEqual(
    { ...db },
    {
      region: "eu-west",
      vpc: "prod",
      subnet: "app-db",
      subnetId: 3,
      host: "db-1",
      service: "postgres",
      podNs: "",
      pod: "",
      labels: { role: "db" },
    },
  );
  assert.equal(t.tag("10.1.2.7", 5432, 17).service, "", "postgres is TCP only");
  assert.equal(t.tag("10.1.2.7", 53, 17).service, "dns-udp", "the protocol-specific one wins");
  assert.equal(t.tag("10.1.2.7", 53, 6).service, "dns");
  assert.equal(t.tag("2001:db8:0:1:0:0:0:7", 53, 6).service, "dns");
  assert.equal(t.tag("2001:db8:0:1::7", 22).host, "db-1");
  const pod = t.tag("10.1.3.9", 8080, 6);
  assert.equal(pod.pod, "checkout-7f");
  assert.equal(pod.podNs, "shop");
  assert.equal(pod.host, "db-1", "a pod's node is its host");
  // Labels come from the longest-prefix subnet only, then the host, pod and service.
  assert.deepEqual(pod.labels, { env: "prod", role: "db", app: "checkout" });
});

Deno.test("Tagger.tag() returns no tags for unknown or malformed addresses", () => {
  const t = compileTagger(EMPTY_SNAPSHOT);
  assert.equal(t.tag("10.0.0.1", 80).subnet, "");
  const full = compileTagger(SNAPSHOT);
  for (const bad of ["", "10.0.0", "::g", "1.2.3.4.5", "300.1.1.1"]) {
    assert.equal(full.tag(bad, 80).subnet, "", bad);
  }
});

Deno.test("Tagger.tagRow() fills the client _0 and server _1 columns", () => {
  const t = compileTagger(SNAPSHOT);
  const row = t.tagRow({
    ip0: "10.1.3.9",
    ip1: "10.1.2.7",
    clientPort: 40000,
    serverPort: 5432,
    protocol: 6,
  });
  assert.equal(row.pod0, "checkout-7f");
  assert.equal(row.service0, "");
  assert.equal(row.service1, "postgres");
  assert.equal(row.host1, "db-1");
  assert.equal(row.subnet1, "app-db");
});

// A seeded generator so that a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function contains(c: { bytes: Uint8Array; prefix: number }, ip: Uint8Array): boolean {
  if (c.bytes.length !== ip.length) return false;
  for (let bit = 0; bit < c.prefix; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((c.bytes[bit >> 3]! & m) !== (ip[bit >> 3]! & m)) return false;
  }
  return true;
}

Deno.test("Tagger.tag() agrees with a naive scan over random CIDRs (IPv4 and IPv6)", () => {
  for (const width of [4, 16]) {
    const random = rng(width * 7919);
    // Addresses share a short random stem so that prefixes overlap often.
    const stem = Uint8Array.from({ length: width }, () => Math.floor(random() * 256));
    const near = () => {
      const b = new Uint8Array(stem);
      const keep = Math.floor(random() * width * 8);
      for (let bit = keep; bit < width * 8; bit++) {
        if (random() < 0.5) b[bit >> 3] = b[bit >> 3]! ^ (0x80 >> (bit & 7));
      }
      return b;
    };
    const subnets: SubnetItem[] = [];
    const seen = new Set<string>();
    while (subnets.length < 300) {
      const b = near();
      const prefix = Math.floor(random() * (width * 8 + 1));
      for (let bit = prefix; bit < width * 8; bit++) {
        b[bit >> 3] = b[bit >> 3]! & ~(0x80 >> (bit & 7));
      }
      const cidr = `${formatIp(b)}/${prefix}`;
      if (seen.has(cidr)) continue;
      seen.add(cidr);
      subnets.push(subnet(subnets.length + 1, `s${subnets.length + 1}`, cidr));
    }
    const t = compileTagger({ ...EMPTY_SNAPSHOT, subnets });
    const parsed = subnets.map((s) => ({
      s,
      c: parseCidr(s.cidr) as { bytes: Uint8Array; prefix: number },
    }));
    for (let i = 0; i < 3000; i++) {
      const ip = near();
      let best: SubnetItem | undefined;
      let bestLen = -1;
      for (const { s, c } of parsed) {
        if (c.prefix > bestLen && contains(c, ip)) [best, bestLen] = [s, c.prefix];
      }
      assert.equal(t.tag(formatIp(ip), 0).subnet, best?.name ?? "", `${formatIp(ip)}`);
    }
  }
});

Deno.test("Tagger.tagValues() lines up with FLOW_TAG_COLUMNS for COPY", () => {
  const t = compileTagger(SNAPSHOT);
  const values = t.tagValues({
    ip0: "10.1.3.9",
    ip1: "10.1.2.7",
    clientPort: 40000,
    serverPort: 5432,
    protocol: 6,
  });
  const byColumn = Object.fromEntries(FLOW_TAG_COLUMNS.map((c, i) => [c, values[i]]));
  assert.equal(values.length, 18);
  assert.equal(byColumn.pod_0, "checkout-7f");
  assert.equal(byColumn.service_1, "postgres");
  assert.equal(byColumn.subnet_id_1, 3);
  assert.equal(byColumn.labels_1, '{"role":"db"}');
});
