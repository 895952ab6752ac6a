/**
 * The heartbeat (fleet contract): what the agent is doing, cumulative since it started, sent
 * every `reporting.heartbeatSeconds`; the same facts go to status.json for the console.
 */
import { writeJsonDurable } from "../spool/mod.ts";
import type { EntitlementState } from "./config_sync.ts";
import type { DistributionStatus } from "./distribution.ts";
import type { LinkState } from "./system.ts";

export const HEARTBEAT_PATH = "/api/v1/appliances/self/heartbeat";

export interface StageDrop {
  reason: string;
  count: number;
  /** The knob to change. */
  setting?: string;
}

export interface StageCounters {
  stage: "capture" | "decode" | "flow" | "report" | "spool";
  packets: number;
  drops: StageDrop[];
}

export interface Heartbeat {
  v: 1;
  version: string;
  startedAt: number;
  sentAt: number;
  capturePoints: {
    interface: string;
    observationPoint: string;
    link: LinkState;
    packets: number;
    bytes: number;
  }[];
  stages: StageCounters[];
  cpu: { percent: number };
  memory: { rssBytes: number; totalBytes: number };
  disk: { freeBytes: number; totalBytes: number };
  spool: {
    batches: number;
    bytes: number;
    droppedBatches: number;
    droppedRecords: number;
    oldestAt: number | null;
  };
  lastReportAt: number | null;
  configVersion: number | null;
  entitlement: EntitlementState;
  /** Traffic distribution: running, off, or why not (e.g. not licensed). */
  distribution?: DistributionStatus;
}

/** status.json: the heartbeat plus what only the console needs. */
export interface AgentStatus {
  pid: number;
  /** Set when the agent stopped cleanly. */
  stoppedAt: number | null;
  updatedAt: number;
  applianceId: string;
  name: string;
  manager: string;
  /** "live" (capture points of the config) or "replay FILE". */
  mode: string;
  heartbeat: Heartbeat;
  config: {
    version: number | null;
    origin: "manager" | "cache" | "none";
    name: string | null;
    group: string | null;
    capturePoints: { interface: string; observationPoint: string; enabled: boolean }[];
    lastPullAt: number | null;
    lastError: string | null;
    rejected: number;
  };
  /** The capture points the agent runs (enabled in the config), and whether each captures now. */
  captures: {
    interface: string;
    observationPoint: string;
    capturing: boolean;
    error: string | null;
  }[];
  lastHeartbeat: { at: number | null; error: string | null };
  sender: {
    sent: number;
    duplicates: number;
    retries: number;
    lost: number;
    rejected: number;
    lastError: string | null;
    unauthorized: string | null;
  };
  /** Per stream of the spool. */
  spoolStreams: Record<string, { batches: number; bytes: number; droppedBatches: number }>;
}

export function statusPath(stateDir: string): string {
  return `${stateDir}/status.json`;
}

export function writeStatus(stateDir: string, status: AgentStatus): Promise<void> {
  return writeJsonDurable(statusPath(stateDir), status);
}

/**
 * POSTs the heartbeat as JSON; returns the manager's current config version (so the agent pulls
 * at once when it differs), or throws with the reason.
 */
export async function sendHeartbeat(
  manager: string,
  body: Heartbeat,
  options: { credential: string; fetch?: typeof fetch },
): Promise<number | null> {
  const response = await (options.fetch ?? fetch)(
    `${manager.replace(/\/+$/, "")}${HEARTBEAT_PATH}`,
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        authorization: `Bearer ${options.credential}`,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    },
  );
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  try {
    const answer = JSON.parse(text);
    return typeof answer?.configVersion === "number" ? answer.configVersion : null;
  } catch {
    return null;
  }
}
