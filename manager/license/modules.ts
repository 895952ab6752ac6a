// The one table of license modules (DESIGN §1): for each module, the routes and pages it gates
// and the request-log / span rows it makes visible. Gating middleware (manager/http/gating.ts),
// the navigation lock and the data filter (data_filter.ts) all read this table; a new route or
// page of a module registers here and nowhere else.

import { isModuleKey, MODULE_KEYS, type ModuleKey } from "../../appliance/wire/mod.ts";

export { isModuleKey, MODULE_KEYS, type ModuleKey };

/** DESIGN §7: l7 signal_source values. */
export const SIGNAL_SOURCE = { packet: 0, ebpf: 3, otel: 4 } as const;

/** DESIGN §1: the database protocols (SQL family 60–68, Redis 80, MongoDB 81, Memcached 82). */
export const DATABASE_L7_PROTOCOLS: readonly number[] = [
  60,
  61,
  62,
  63,
  64,
  65,
  66,
  67,
  68,
  80,
  81,
  82,
];

/**
 * Which request-log / span rows a module makes visible: rows whose signal_source is one of
 * `signalSources` and, when `l7Protocols` is set, whose l7_protocol is one of them.
 */
export interface RowRule {
  signalSources: readonly number[];
  l7Protocols?: readonly number[];
}

export interface ModuleSpec {
  key: ModuleKey;
  label: string;
  /**
   * Path prefixes (pages and API) that need this module: a request is gated when its path is
   * the prefix or continues it after a "/".
   */
  routes: readonly string[];
  /** Request-log / span rows the module makes visible (DESIGN §1 second table). */
  requestLogRows?: RowRule;
  /** Statement details and the DB analysis views, on any row the user can see. */
  dbDetails?: boolean;
  /** All span attributes, resource attributes and events. */
  spanAttributes?: boolean;
}

export const MODULES: Readonly<Record<ModuleKey, ModuleSpec>> = {
  traffic_distribution: {
    key: "traffic_distribution",
    label: "Traffic distribution",
    routes: [],
  },
  network_monitoring: {
    key: "network_monitoring",
    label: "Network monitoring",
    routes: ["/flows", "/api/v1/flows", "/network", "/api/v1/netmon", "/pcap", "/api/v1/pcap"],
    requestLogRows: { signalSources: [SIGNAL_SOURCE.packet], l7Protocols: [20, 120] },
  },
  call_monitoring: {
    key: "call_monitoring",
    label: "Call monitoring",
    // Network monitoring alone reads the HTTP/DNS rows of the request log at /network/requests
    // (its own prefix); the data filter decides the rows on both.
    routes: [
      "/requests",
      "/api/v1/requests",
      "/app/resource",
      "/app/path",
      "/app/topology",
      "/api/v1/app",
    ],
    requestLogRows: { signalSources: [SIGNAL_SOURCE.packet, SIGNAL_SOURCE.ebpf] },
  },
  db_monitoring: {
    key: "db_monitoring",
    label: "DB monitoring",
    routes: ["/db", "/api/v1/db"],
    requestLogRows: {
      signalSources: [SIGNAL_SOURCE.packet, SIGNAL_SOURCE.ebpf],
      l7Protocols: DATABASE_L7_PROTOCOLS,
    },
    dbDetails: true,
  },
  function_monitoring: {
    key: "function_monitoring",
    label: "Function monitoring",
    routes: [],
  },
  app_monitoring: {
    key: "app_monitoring",
    label: "App monitoring",
    routes: [],
    requestLogRows: { signalSources: [SIGNAL_SOURCE.otel] },
    spanAttributes: true,
  },
  metrics_monitoring: {
    key: "metrics_monitoring",
    label: "Metrics monitoring",
    routes: [],
  },
  log_monitoring: {
    key: "log_monitoring",
    label: "Log monitoring",
    routes: [],
  },
};

/** Every gated path prefix with its module, longest first so the most specific one wins. */
export function gatedRoutes(): { prefix: string; module: ModuleKey }[] {
  return MODULE_KEYS
    .flatMap((key) => MODULES[key].routes.map((prefix) => ({ prefix, module: key })))
    .sort((a, b) => b.prefix.length - a.prefix.length);
}

/** The module a request path needs, or undefined when the path is not gated. */
export function moduleForPath(path: string): ModuleKey | undefined {
  for (const { prefix, module } of gatedRoutes()) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return module;
  }
  return undefined;
}
