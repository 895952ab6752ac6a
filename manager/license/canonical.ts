// The canonical encoding that signatures cover lives in appliance/wire/canonical.ts (the
// appliance verifies entitlements with it); re-exported for the license code.
export {
  CanonicalError,
  canonicalJson,
  type CanonicalValue,
  signedBytes,
} from "../../appliance/wire/mod.ts";
