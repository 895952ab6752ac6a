import {
  integer,
  jsonb,
  pgTable,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * The AutoTagging inventory (DESIGN §5): what the addresses seen in traffic belong to. References
 * between kinds are by name (a subnet's `vpc`, a host's `region`), checked on every write and
 * renamed along with their target, so that CSV/JSON files read and round-trip the way people
 * write them. Labels are free `{key: value}` pairs merged into a flow's tags.
 */

const updated = () =>
  timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const labels = () => jsonb("labels").$type<Record<string, string>>().notNull().default({});

/** A region or site. */
export const invRegion = pgTable("inv_region", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
  description: text("description").notNull().default(""),
  updatedAt: updated(),
}, (t) => [uniqueIndex("inv_region_name_idx").on(t.name)]);

/** A VPC (or any routing domain), optionally in a region. */
export const invVpc = pgTable("inv_vpc", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
  region: text("region").notNull().default(""),
  description: text("description").notNull().default(""),
  updatedAt: updated(),
}, (t) => [uniqueIndex("inv_vpc_name_idx").on(t.name)]);

/** A subnet: one CIDR (IPv4 or IPv6), matched by longest prefix. */
export const invSubnet = pgTable("inv_subnet", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
  /** Normalized `address/prefix` (host bits zero). */
  cidr: text("cidr").notNull(),
  vpc: text("vpc").notNull().default(""),
  region: text("region").notNull().default(""),
  labels: labels(),
  updatedAt: updated(),
}, (t) => [
  uniqueIndex("inv_subnet_name_idx").on(t.name),
  uniqueIndex("inv_subnet_cidr_idx").on(t.cidr),
]);

/** A host (server, VM, appliance…) with its addresses. */
export const invHost = pgTable("inv_host", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
  /** Normalized addresses. */
  ips: jsonb("ips").$type<string[]>().notNull().default([]),
  region: text("region").notNull().default(""),
  vpc: text("vpc").notNull().default(""),
  labels: labels(),
  updatedAt: updated(),
}, (t) => [uniqueIndex("inv_host_name_idx").on(t.name)]);

/** A service: a set of `address:port` endpoints and an IP protocol (0 = any). */
export const invService = pgTable("inv_service", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
  protocol: smallint("protocol").notNull().default(0),
  /** Normalized `address:port` (`[v6]:port` for IPv6). */
  endpoints: jsonb("endpoints").$type<string[]>().notNull().default([]),
  labels: labels(),
  updatedAt: updated(),
}, (t) => [uniqueIndex("inv_service_name_idx").on(t.name)]);

/** A Kubernetes-style pod in a namespace, with its addresses and the host (node) it runs on. */
export const invPod = pgTable("inv_pod", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
  namespace: text("namespace").notNull().default("default"),
  ips: jsonb("ips").$type<string[]>().notNull().default([]),
  host: text("host").notNull().default(""),
  labels: labels(),
  updatedAt: updated(),
}, (t) => [uniqueIndex("inv_pod_ns_name_idx").on(t.namespace, t.name)]);

/**
 * The AutoTagging columns of flow_log, client side `_0` and server side `_1` (DeepFlow's
 * universal tag names). Text, '' when untagged, so that filters and group-bys need no joins and
 * rows keep their tags after the inventory changes (until re-tagged).
 */
export function flowTagColumns() {
  return {
    region0: text("region_0").notNull().default(""),
    vpc0: text("vpc_0").notNull().default(""),
    subnet0: text("subnet_0").notNull().default(""),
    subnetId0: integer("subnet_id_0").notNull().default(0),
    host0: text("host_0").notNull().default(""),
    service0: text("service_0").notNull().default(""),
    podNs0: text("pod_ns_0").notNull().default(""),
    pod0: text("pod_0").notNull().default(""),
    labels0: jsonb("labels_0").$type<Record<string, string>>().notNull().default({}),
    region1: text("region_1").notNull().default(""),
    vpc1: text("vpc_1").notNull().default(""),
    subnet1: text("subnet_1").notNull().default(""),
    subnetId1: integer("subnet_id_1").notNull().default(0),
    host1: text("host_1").notNull().default(""),
    service1: text("service_1").notNull().default(""),
    podNs1: text("pod_ns_1").notNull().default(""),
    pod1: text("pod_1").notNull().default(""),
    labels1: jsonb("labels_1").$type<Record<string, string>>().notNull().default({}),
  };
}
