// The inventory's kinds and their fields: one table that the API, the forms, CSV/JSON import and
// export all read, so a field is validated the same way wherever it comes from.
import { formatCidr, formatEndpoint, normalizeIp, parseCidr, parseEndpoint } from "./ip.ts";

export const KINDS = ["region", "vpc", "subnet", "host", "service", "pod"] as const;
export type Kind = typeof KINDS[number];

/** Plural names: API paths (`/api/v1/inventory/subnets`) and JSON export keys. */
export const PLURAL: Readonly<Record<Kind, string>> = {
  region: "regions",
  vpc: "vpcs",
  subnet: "subnets",
  host: "hosts",
  service: "services",
  pod: "pods",
};

export const KIND_LABELS: Readonly<Record<Kind, string>> = {
  region: "Regions and sites",
  vpc: "VPCs",
  subnet: "Subnets",
  host: "Hosts",
  service: "Services",
  pod: "Pods",
};

export type FieldType =
  | "name"
  | "text"
  | "cidr"
  | "ips"
  | "endpoints"
  | "protocol"
  | "labels"
  | "ref";

export interface FieldSpec {
  key: string;
  label: string;
  type: FieldType;
  /** For `ref`: the kind named. */
  ref?: Kind;
  required?: boolean;
  hint?: string;
}

const name: FieldSpec = { key: "name", label: "Name", type: "name", required: true };
const labels: FieldSpec = {
  key: "labels",
  label: "Labels",
  type: "labels",
  hint: "key=value pairs separated by ; (e.g. env=prod;team=payments)",
};
const regionRef: FieldSpec = { key: "region", label: "Region", type: "ref", ref: "region" };
const vpcRef: FieldSpec = { key: "vpc", label: "VPC", type: "ref", ref: "vpc" };
const ips: FieldSpec = {
  key: "ips",
  label: "Addresses",
  type: "ips",
  required: true,
  hint: "IPv4 or IPv6 addresses separated by spaces or ;",
};

export const FIELDS: Readonly<Record<Kind, readonly FieldSpec[]>> = {
  region: [name, { key: "description", label: "Description", type: "text" }],
  vpc: [name, regionRef, { key: "description", label: "Description", type: "text" }],
  subnet: [
    name,
    { key: "cidr", label: "CIDR", type: "cidr", required: true, hint: "e.g. 10.1.0.0/16" },
    vpcRef,
    regionRef,
    labels,
  ],
  host: [name, ips, regionRef, vpcRef, labels],
  service: [
    name,
    {
      key: "endpoints",
      label: "Endpoints",
      type: "endpoints",
      required: true,
      hint: "address:port ([v6]:port) separated by spaces or ;",
    },
    { key: "protocol", label: "Protocol", type: "protocol", hint: "tcp, udp, any or a number" },
    labels,
  ],
  pod: [
    name,
    { key: "namespace", label: "Namespace", type: "name", required: true },
    ips,
    { key: "host", label: "Node (host)", type: "ref", ref: "host" },
    labels,
  ],
};

/** A validated item of any kind, as stored (`id` once stored). */
export interface Item {
  id?: number;
  name: string;
  [field: string]: unknown;
}

const PROTOCOLS: Record<string, number> = { any: 0, "": 0, tcp: 6, udp: 17, sctp: 132 };

export function protocolText(n: number): string {
  return Object.entries(PROTOCOLS).find(([k, v]) => v === n && k !== "")?.[0] ?? String(n);
}

function list(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    return value.every((v) => typeof v === "string") ? value.map((v) => v.trim()) : undefined;
  }
  if (typeof value !== "string") return undefined;
  return value.split(/[\s;,]+/).filter((s) => s !== "");
}

/** Labels as an object or `k=v;k=v` text. */
export function parseLabels(value: unknown): Record<string, string> | { error: string } {
  const out: Record<string, string> = {};
  if (value === undefined || value === null || value === "") return out;
  if (typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== "string" && typeof v !== "number") {
        return { error: `label ${k} must be a string` };
      }
      out[k] = String(v);
    }
  } else if (typeof value === "string") {
    for (const pair of value.split(";").map((p) => p.trim()).filter((p) => p !== "")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) return { error: `"${pair}" is not key=value` };
      out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
  } else return { error: "labels must be key=value;… or an object" };
  for (const k of Object.keys(out)) {
    if (!/^[A-Za-z0-9_.\/-]{1,63}$/.test(k)) {
      return { error: `label key "${k}" may only use letters, digits, _ . / - (1–63)` };
    }
  }
  return out;
}

export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(";");
}

/** Field → message for every problem of `input`; `item` when there is none. */
export function validateItem(
  kind: Kind,
  input: Record<string, unknown>,
): { item: Item; errors?: undefined } | { item?: undefined; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const item: Item = { name: "" };
  const known = new Set(["kind", "id", ...FIELDS[kind].map((f) => f.key)]);
  for (const key of Object.keys(input)) {
    if (!known.has(key) && input[key] !== "" && input[key] !== undefined) {
      errors[key] = `a ${kind} has no field "${key}"`;
    }
  }
  for (const f of FIELDS[kind]) {
    const raw = input[f.key];
    const text = typeof raw === "string"
      ? raw.trim()
      : raw === undefined || raw === null
      ? ""
      : raw;
    if (f.required && (text === "" || (Array.isArray(text) && text.length === 0))) {
      errors[f.key] = `${f.label} is required`;
      continue;
    }
    switch (f.type) {
      case "name":
      case "text":
      case "ref": {
        if (typeof text !== "string") {
          errors[f.key] = `${f.label} must be text`;
          break;
        }
        if (f.type !== "text" && text !== "" && !/^[^\s\p{Cc},;"]{1,128}$/u.test(text)) {
          errors[f.key] = `${f.label} must be 1–128 characters without spaces, commas or quotes`;
        } else if (text.length > 512) errors[f.key] = `${f.label} is longer than 512 characters`;
        item[f.key] = text;
        break;
      }
      case "cidr": {
        const c = typeof text === "string" ? parseCidr(text) : { error: "must be text" };
        if ("error" in c) errors[f.key] = c.error;
        else item[f.key] = formatCidr(c);
        break;
      }
      case "ips": {
        const values = list(text);
        if (!values) {
          errors[f.key] = `${f.label} must be a list of addresses`;
          break;
        }
        const out: string[] = [];
        for (const v of values) {
          const ip = normalizeIp(v);
          if (!ip) {
            errors[f.key] = `"${v}" is not an IPv4 or IPv6 address`;
            break;
          }
          if (!out.includes(ip)) out.push(ip);
        }
        item[f.key] = out;
        break;
      }
      case "endpoints": {
        const values = list(text);
        if (!values) {
          errors[f.key] = `${f.label} must be a list of address:port`;
          break;
        }
        const out: string[] = [];
        for (const v of values) {
          const ep = parseEndpoint(v);
          if ("error" in ep) {
            errors[f.key] = ep.error;
            break;
          }
          const t = formatEndpoint(ep.ip, ep.port);
          if (!out.includes(t)) out.push(t);
        }
        item[f.key] = out;
        break;
      }
      case "protocol": {
        const t = String(text).toLowerCase();
        const n = PROTOCOLS[t] ?? (/^\d{1,3}$/.test(t) && Number(t) <= 255 ? Number(t) : -1);
        if (n < 0) errors[f.key] = "protocol must be tcp, udp, sctp, any or a number 0–255";
        else item[f.key] = n;
        break;
      }
      case "labels": {
        const l = parseLabels(text);
        if ("error" in l) errors[f.key] = l.error as string;
        else item[f.key] = l;
        break;
      }
    }
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { item };
}

/** The key that identifies an item within its kind (a pod's name is unique per namespace). */
export function itemKey(kind: Kind, item: Item): string {
  return kind === "pod" ? `${item.namespace}/${item.name}` : item.name;
}

/** An item's fields as text, for CSV cells and form inputs. */
export function fieldText(f: FieldSpec, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (f.type === "ips" || f.type === "endpoints") return (value as string[]).join(" ");
  if (f.type === "labels") return labelsText(value as Record<string, string>);
  if (f.type === "protocol") return protocolText(value as number);
  return String(value);
}
