// Entitlements (the signed list of modules an appliance may use) live in
// appliance/wire/entitlement.ts, shared with the appliance; re-exported for the license code.
export {
  type Entitlement,
  ENTITLEMENT_FORMAT,
  type EntitlementCheck,
  entitles,
  signEntitlement,
  verifyEntitlement,
} from "../../appliance/wire/mod.ts";
