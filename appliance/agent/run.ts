/**
 * `appliance run`: the agent. Boot: identity, the cached config (the manager may be away), the
 * spool and its sender. Then three loops until SIGTERM/SIGINT: config pulls (≤ 5 s, at once
 * when a heartbeat answer names a newer version), heartbeats (+ status.json), and the flow and
 * request records of the capture points (or of `--replay FILE`) flushed into the spool.
 */
import type { CapturedPacket } from "../capture/mod.ts";
import type { DecodedPacket } from "../decode/mod.ts";
import { SpoolSender } from "../report/mod.ts";
import type { Spool } from "../spool/mod.ts";
import {
  encodeBatch,
  type FlowRecord,
  type RequestRecord,
  type SecondRecord,
  WIRE_VERSION,
} from "../wire/mod.ts";
import { type CapturePointConfig, ConfigSync, DEFAULT_REPORTING } from "./config_sync.ts";
import { notEnrolled } from "./errors.ts";
import {
  type AgentStatus,
  type Heartbeat,
  sendHeartbeat,
  type StageCounters,
  writeStatus,
} from "./heartbeat.ts";
import { APPLIANCE_VERSION, loadIdentity } from "./identity.ts";
import {
  lockStateDir,
  openAgentSpool,
  sourceIdOf,
  spoolEvent,
  spoolFlows,
  spoolPcapIndex,
  spoolRequests,
  spoolSeconds,
} from "./spooling.ts";
import { CpuMeter, disk, linkState, memory } from "./system.ts";
import { AgentPcap } from "./pcap.ts";
import { AgentDistribution, type PacketTap } from "./distribution.ts";
import { pcapTaskLoop } from "./tasks.ts";

/** Each packet a source read (that passed `--filter`), for the PCAP store. */
export type PacketSink = (packet: CapturedPacket, decoded: DecodedPacket | undefined) => void;

/** Counters of a packet source so far (a live capture point, or the replayed file). */
export interface SourceCounters {
  packets: number;
  bytes: number;
  notIp: number;
  malformed: number;
  filtered: number;
  capture?: { received: number; droppedByKernel: number; droppedByInterface: number };
}

/** Records a packet source made: flow records, and request records when L7 runs. */
export interface SourceRecords {
  records: FlowRecord[];
  requests?: RequestRecord[];
  /** Per-second network metrics (stream `metrics_1s`). */
  seconds?: SecondRecord[];
}

export interface CaptureHandle {
  /** Asks the capture to end; `done` then resolves with the records of the flows still open. */
  stop(): void;
  done: Promise<SourceRecords>;
}

/** The packet stages, given by main.ts (only pipeline.ts wires capture → decode → flow). */
export interface AgentDeps {
  log: (line: string) => void;
  /** With `l7`, request records too. */
  readFile(
    path: string,
    options: {
      filter?: string;
      l7: boolean;
      onPacket?: PacketSink;
      tap?: (linkType: number) => PacketTap;
    },
  ): Promise<SourceRecords & SourceCounters>;
  /** Throws when the interface cannot be opened (retried at the next config check). */
  startCapture(
    point: CapturePointConfig,
    options: {
      filter?: string;
      l7: boolean;
      onPacket?: PacketSink;
      /** Traffic distribution: sees every packet of the capture point. */
      tap?: (linkType: number) => PacketTap;
      onProgress(progress: SourceRecords & SourceCounters): void;
    },
  ): CaptureHandle;
  /** Stops the agent instead of SIGTERM/SIGINT (tests). */
  stop?: AbortSignal;
}

export interface RunCommand {
  stateDir: string;
  manager?: string;
  replay?: string;
  filter?: string;
  batchSize: number;
  spoolMaxBytes?: number;
  /** Parse application protocols and report request logs (default true). */
  l7?: boolean;
  /** At a clean stop, how long to go on sending what is spooled (default 5 s). */
  stopTimeoutMs?: number;
}

/** The default bound of the final drain at a clean stop. */
export const STOP_TIMEOUT_MS = 5_000;

/** Config pulls: every 3 s (the contract: ≤ 5 s, a change reaches the agent within 10 s). */
const POLL_MS = 3_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

interface Point {
  config: CapturePointConfig;
  handle?: CaptureHandle;
  counters?: SourceCounters;
  error?: string;
}

export async function runAgent(command: RunCommand, deps: AgentDeps): Promise<number> {
  const { stateDir } = command;
  const log = deps.log;
  const identity = await loadIdentity(stateDir);
  if (identity === undefined) throw notEnrolled(stateDir);
  const lock = await lockStateDir(stateDir);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals = deps.stop ? [] : (["SIGINT", "SIGTERM"] as const);
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  deps.stop?.addEventListener("abort", onSignal, { once: true });
  const startedAt = Date.now();
  const manager = (command.manager ?? identity.manager).replace(/\/+$/, "");
  const sync = new ConfigSync(identity, { stateDir, manager });
  if (await sync.loadCache()) {
    log(`config version ${sync.current!.document.version} from the cache`);
  }
  const first = await sync.pull();
  if (first.kind === "failed") {
    log(
      sync.current
        ? `manager unreachable (${first.problem}); running from the cached config`
        : `manager unreachable (${first.problem}) and no cached config; retrying`,
    );
  }
  const reporting = () => sync.current?.document.reporting ?? DEFAULT_REPORTING;
  const spool: Spool = await openAgentSpool(stateDir, {
    applianceId: identity.applianceId,
    maxBytes: command.spoolMaxBytes ?? reporting().spoolMaxBytes,
  });
  const sender = new SpoolSender(spool, {
    manager,
    credential: identity.credential,
    onEvent: (e) => {
      if (e.kind === "lost" || e.kind === "rejected") {
        log(`${e.stream} batch ${e.seq} (${e.records} records) ${e.kind}: ${e.reason}`);
      } else if (e.kind === "unauthorized" || (e.kind === "retry" && e.attempt === 1)) {
        log(`${e.stream} batch ${e.seq}: ${e.reason}; retrying`);
      }
    },
  });
  sender.start(["flows", "requests", "events", "pcap_index", "npb_counters", "metrics_1s"]);
  // Opened now so that files a killed agent left half-written are recovered at startup.
  const pcap = new AgentPcap({ stateDir, log });
  pcap.apply(sync.current?.document);
  const event = (kind: string, detail: Record<string, unknown>) =>
    spoolEvent(spool, identity.applianceId, { kind, detail }).catch((err) =>
      log(`cannot spool the ${kind} event: ${(err as Error).message}`)
    );

  const l7 = command.l7 !== false;
  // Flow and request records wait here until a batch is full or flushSeconds passed.
  let pending: FlowRecord[] = [];
  let pendingRequests: RequestRecord[] = [];
  let pendingSeconds: SecondRecord[] = [];
  let spooledRecords = 0;
  let spooledRequests = 0;
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    const records = pending;
    const requests = pendingRequests;
    const seconds = pendingSeconds;
    const stored = pcap.drain();
    pending = [];
    pendingRequests = [];
    pendingSeconds = [];
    if (
      records.length === 0 && requests.length === 0 && stored.length === 0 && seconds.length === 0
    ) return flushing;
    const options = { applianceId: identity.applianceId, batchSize: reporting().batchRecords };
    flushing = flushing.then(async () => {
      try {
        if (stored.length > 0) await spoolPcapIndex(spool, stored, options);
      } catch (err) {
        log(`cannot spool ${stored.length} PCAP index records: ${(err as Error).message}`);
      }
      try {
        if (records.length > 0) {
          spooledRecords += (await spoolFlows(spool, records, options)).spooled;
        }
      } catch (err) {
        log(`cannot spool ${records.length} flow records: ${(err as Error).message}`);
      }
      try {
        if (requests.length > 0) {
          const r = await spoolRequests(spool, requests, options);
          spooledRequests += r.spooled;
          if (r.invalid > 0) log(`${r.invalid} request records left out: ${r.invalidSample}`);
        }
      } catch (err) {
        log(`cannot spool ${requests.length} request records: ${(err as Error).message}`);
      }
      try {
        if (seconds.length > 0) await spoolSeconds(spool, seconds, options);
      } catch (err) {
        log(`cannot spool ${seconds.length} per-second records: ${(err as Error).message}`);
      }
    });
    return flushing;
  };
  const take = (made: SourceRecords) => {
    for (const r of made.records) pending.push(r);
    if (made.requests !== undefined) { for (const r of made.requests) pendingRequests.push(r); }
    if (made.seconds !== undefined) { for (const r of made.seconds) pendingSeconds.push(r); }
    const batch = reporting().batchRecords;
    if (pending.length >= batch || pendingRequests.length >= batch) flush();
  };

  const points = new Map<string, Point>();
  let replayCounters: SourceCounters | undefined;
  // Counters of capture points since stopped, so the heartbeat's stay cumulative.
  const retired: SourceCounters = { packets: 0, bytes: 0, notIp: 0, malformed: 0, filtered: 0 };
  const retire = (counters: SourceCounters | undefined) => {
    if (counters === undefined) return;
    retired.packets += counters.packets;
    retired.bytes += counters.bytes;
    retired.notIp += counters.notIp;
    retired.malformed += counters.malformed;
    retired.filtered += counters.filtered;
    if (counters.capture) {
      const c = retired.capture ??= { received: 0, droppedByKernel: 0, droppedByInterface: 0 };
      c.received += counters.capture.received;
      c.droppedByKernel += counters.capture.droppedByKernel;
      c.droppedByInterface += counters.capture.droppedByInterface;
    }
  };
  const stopping = new Set<Point>();
  // The last failure to open each interface, so a retry every poll logs only what changed.
  const failures = new Map<string, string>();
  const reconcile = () => {
    if (command.replay !== undefined) return;
    const wanted = new Map(
      (sync.current?.document.capturePoints ?? []).filter((p) => p.enabled).map((p) => [
        p.interface,
        p,
      ]),
    );
    for (const [name, point] of points) {
      const want = wanted.get(name);
      if (want && want.observationPoint === point.config.observationPoint && point.handle) continue;
      if (point.handle) {
        point.handle.stop();
        log(`capture on ${name} stopped`);
      }
      if (!want || point.handle) {
        // Counted until its capture is done, then its last counters are kept in `retired`.
        if (point.handle) stopping.add(point);
        else retire(point.counters);
        points.delete(name);
      }
    }
    for (const name of failures.keys()) if (!wanted.has(name)) failures.delete(name);
    for (const [name, config] of wanted) {
      const existing = points.get(name);
      if (existing?.handle && existing.config.observationPoint === config.observationPoint) {
        continue;
      }
      if (existing) retire(existing.counters); // a capture that failed or ended
      const point: Point = { config };
      points.set(name, point);
      try {
        point.handle = deps.startCapture(config, {
          filter: command.filter,
          l7,
          onPacket: (packet, decoded) => pcap.offer(packet, decoded, name),
          tap: distribution.tap(name),
          onProgress: (p) => {
            take(p);
            point.counters = p;
          },
        });
        point.handle.done.then((end) => take(end), (err) => {
          point.error = (err as Error).message;
          log(`capture on ${name} ended: ${point.error}`);
        }).finally(() => {
          point.handle = undefined;
          if (stopping.delete(point)) retire(point.counters);
        });
        failures.delete(name);
        log(`capturing on ${name} (observation point ${config.observationPoint})`);
      } catch (err) {
        point.error = (err as Error).message;
        if (failures.get(name) !== point.error) {
          log(`cannot capture on ${name}: ${point.error}; retrying every ${POLL_MS / 1000} s`);
        }
        failures.set(name, point.error);
      }
    }
  };

  const distribution = new AgentDistribution();
  // Re-applied after every pull: the document or the entitlement (it expires) may have changed.
  const distribute = () => {
    const doc = sync.current?.document;
    const before = JSON.stringify(distribution.status);
    distribution.apply(doc?.version ?? null, doc?.policies.distribution ?? [], sync.entitlement);
    const s = distribution.status;
    if (JSON.stringify(s) === before) return;
    if (s.state === "active") log(`distributing with ${s.policies} policies`);
    else if (s.state !== "off") log(`traffic distribution ${s.state}: ${s.reason}`);
    if (s.state === "unlicensed" || s.state === "invalid") {
      event("distribution_refused", { state: s.state, reason: s.reason, version: s.configVersion });
    }
  };
  const spoolCounters = async () => {
    const records = distribution.takeRecords(Date.now());
    if (records.length === 0) return;
    await spool.append(
      "npb_counters",
      { records: records.length },
      (seq) =>
        new Uint8Array(encodeBatch({
          v: WIRE_VERSION,
          appliance: identity.applianceId,
          stream: "npb_counters",
          seq,
          sentAt: Date.now(),
          records,
        })),
    ).catch((err) => log(`cannot spool npb counters: ${(err as Error).message}`));
  };
  const applied = (version: number) => {
    log(`config version ${version} applied`);
    event("config_applied", { version });
    pcap.apply(sync.current?.document);
    distribute();
    reconcile();
  };
  if (sync.current) applied(sync.current.document.version);

  const cpu = new CpuMeter();
  let lastHeartbeat: AgentStatus["lastHeartbeat"] = { at: null, error: null };
  const stageCounters = (): StageCounters[] => {
    const sources = [...points.values(), ...stopping].map((p) => p.counters)
      .filter((c) => c !== undefined);
    sources.push(retired);
    if (replayCounters) sources.push(replayCounters);
    const sum = (f: (c: SourceCounters) => number) => sources.reduce((n, c) => n + f(c), 0);
    const stats = spool.stats().streams;
    const flows = stats.flows;
    return [
      {
        stage: "capture",
        packets: sum((c) => c.capture?.received ?? c.packets),
        drops: [
          {
            reason: "kernel",
            count: sum((c) => c.capture?.droppedByKernel ?? 0),
            setting: "capture ring size (af_packet) or a lighter filter",
          },
          { reason: "interface", count: sum((c) => c.capture?.droppedByInterface ?? 0) },
        ],
      },
      {
        stage: "decode",
        packets: sum((c) => c.packets - c.filtered),
        drops: [{ reason: "malformed", count: sum((c) => c.malformed) }, {
          reason: "filtered",
          count: sum((c) => c.filtered),
          setting: "--filter",
        }],
      },
      {
        stage: "flow",
        packets: sum((c) => c.packets - c.filtered - c.malformed - c.notIp),
        drops: [],
      },
      {
        stage: "spool",
        packets: spooledRecords,
        drops: [{
          reason: "overflow",
          count: flows?.droppedRecords ?? 0,
          setting: "reporting.spoolMaxBytes",
        }],
      },
      {
        stage: "report",
        packets: sender.stats.records,
        drops: [
          { reason: "rejected", count: flows?.rejectedRecords ?? 0 },
          { reason: "seq_conflict", count: flows?.lostRecords ?? 0 },
        ],
      },
    ];
  };
  const heartbeat = async (): Promise<Heartbeat> => {
    const streams = spool.stats().streams;
    const all = Object.values(streams);
    const oldest = all.map((s) => s.oldestAt).filter((t) => t !== null) as number[];
    return {
      v: 1,
      version: APPLIANCE_VERSION,
      startedAt,
      sentAt: Date.now(),
      capturePoints: [...points.values()].map((p) => ({
        interface: p.config.interface,
        observationPoint: p.config.observationPoint,
        link: linkState(p.config.interface),
        packets: p.counters?.capture?.received ?? p.counters?.packets ?? 0,
        bytes: p.counters?.bytes ?? 0,
      })),
      stages: stageCounters(),
      cpu: { percent: cpu.percent() },
      memory: memory(),
      disk: await disk(stateDir),
      spool: {
        batches: all.reduce((n, s) => n + s.batches, 0),
        bytes: all.reduce((n, s) => n + s.bytes, 0),
        droppedBatches: all.reduce((n, s) => n + s.droppedBatches, 0),
        droppedRecords: all.reduce((n, s) => n + s.droppedRecords, 0),
        oldestAt: oldest.length === 0 ? null : Math.min(...oldest),
      },
      lastReportAt: sender.stats.lastReportAt,
      configVersion: sync.current?.document.version ?? null,
      entitlement: sync.entitlement,
      distribution: distribution.status,
    };
  };
  const status = async (beat: Heartbeat, stoppedAt: number | null = null) => {
    const doc = sync.current?.document;
    const streams = spool.stats().streams;
    const value: AgentStatus = {
      pid: Deno.pid,
      stoppedAt,
      updatedAt: Date.now(),
      applianceId: identity.applianceId,
      name: doc?.name ?? identity.name,
      manager,
      mode: command.replay === undefined ? "live" : `replay ${command.replay}`,
      heartbeat: beat,
      config: {
        version: doc?.version ?? null,
        origin: sync.origin,
        name: doc?.name ?? null,
        group: doc?.group ?? null,
        capturePoints: doc?.capturePoints ?? [],
        lastPullAt: sync.lastPullAt,
        lastError: sync.lastError,
        rejected: sync.rejected,
      },
      captures: [...points.values()].map((p) => ({
        interface: p.config.interface,
        observationPoint: p.config.observationPoint,
        capturing: p.handle !== undefined,
        error: p.error ?? null,
      })),
      lastHeartbeat,
      sender: {
        sent: sender.stats.sent,
        duplicates: sender.stats.duplicates,
        retries: sender.stats.retries,
        lost: sender.stats.lost,
        rejected: sender.stats.rejected,
        lastError: sender.stats.lastError,
        unauthorized: sender.stats.unauthorized,
      },
      spoolStreams: Object.fromEntries(
        Object.entries(streams).map((
          [name, s],
        ) => [name, { batches: s.batches, bytes: s.bytes, droppedBatches: s.droppedBatches }]),
      ),
    };
    await writeStatus(stateDir, value).catch((err) =>
      log(`cannot write status.json: ${(err as Error).message}`)
    );
  };

  const signal = stop.signal;
  let pullNow: (() => void) | undefined;
  let lastRejected: string | undefined;
  const pollLoop = async () => {
    while (!signal.aborted) {
      const wake = new AbortController();
      pullNow = () => wake.abort();
      await sleep(POLL_MS, AbortSignal.any([signal, wake.signal]));
      if (signal.aborted) break;
      const result = await sync.pull();
      if (result.kind !== "applied") distribute();
      if (result.kind === "applied") {
        applied(result.document.version);
        await status(await heartbeat());
      } else if ([...points.values()].some((p) => p.handle === undefined)) {
        reconcile(); // a capture point that could not be opened (or ended): try again
      }
      if (result.kind === "rejected") {
        // Pulled again at every heartbeat while the manager holds it: said once per document.
        const said = `${result.version} ${result.problem}`;
        if (said !== lastRejected) {
          lastRejected = said;
          log(`config version ${result.version ?? "?"} rejected: ${result.problem}`);
          event("config_rejected", { version: result.version, problem: result.problem });
          await status(await heartbeat());
        }
      } else if (result.kind === "applied") lastRejected = undefined;
    }
  };
  const heartbeatLoop = async () => {
    while (!signal.aborted) {
      const beat = await heartbeat();
      try {
        const version = await sendHeartbeat(manager, beat, { credential: identity.credential });
        lastHeartbeat = { at: Date.now(), error: null };
        if (version !== null && version !== beat.configVersion) pullNow?.();
      } catch (err) {
        let message = (err as Error).message;
        for (let c = (err as Error).cause; c instanceof Error; c = c.cause) {
          message += `: ${c.message}`;
        }
        lastHeartbeat = { at: lastHeartbeat.at, error: message };
      }
      await status(beat);
      await sleep(reporting().heartbeatSeconds * 1000, signal);
    }
  };
  const flushLoop = async () => {
    while (!signal.aborted) {
      await sleep(reporting().flushSeconds * 1000, signal);
      pcap.tick();
      await flush();
      await spoolCounters();
    }
  };
  const replayFile = async () => {
    if (command.replay === undefined) return;
    try {
      const point = command.replay.split("/").pop()!;
      const read = await deps.readFile(command.replay, {
        filter: command.filter,
        l7,
        onPacket: (packet, decoded) => pcap.offer(packet, decoded, point),
        tap: distribution.tap(null),
      });
      replayCounters = read;
      const sourceId = await sourceIdOf(command.replay);
      const options = { applianceId: identity.applianceId, batchSize: command.batchSize };
      const r = await spoolFlows(spool, read.records, { ...options, sourceId });
      spooledRecords += r.spooled;
      // Its own checkpoint: the spool counts records spooled per source id.
      const q = read.requests === undefined
        ? undefined
        : await spoolRequests(spool, read.requests, {
          ...options,
          sourceId: `${sourceId}|requests`,
        });
      if (q !== undefined) spooledRequests += q.spooled;
      if (read.seconds !== undefined) {
        await spoolSeconds(spool, read.seconds, { ...options, sourceId: `${sourceId}|seconds` });
      }
      const earlier = r.skipped + (q?.skipped ?? 0);
      log(
        `replayed ${command.replay}: ${r.spooled} flow records${
          q === undefined ? "" : ` and ${q.spooled} request records`
        } spooled${earlier > 0 ? `, ${earlier} spooled by an earlier run` : ""}${
          q !== undefined && q.invalid > 0
            ? `; ${q.invalid} request records left out: ${q.invalidSample}`
            : ""
        }`,
      );
    } catch (err) {
      log(`cannot replay ${command.replay}: ${(err as Error).message}`);
    }
  };

  log(
    `agent ${identity.name} (${identity.applianceId}) running; manager ${manager}; state ${stateDir}`,
  );
  const loops = [pollLoop(), heartbeatLoop(), flushLoop(), replayFile()];
  // On-demand PCAP tasks (search/extract the local store) for the manager's analysis pages.
  loops.push(pcapTaskLoop({ manager, credential: identity.credential, stateDir, signal, log }));
  await new Promise<void>((resolve) =>
    signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })
  );
  log("stopping: flushing open flows to the spool");
  for (const point of points.values()) point.handle?.stop();
  await Promise.all(
    [...points.values(), ...stopping].map((p) => p.handle?.done.catch(() => {})),
  );
  await Promise.all(loops);
  pcap.close();
  await flush();
  distribution.close();
  await spoolCounters();
  // What was spooled at stop (closed PCAP files' index, the last flows, counters) is sent now
  // when the manager answers; the rest waits in the spool for the next start.
  const left = await sender.drainAndStop(command.stopTimeoutMs ?? STOP_TIMEOUT_MS);
  if (left > 0) {
    log(`${left} spooled batches left for the next start (${sender.stats.lastError ?? "no time"})`);
  }
  await spool.flush();
  await status(await heartbeat(), Date.now());
  for (const s of signals) Deno.removeSignalListener(s, onSignal);
  lock.close();
  log(`stopped (spooled ${spooledRecords} flow records, ${spooledRequests} request records)`);
  return 0;
}
