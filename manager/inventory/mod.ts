/**
 * @module
 * AutoTagging (DESIGN §5): the resource inventory (regions, VPCs, subnets, hosts, services, pods,
 * labels), its import and export, the tagger compiled from it, and re-tagging of stored flows.
 *
 * ```ts
 * const inventory = new InventoryService(database, { audit: auth.audit.record });
 * const tagger = await inventory.tagger();
 * tagger.tag("10.1.0.5", 443, 6); // { region, vpc, subnet, subnetId, host, service, podNs, pod, labels }
 * tagger.tagRow(row);           // fills region_0 … labels_1 of a flow_log row before it is written
 * ```
 */
export { formatCidr, formatIp, normalizeIp, parseCidr, parseEndpoint, parseIp } from "./ip.ts";
export {
  FIELDS,
  type FieldSpec,
  fieldText,
  type Item,
  itemKey,
  type Kind,
  KIND_LABELS,
  KINDS,
  PLURAL,
  validateItem,
} from "./kinds.ts";
export {
  compileTagger,
  EMPTY_SNAPSHOT,
  FLOW_TAG_COLUMNS,
  type InventorySnapshot,
  NO_TAGS,
  type TaggableRow,
  Tagger,
  type Tags,
} from "./tagger.ts";
export {
  type ImportItem,
  type ImportResult,
  type InventoryDump,
  InventoryError,
  InventoryService,
  type Problem,
  problemText,
} from "./store.ts";
export { CSV_COLUMNS, exportCsv, exportJson, parseCsvImport, parseJsonImport } from "./files.ts";
export { Retagger, type RetagProgress } from "./retag.ts";
