/**
 * `appliance replay`: the records of one capture go through the spool and the sender like the
 * agent's, and the command ends once the spool is drained. Run again after a crash, it skips
 * the records an earlier run spooled.
 */
import { SpoolSender } from "../report/mod.ts";
import type { Spool, StreamStats } from "../spool/mod.ts";
import type { FlowRecord, RequestRecord, SecondRecord } from "../wire/mod.ts";
import { AgentError } from "./errors.ts";
import type { Identity } from "./identity.ts";
import {
  lockStateDir,
  openAgentSpool,
  sourceIdOf,
  spoolFlows,
  spoolRequests,
  type SpoolRequestsResult,
  spoolSeconds,
} from "./spooling.ts";

export interface ReplayOptions {
  stateDir: string;
  /** Overrides the enrolled manager URL. */
  manager?: string;
  batchSize: number;
  spoolMaxBytes?: number;
  /** The capture file: its records are checkpointed (a live capture's are not). */
  sourcePath?: string;
  /** Request-log records of the same capture, sent as stream `requests`. */
  requests?: readonly RequestRecord[];
  /** Per-second network metrics of the same capture, sent as stream `metrics_1s`. */
  seconds?: readonly SecondRecord[];
  /** A retry, a refused batch: one line each. */
  log?: (line: string) => void;
  /** Sender backoff, for tests. */
  retryDelayMs?: number;
}

export interface ReplayResult {
  manager: string;
  skipped: number;
  spooled: number;
  batches: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** Batches of every stream sent in this run (earlier runs' leftovers included). */
  sent: number;
  /** Of them, the `flows` stream's. */
  flowsSent: { batches: number; records: number };
  duplicates: number;
  retries: number;
  lost: number;
  rejected: number;
  /** With `requests` in the options: the `requests` stream's part. */
  requests?: SpoolRequestsResult & { sentBatches: number; sentRecords: number };
}

/** A stream's batches and records that left the spool other than by the manager's 200. */
function gone(s: StreamStats | undefined) {
  return {
    batches: (s?.droppedBatches ?? 0) + (s?.lostBatches ?? 0) + (s?.rejectedBatches ?? 0),
    records: (s?.droppedRecords ?? 0) + (s?.lostRecords ?? 0) + (s?.rejectedRecords ?? 0),
  };
}

/**
 * Counts what the sender delivered of `stream` between two looks at the spool (the state folder
 * is locked: nothing else moves it): what waited or was added, less what waits still or went
 * another way (dropped by overflow, lost, rejected).
 */
function delivered(
  spool: Spool,
  stream: string,
  before: StreamStats | undefined,
  added: { batches: number; records: number },
): { batches: number; records: number } {
  const after = spool.stats().streams[stream];
  const goneBefore = gone(before);
  const goneAfter = gone(after);
  return {
    batches: (before?.batches ?? 0) + added.batches - (after?.batches ?? 0) -
      (goneAfter.batches - goneBefore.batches),
    records: (before?.records ?? 0) + added.records - (after?.records ?? 0) -
      (goneAfter.records - goneBefore.records),
  };
}

/**
 * Spools `records` and sends the spool until it is empty. Throws AgentError when the manager
 * refuses the credential (the batches stay spooled) or when batches were refused (moved to
 * `spool/rejected/`).
 */
export async function replayRecords(
  identity: Identity,
  records: readonly FlowRecord[],
  options: ReplayOptions,
): Promise<ReplayResult> {
  const lock = await lockStateDir(options.stateDir);
  try {
    const spool = await openAgentSpool(options.stateDir, {
      applianceId: identity.applianceId,
      maxBytes: options.spoolMaxBytes,
    });
    const manager = options.manager ?? identity.manager;
    const log = options.log ?? (() => {});
    const sender = new SpoolSender(spool, {
      manager,
      credential: identity.credential,
      retryDelayMs: options.retryDelayMs,
      onEvent: (e) => {
        if (e.kind === "retry") {
          log(
            `${e.stream} batch ${e.seq}: ${e.reason}; retrying in ${
              (e.delayMs / 1000).toFixed(1)
            } s`,
          );
        } else if (e.kind === "unauthorized") {
          log(`${e.stream} batch ${e.seq}: ${e.reason}`);
        } else {
          log(`${e.stream} batch ${e.seq} (${e.records} records) ${e.kind}: ${e.reason}`);
        }
      },
    });
    // Sending starts at once: earlier runs' batches first, then these as they are spooled.
    const before = spool.stats().streams;
    const streams = ["flows", "requests", "events", "metrics_1s"];
    sender.start(streams);
    let spooled;
    let requests: SpoolRequestsResult | undefined;
    try {
      const sourceId = options.sourcePath === undefined
        ? undefined
        : await sourceIdOf(options.sourcePath);
      spooled = await spoolFlows(spool, records, {
        applianceId: identity.applianceId,
        batchSize: options.batchSize,
        sourceId,
      });
      if (options.requests !== undefined) {
        // Its own checkpoint: the spool counts records spooled per source id.
        requests = await spoolRequests(spool, options.requests, {
          applianceId: identity.applianceId,
          batchSize: options.batchSize,
          sourceId: sourceId === undefined ? undefined : `${sourceId}|requests`,
        });
      }
      if (options.seconds !== undefined) {
        await spoolSeconds(spool, options.seconds, {
          applianceId: identity.applianceId,
          batchSize: options.batchSize,
          sourceId: sourceId === undefined ? undefined : `${sourceId}|seconds`,
        });
      }
      while (!streams.every((stream) => sender.drained(stream))) {
        if (sender.stats.unauthorized !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await sender.stop();
      await spool.flush();
    }
    const stats = sender.stats;
    if (stats.unauthorized !== null) {
      throw new AgentError(
        `the manager at ${manager} refuses this appliance's credential (${stats.unauthorized}); ` +
          `the batches stay spooled — enroll again if the appliance was revoked`,
      );
    }
    if (stats.rejected > 0) {
      throw new AgentError(
        `the manager refused ${stats.rejected} batch(es); they are kept in ${options.stateDir}/spool/rejected/`,
      );
    }
    let requestsPart: Pick<ReplayResult, "requests"> = {};
    if (requests !== undefined) {
      const sent = delivered(spool, "requests", before.requests, {
        batches: requests.batches,
        records: requests.spooled,
      });
      requestsPart = {
        requests: { ...requests, sentBatches: sent.batches, sentRecords: sent.records },
      };
    }
    return {
      manager,
      ...spooled,
      sent: stats.sent,
      flowsSent: delivered(spool, "flows", before.flows, {
        batches: spooled.batches,
        records: spooled.spooled,
      }),
      duplicates: stats.duplicates,
      retries: stats.retries,
      lost: stats.lost,
      rejected: stats.rejected,
      ...requestsPart,
    };
  } finally {
    lock.close();
  }
}
