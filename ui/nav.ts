// The left navigation, in DESIGN §9's order: one section per license module, Administration last.
// An entry with a `path` is a live page; the others are shown disabled until their page lands, so
// the navigation already has its final shape.

/** One navigation entry. */
export interface NavEntry {
  /** Stable id, matched against the layout's `active` prop. */
  id: string;
  label: string;
  /** Set once the page exists. */
  path?: string;
}

/** One navigation section (a license module, or Administration). */
export interface NavSection {
  /** The license module key (DESIGN §1), or `"admin"`. */
  module: string;
  label: string;
  entries: NavEntry[];
}

/** The product's navigation. */
export const NAV: readonly NavSection[] = [
  {
    module: "traffic_distribution",
    label: "Traffic distribution",
    entries: [
      { id: "distribution-policies", label: "Policies", path: "/distribution/policies" },
      { id: "distribution-points", label: "Points", path: "/distribution/points" },
    ],
  },
  {
    module: "network_monitoring",
    label: "Network monitoring",
    entries: [
      { id: "network-resource", label: "Resource analysis", path: "/network/resource" },
      { id: "network-path", label: "Path analysis", path: "/network/path" },
      { id: "network-topology", label: "Topology", path: "/network/topology" },
      { id: "flows", label: "Flow logs", path: "/flows" },
      { id: "nat-tracing", label: "NAT tracing", path: "/network/nat" },
      { id: "pcap-policies", label: "PCAP policies", path: "/pcap/policies" },
      { id: "pcap-analysis", label: "PCAP analysis", path: "/pcap/analysis" },
    ],
  },
  {
    module: "call_monitoring",
    label: "Call monitoring",
    entries: [
      { id: "tracing", label: "Tracing" },
      { id: "trace-topology", label: "Trace topology" },
      { id: "app-resource", label: "Resource analysis", path: "/app/resource" },
      { id: "app-path", label: "Path analysis", path: "/app/path" },
      { id: "app-topology", label: "Topology", path: "/app/topology" },
      { id: "request-logs", label: "Request logs", path: "/requests" },
      { id: "file-io", label: "File I/O" },
    ],
  },
  {
    module: "db_monitoring",
    label: "DB monitoring",
    entries: [{ id: "db-analysis", label: "DB analysis", path: "/db" }],
  },
  {
    module: "function_monitoring",
    label: "Function monitoring",
    entries: [{ id: "profiling", label: "Continuous profiling" }],
  },
  {
    module: "app_monitoring",
    label: "App monitoring",
    entries: [{ id: "app-traces", label: "Application traces" }],
  },
  {
    module: "metrics_monitoring",
    label: "Metrics",
    entries: [
      { id: "metrics-center", label: "Metrics center" },
      { id: "custom-views", label: "Custom views" },
    ],
  },
  {
    module: "log_monitoring",
    label: "Logs",
    entries: [{ id: "log-center", label: "Log center" }],
  },
  {
    module: "admin",
    label: "Administration",
    entries: [
      { id: "appliances", label: "Appliances", path: "/admin/appliances" },
      { id: "licenses", label: "Licenses", path: "/admin/licenses" },
      { id: "users", label: "Users", path: "/admin/users" },
      { id: "audit-log", label: "Audit log", path: "/admin/audit" },
      { id: "inventory", label: "Inventory", path: "/admin/inventory" },
      { id: "settings", label: "Settings" },
    ],
  },
];
