/**
 * The admin UI: preact components rendered to HTML on the server, enhanced by htmx in the browser.
 * Props in, markup out: nothing here reads the database or the request.
 *
 * One URL serves the full page or, for an htmx request, only the region it swaps:
 *
 * ```ts
 * import { FlowResults, FlowsPage, readStatic, renderFragment, renderPage } from "../ui/mod.ts";
 *
 * app.get("/flows", async (c) => {
 *   const props = await loadFlowPage(c.req.query()); // the manager's own query code
 *   const partial = c.req.header("HX-Request") === "true" &&
 *     c.req.header("HX-History-Restore-Request") !== "true";
 *   c.header("Vary", "HX-Request");
 *   return c.html(partial ? renderFragment(FlowResults(props)) : renderPage(FlowsPage(props)));
 * });
 * app.get("/static/:name", async (c) => {
 *   const file = await readStatic(c.req.param("name"));
 *   return file ? c.body(file.body, 200, { "Content-Type": file.type }) : c.notFound();
 * });
 * ```
 *
 * The filter form sends `ip`, `port`, `protocol` (an IP protocol number such as `"6"`, or `""` for
 * any), `from`, `to` (`datetime-local` values, UTC) and, from the pager, `page`; empty fields may
 * be present or absent.
 *
 * @module
 */

export type { ChartPoint, FlowFilterField, FlowFilters, FlowPageProps, FlowRow } from "./types.ts";
export { exportHref, FLOW_RESULTS_ID, FlowResults, flowsHref, FlowsPage } from "./pages/flows.tsx";
export { FLOW_DETAIL_ID, FlowDetailPanel } from "./components/flow_detail.tsx";
export {
  NetworkResourcePage,
  type ResourcePageProps,
  ResourceResults,
} from "./pages/network_resource.tsx";
export {
  NetworkPathPage,
  type PathPageProps,
  PathResults,
  type PathStepView,
} from "./pages/network_path.tsx";
export {
  NetworkTopologyPage,
  type TopologyPageProps,
  TopologyResults,
} from "./pages/network_topology.tsx";
export {
  type NatHopView,
  type NatPageProps,
  NatResults,
  NatTracingPage,
} from "./pages/nat_tracing.tsx";
export {
  RequestDetailPanel,
  RequestLogsPage,
  type RequestLogsPageProps,
  type RequestRowView,
} from "./pages/request_logs.tsx";
export {
  AppRedPage,
  type AppRedPageProps,
  type RedMetricView,
  type RedRowView,
} from "./pages/app_resource.tsx";
export { AppTopologyPage, type AppTopologyPageProps } from "./pages/app_topology.tsx";
export {
  DbAnalysisPage,
  type DbAnalysisPageProps,
  type DbStatsView,
} from "./pages/db_analysis.tsx";
export {
  formatMetric,
  type MetricOption,
  type NetmonFormProps,
} from "./components/netmon_form.tsx";
export {
  PCAP_DETAIL_ID,
  PCAP_RESULTS_ID,
  PcapAnalysisPage,
  type PcapDecodeView,
  PcapDetailPanel,
  type PcapPacketView,
  type PcapPageProps,
  PcapResults,
  type PcapResultsProps,
  type PcapSessionView,
} from "./pages/pcap_analysis.tsx";
export type { DecodeNode } from "./components/decode_tree.tsx";
export {
  type SeqArrowView,
  SequenceDiagram,
  type SequenceDiagramProps,
} from "./components/sequence_diagram.tsx";
export { AccessDeniedPage, LoginPage, OnceLoginPage } from "./pages/login.tsx";
export type { LoginPageProps, OnceLoginPageProps } from "./pages/login.tsx";
export { AccountPage } from "./pages/account.tsx";
export type { AccountField, AccountPageProps, TokenRow } from "./pages/account.tsx";
export { UsersPage } from "./pages/users.tsx";
export type { NewUserField, UserRow, UsersPageProps } from "./pages/users.tsx";
export { AUDIT_RESULTS_ID, auditHref, AuditPage, AuditResults } from "./pages/audit.tsx";
export type {
  AuditEntryRow,
  AuditFilterField,
  AuditFilters,
  AuditPageProps,
} from "./pages/audit.tsx";
export { CSRF_FIELD, CSRF_HEADER, CsrfField, FrameContext, usePageFrame } from "./frame.tsx";
export type { PageFrame } from "./frame.tsx";
export { formatBitRate, LicenseDetailPage, LicensesPage } from "./pages/licenses.tsx";
export type {
  LicenseDetailProps,
  LicenseModuleView,
  LicensesPageProps,
  LicenseView,
} from "./pages/licenses.tsx";
export { AppliancesPage, StatusBadge } from "./pages/appliances.tsx";
export type { ApplianceRow, AppliancesPageProps, PendingTokenRow } from "./pages/appliances.tsx";
export { ApplianceDetailPage } from "./pages/appliances_detail.tsx";
export type { ApplianceDetailProps } from "./pages/appliances_detail.tsx";
export { ModuleLockedPage } from "./pages/module_locked.tsx";
export { pcapAnalysisHref, PcapPoliciesPage } from "./pages/pcap_policies.tsx";
export type {
  PcapPoliciesPageProps,
  PcapPolicyForm,
  PcapPolicyRow,
  PcapStorageRow,
} from "./pages/pcap_policies.tsx";
export { InventoryPage, RetagStatus } from "./pages/inventory.tsx";
export type { InventoryFieldView, InventoryPageProps, RetagView } from "./pages/inventory.tsx";
export type { ModuleLockedProps } from "./pages/module_locked.tsx";
export { LicenseBanner, noticeText } from "./components/license_banner.tsx";
export type { LicenseNoticeView } from "./frame.tsx";
export { Layout, STATIC_PREFIX } from "./layout.tsx";
export type { LayoutProps } from "./layout.tsx";
export { NAV } from "./nav.ts";
export type { NavEntry, NavSection } from "./nav.ts";
export { renderFragment, renderPage } from "./render.ts";
export { readStatic, STATIC_FILES, StaticAssetError } from "./assets.ts";
export type { StaticFile } from "./assets.ts";
export {
  PolicyCountersPanel,
  type PolicyFormView,
  PolicyListPage,
  PolicyPage,
  type PolicyPageProps,
  type PolicyRowView,
} from "./pages/distribution_policies.tsx";
export {
  PointCountersPanel,
  type PointFormView,
  PointListPage,
  PointPage,
  type PointPageProps,
  type PointRowView,
  type ReachView,
} from "./pages/distribution_points.tsx";
export type { CountersView, CountsView } from "./pages/distribution_parts.tsx";
