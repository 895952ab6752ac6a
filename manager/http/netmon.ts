// Network monitoring views (issue #9): /network/{resource,path,topology,nat} pages and their JSON
// twins under /api/v1/netmon/. Gated by network_monitoring (license/modules.ts).
import { type Context, Hono } from "hono";
import {
  describeErrors,
  dimensionOf,
  dimensions,
  type FlowHop,
  hopOfRow,
  hopOfTuple,
  METRICS,
  type NetmonFilters,
  type NetmonRaw,
  parseFlowRef,
  parseNetmonParams,
  pathOfFlow,
  pathOfPair,
  type PathResult,
  queryResources,
  queryTopology,
  resolveRange,
  STRICTNESS,
  type Strictness,
  traceNat,
} from "../netmon/mod.ts";
import {
  type NatHopView,
  NatResults,
  NatTracingPage,
  NetworkPathPage,
  NetworkResourcePage,
  NetworkTopologyPage,
  PathResults,
  renderFragment,
  renderPage,
  ResourceResults,
  TopologyResults,
} from "../../ui/mod.ts";
import type { AppDeps } from "../app.ts";
import { HttpError } from "./errors.ts";
import { pageFrame } from "./page_frame.ts";

const metricOptions = METRICS.map((m) => ({ key: m.key, label: m.label, unit: m.unit }));
const metricSelect = METRICS.map((m) => ({ value: m.key, label: m.label }));

/** htmx asking for the results region only (one URL serves the page or the fragment). */
function partial(c: Context): boolean {
  c.header("Vary", "HX-Request");
  return c.req.header("hx-request") === "true" &&
    c.req.header("hx-history-restore-request") !== "true";
}

function params(c: Context): URLSearchParams {
  return new URL(c.req.url).searchParams;
}

function href(path: string, values: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

function check(errors: Record<string, string | undefined>): void {
  const problems = describeErrors(errors);
  if (problems) throw new HttpError(400, problems);
}

function drillHref(group: string, key: string, raw: NetmonRaw): string | undefined {
  const d = dimensionOf(group);
  const keep = { from: raw.from, to: raw.to, metric: raw.metric };
  if (d?.drill === "ip") {
    return href("/network/resource", { ...keep, ip: key, group: "server_port" });
  }
  if (d?.drill === "port") {
    return href("/network/resource", { ...keep, port: key, group: "client_ip" });
  }
  if (d?.drill === "appliance" || d?.drill === "capture_point") {
    return href("/network/resource", { ...keep, appliance: key, group: "server_ip" });
  }
  return undefined;
}

/** Resolves the NAT/path origin: `flow=appliance:timeMs:id`, or ip0/port0/ip1/port1 (+from/to). */
async function originOf(
  deps: AppDeps,
  q: URLSearchParams,
  f: NetmonFilters,
): Promise<FlowHop | undefined> {
  const flow = q.get("flow");
  if (flow) {
    const ref = parseFlowRef(flow);
    if (!ref) throw new HttpError(400, "flow: expected appliance:timeMs:id");
    return await hopOfRow(deps.database, ref);
  }
  const ip0 = q.get("ip0"), ip1 = q.get("ip1");
  const port0 = Number(q.get("port0")), port1 = Number(q.get("port1"));
  if (!ip0 || !ip1) return undefined;
  if (!Number.isInteger(port0) || !Number.isInteger(port1)) {
    throw new HttpError(400, "port0/port1: expected ports");
  }
  const range = await resolveRange(deps.database, f, 24 * 3_600_000);
  return await hopOfTuple(deps.database, {
    ip0,
    clientPort: port0,
    ip1,
    serverPort: port1,
    protocol: 6,
  }, range);
}

function hopView(h: FlowHop): NatHopView {
  return {
    point: `${h.appliance}#${h.captureNic}`,
    observationPoint: h.observationPoint,
    ip0: h.ip0,
    clientPort: h.clientPort,
    ip1: h.ip1,
    serverPort: h.serverPort,
    startUs: h.startUs,
    bytes: h.metrics.byteTx + h.metrics.byteRx,
    pathHref: href("/network/path", { flow: h.ref }),
  };
}

export function netmonRoutes(deps: AppDeps): { page: Hono; api: Hono } {
  const page = new Hono();
  const api = new Hono();
  const db = deps.database;

  // The section's own URL (nav, typed by hand): resource analysis, keeping any query string.
  page.get("/", (c) => c.redirect(`/network/resource${new URL(c.req.url).search}`, 302));

  const resource = async (c: Context) => {
    const { raw, filters, errors } = parseNetmonParams(params(c));
    check(errors);
    const range = await resolveRange(db, filters);
    return { raw, filters, range, result: await queryResources(db, filters, range) };
  };
  api.get("/resource", async (c) => {
    const { result } = await resource(c);
    return c.json(result);
  });
  page.get("/resource", async (c) => {
    const { raw, filters, range, result } = await resource(c);
    const dim = dimensionOf(filters.group, filters.side)!;
    const props: Parameters<typeof NetworkResourcePage>[0] = {
      form: {
        action: "/network/resource",
        values: { ...raw, group: filters.group, metric: filters.metric },
        errors: {},
        fields: [
          { name: "ip", label: "IP", placeholder: "address or CIDR" },
          { name: "port", label: "Server port", placeholder: "any" },
          { name: "appliance", label: "Appliance", placeholder: "name or name#nic" },
          {
            name: "group",
            label: "Group by",
            options: dimensions().map((d) => ({ value: d.key, label: d.label })),
          },
          { name: "metric", label: "Chart", options: metricSelect },
        ],
      },
      metrics: metricOptions,
      metric: filters.metric,
      sort: filters.sort,
      groupLabel: dim.label,
      fromMs: range.fromMs,
      toMs: range.toMs,
      source: result.source,
      seriesSource: result.seriesSource,
      bucketSeconds: result.bucketSeconds,
      rows: result.rows.map((r) => ({ ...r, href: drillHref(filters.group, r.key, raw) })),
      series: result.series,
      sortHref: (m) => href("/network/resource", { ...raw, sort: m }),
    };
    if (partial(c)) return c.html(renderFragment(ResourceResults(props)));
    return c.html(renderPage(NetworkResourcePage(props), pageFrame(c)));
  });

  const topology = async (c: Context) => {
    const q = params(c);
    const { raw, filters, errors } = parseNetmonParams(q);
    check(errors);
    const warn = q.get("warn") ? Number(q.get("warn")) : undefined;
    const crit = q.get("crit") ? Number(q.get("crit")) : undefined;
    const range = await resolveRange(db, filters);
    return {
      raw,
      filters,
      topo: await queryTopology(db, filters, range, { thresholds: { warn, crit } }),
    };
  };
  api.get("/topology", async (c) => c.json((await topology(c)).topo));
  page.get("/topology", async (c) => {
    const { raw, filters, topo } = await topology(c);
    const keep = { from: raw.from, to: raw.to };
    const props: Parameters<typeof NetworkTopologyPage>[0] = {
      form: {
        action: "/network/topology",
        values: { ...raw, metric: filters.metric },
        errors: {},
        fields: [
          { name: "ip", label: "IP", placeholder: "address or CIDR" },
          { name: "port", label: "Server port", placeholder: "any" },
          { name: "metric", label: "Metric", options: metricSelect },
        ],
      },
      metric: metricOptions.find((m) => m.key === filters.metric)!,
      thresholds: topo.thresholds,
      nodes: topo.layout.nodes.map((n) => ({
        ...n,
        href: href("/network/resource", { ...keep, ip: n.id, group: "ip" }),
      })),
      edges: topo.edges.map((e) => ({
        ...e,
        href: href("/network/path", { ...keep, client: e.from, server: e.to }),
      })),
      width: topo.layout.width,
      height: topo.layout.height,
      totalEdges: topo.totalEdges,
      totalBytes: topo.totalBytes,
    };
    if (partial(c)) return c.html(renderFragment(TopologyResults(props)));
    return c.html(renderPage(NetworkTopologyPage(props), pageFrame(c)));
  });

  const path = async (
    c: Context,
  ): Promise<{ raw: NetmonRaw; result: PathResult | undefined; title: string }> => {
    const q = params(c);
    const { raw, filters, errors } = parseNetmonParams(q);
    check({ from: errors.from, to: errors.to });
    const client = q.get("client"), server = q.get("server");
    if (client && server) {
      const range = await resolveRange(db, filters);
      const port = q.get("port") ? Number(q.get("port")) : undefined;
      return {
        raw,
        result: await pathOfPair(db, { client, server, port }, range),
        title: `${client} → ${server}`,
      };
    }
    const origin = await originOf(deps, q, filters);
    if (!origin) {
      return { raw, result: undefined, title: "Choose a flow or a client → server pair." };
    }
    return { raw, result: await pathOfFlow(db, origin), title: `Flow ${origin.ref}` };
  };
  api.get("/path", async (c) => {
    const { result } = await path(c);
    if (!result) throw new HttpError(404, "no such flow, or no flow/client+server given");
    return c.json(result);
  });
  page.get("/path", async (c) => {
    const { raw, result, title } = await path(c);
    const q = params(c);
    const props: Parameters<typeof NetworkPathPage>[0] = {
      form: {
        action: "/network/path",
        values: {
          ...raw,
          client: q.get("client") ?? "",
          server: q.get("server") ?? "",
          flow: q.get("flow") ?? "",
        },
        errors: {},
        fields: [
          { name: "client", label: "Client IP", placeholder: "e.g. 10.1.0.5" },
          { name: "server", label: "Server IP", placeholder: "e.g. 10.0.0.80" },
          { name: "flow", label: "or flow row", placeholder: "appliance:timeMs:id" },
        ],
      },
      title,
      steps: result?.steps ?? [],
      message: result && result.steps.length === 0
        ? "No traffic for this choice in the range."
        : undefined,
    };
    if (partial(c)) return c.html(renderFragment(PathResults(props)));
    return c.html(renderPage(NetworkPathPage(props), pageFrame(c)));
  });

  const nat = async (c: Context) => {
    const q = params(c);
    const { raw, filters, errors } = parseNetmonParams(q);
    check({ from: errors.from, to: errors.to });
    const s = q.get("strictness") || "normal";
    if (!(STRICTNESS as readonly string[]).includes(s)) {
      throw new HttpError(400, `strictness: expected ${STRICTNESS.join(", ")}`);
    }
    const origin = await originOf(deps, q, filters);
    const trace = origin ? await traceNat(db, origin, { strictness: s as Strictness }) : undefined;
    return { raw, q, strictness: s, trace };
  };
  api.get("/nat", async (c) => {
    const { trace } = await nat(c);
    if (!trace) throw new HttpError(404, "no such flow, or no flow/tuple given");
    return c.json(trace);
  });
  page.get("/nat", async (c) => {
    const { raw, q, strictness, trace } = await nat(c);
    const given = q.get("flow") || q.get("ip0");
    const props: Parameters<typeof NatTracingPage>[0] = {
      form: {
        action: "/network/nat",
        values: {
          ...raw,
          ...Object.fromEntries(
            ["flow", "ip0", "port0", "ip1", "port1"].map((k) => [k, q.get(k) ?? ""]),
          ),
          strictness,
        },
        errors: {},
        fields: [
          { name: "ip0", label: "Client IP", placeholder: "e.g. 198.51.100.10" },
          { name: "port0", label: "Client port" },
          { name: "ip1", label: "Server IP" },
          { name: "port1", label: "Server port" },
          { name: "flow", label: "or flow row", placeholder: "appliance:timeMs:id" },
          {
            name: "strictness",
            label: "Strictness",
            options: STRICTNESS.map((s) => ({ value: s, label: s })),
          },
        ],
      },
      origin: trace ? hopView(trace.origin) : undefined,
      confident: trace?.confident ?? false,
      strictness,
      chain: trace?.chain.map(hopView) ?? [],
      candidates: trace?.candidates.map((x) => ({ ...x, hop: hopView(x.hop) })) ?? [],
      message: given && !trace ? "No TCP flow found for this tuple or row." : undefined,
    };
    if (partial(c)) return c.html(renderFragment(NatResults(props)));
    return c.html(renderPage(NatTracingPage(props), pageFrame(c)));
  });
  return { page, api };
}
