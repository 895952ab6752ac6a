// The license module keys (DESIGN §1): the manager's module table (manager/license/modules.ts)
// and the appliance's entitlement checks both name modules by these keys.

/** The eight license module keys, in DESIGN §1 / §9 order. */
export const MODULE_KEYS = [
  "traffic_distribution",
  "network_monitoring",
  "call_monitoring",
  "db_monitoring",
  "function_monitoring",
  "app_monitoring",
  "metrics_monitoring",
  "log_monitoring",
] as const;

export type ModuleKey = typeof MODULE_KEYS[number];

export function isModuleKey(value: string): value is ModuleKey {
  return (MODULE_KEYS as readonly string[]).includes(value);
}
