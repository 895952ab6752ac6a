/**
 * The console's views. Each reads the state folder (never the running agent's memory): identity,
 * config.json, status.json and the spool files, so it works beside a running agent and without.
 */
import {
  type AgentStatus,
  type DistributionStatus,
  type Identity,
  listInterfaces,
  loadCachedConfig,
  loadIdentity,
  notEnrolled,
  processAlive,
  statusPath,
} from "../agent/mod.ts";
import { inspectSpool, readJsonFile } from "../spool/mod.ts";
import { inspectPcapStore } from "../pcapstore/mod.ts";
import { ago, bytes, num, pairs, table } from "./table.ts";

export interface ViewResult {
  /** Exit status. */
  code: number;
  text: string;
  json: unknown;
}

/** The identity without its credential (never printed). */
function publicIdentity(identity: Identity) {
  return {
    manager: identity.manager,
    applianceId: identity.applianceId,
    name: identity.name,
    managerKeyId: identity.managerKey.id,
    enrolledAt: identity.enrolledAt,
  };
}

async function needIdentity(stateDir: string): Promise<Identity> {
  const identity = await loadIdentity(stateDir);
  if (identity === undefined) throw notEnrolled(stateDir);
  return identity;
}

async function readStatus(stateDir: string): Promise<{ status?: AgentStatus; running: boolean }> {
  let status: AgentStatus | undefined;
  try {
    status = (await readJsonFile(statusPath(stateDir))) as AgentStatus | undefined;
  } catch {
    status = undefined;
  }
  const running = status !== undefined && status.stoppedAt === null && processAlive(status.pid);
  return { status, running };
}

/** What the agent captures on: each capture point it runs, with its link and packets. */
/** Traffic distribution as the heartbeat last said: running, off, or why not. */
function distributionText(d: DistributionStatus | undefined): string {
  if (d === undefined) return "unknown";
  if (d.state === "active") return `active: ${d.policies} policies (config ${d.configVersion})`;
  if (d.state === "off") return "off (no policy for this appliance)";
  return `${d.state}: ${d.reason ?? "unknown"}`;
}

function captureText(status: AgentStatus | undefined, running: boolean): string {
  if (!status || !running) return "-";
  if (status.mode !== "live") return status.mode;
  // status.json of an agent older than `captures`: nothing to say per point.
  const captures = status.captures ?? [];
  if (captures.length === 0) return "none enabled";
  const beat = new Map(status.heartbeat.capturePoints.map((p) => [p.interface, p]));
  return captures.map((c) => {
    const p = beat.get(c.interface);
    const state = c.capturing
      ? `capturing, link ${p?.link ?? "unknown"}, ${num(p?.packets ?? 0)} packets`
      : `not capturing${c.error ? `: ${c.error}` : ""}`;
    return `${c.interface} (${c.observationPoint}) ${state}`;
  }).join("; ");
}

export async function statusView(stateDir: string): Promise<ViewResult> {
  const identity = await needIdentity(stateDir);
  const { status, running } = await readStatus(stateDir);
  const cached = await loadCachedConfig(stateDir, identity.applianceId);
  const spool = await inspectSpool(`${stateDir}/spool`);
  const beat = status?.heartbeat;
  const depth = spool.streams.reduce((n, s) => n + s.batches, 0);
  const rows: [string, string][] = [
    ["appliance", `${status?.name ?? identity.name} (${identity.applianceId})`],
    ["manager", status?.manager ?? identity.manager],
    [
      "agent",
      running
        ? `running (pid ${status!.pid}, started ${ago(beat?.startedAt)}, ${status!.mode})`
        : status?.stoppedAt
        ? `not running (stopped ${ago(status.stoppedAt)})`
        : status
        ? `not running (last seen ${ago(status.updatedAt)})`
        : "not running (never started here)",
    ],
    [
      "config",
      cached
        ? `version ${cached.document.version}${
          status?.config.origin === "cache" ? " (from the cache: manager not reached)" : ""
        }, saved ${ago(cached.savedAt)}${
          status?.config.lastError ? `; last pull: ${status.config.lastError}` : ""
        }`
        : "none yet (the agent has not reached the manager)",
    ],
    ["capture", captureText(status, running)],
    [
      "entitlement",
      beat
        ? beat.entitlement.ok
          ? `ok: ${beat.entitlement.modules.join(", ") || "no modules"}`
          : `not ok: ${beat.entitlement.reason ?? "unknown"}`
        : "unknown",
    ],
    ["distribution", distributionText(beat?.distribution)],
    [
      "heartbeat",
      status
        ? status.lastHeartbeat.error
          ? `failing: ${status.lastHeartbeat.error} (last ok ${ago(status.lastHeartbeat.at)})`
          : `sent ${ago(status.lastHeartbeat.at)}`
        : "never",
    ],
    [
      "report",
      status
        ? `last acknowledged ${ago(beat?.lastReportAt)}; ${num(status.sender.sent)} batches sent, ${
          num(status.sender.retries)
        } retries${status.sender.lastError ? `; now: ${status.sender.lastError}` : ""}`
        : "never",
    ],
    [
      "spool",
      `${num(depth)} batches waiting (${bytes(spool.streams.reduce((n, s) => n + s.bytes, 0))}), ${
        num(spool.streams.reduce((n, s) => n + s.droppedBatches, 0))
      } dropped when full`,
    ],
  ];
  if (beat) {
    rows.push(
      ["cpu", `${beat.cpu.percent}% of one core`],
      ["memory", `${bytes(beat.memory.rssBytes)} of ${bytes(beat.memory.totalBytes)}`],
      ["disk", `${bytes(beat.disk.freeBytes)} free of ${bytes(beat.disk.totalBytes)}`],
    );
  }
  return {
    code: running ? 0 : 1,
    text: pairs(rows),
    json: { identity: publicIdentity(identity), running, status: status ?? null },
  };
}

export async function interfacesView(stateDir: string): Promise<ViewResult> {
  const identity = await loadIdentity(stateDir).catch(() => undefined);
  const cached = identity && await loadCachedConfig(stateDir, identity.applianceId);
  const points = new Map((cached?.document.capturePoints ?? []).map((p) => [p.interface, p]));
  const list = listInterfaces().map((i) => {
    const p = points.get(i.name);
    return {
      ...i,
      capturePoint: p ? { observationPoint: p.observationPoint, enabled: p.enabled } : null,
    };
  });
  const missing = [...points.values()].filter((p) => !list.some((i) => i.name === p.interface));
  const rows = list.map((i) => [
    i.name,
    i.link,
    String(i.mtu),
    i.mac,
    num(i.rxPackets),
    bytes(i.rxBytes),
    num(i.rxDropped),
    num(i.txPackets),
    bytes(i.txBytes),
    i.capturePoint
      ? `${i.capturePoint.observationPoint}${i.capturePoint.enabled ? "" : " (disabled)"}`
      : "-",
  ]);
  for (const p of missing) {
    rows.push([p.interface, "missing", "", "", "", "", "", "", "", p.observationPoint]);
  }
  const text = table(
    [
      "NAME",
      "LINK",
      "MTU",
      "MAC",
      "RX PKTS",
      "RX BYTES",
      "RX DROP",
      "TX PKTS",
      "TX BYTES",
      "CAPTURE POINT",
    ],
    rows,
    new Set([2, 4, 5, 6, 7, 8]),
  );
  return {
    code: 0,
    text,
    json: {
      interfaces: list,
      missingCapturePoints: missing.map((p) => p.interface),
    },
  };
}

export async function countersView(stateDir: string): Promise<ViewResult> {
  await needIdentity(stateDir);
  const { status, running } = await readStatus(stateDir);
  if (!status) {
    return {
      code: 1,
      text: "no counters: the agent has never run here (appliance run)",
      json: { running: false, stages: [] },
    };
  }
  const stages = status.heartbeat.stages;
  const rows = stages.map((s) => [
    s.stage,
    num(s.packets),
    s.drops.filter((d) => d.count > 0).map((d) =>
      `${d.reason} ${num(d.count)}${d.setting ? ` (setting: ${d.setting})` : ""}`
    ).join(", ") || "none",
  ]);
  const head = running
    ? `since the agent started ${ago(status.heartbeat.startedAt)}:`
    : `the agent is not running; its last counters (${ago(status.updatedAt)}):`;
  return {
    code: running ? 0 : 1,
    text: `${head}\n${table(["STAGE", "PACKETS/RECORDS", "DROPS"], rows, new Set([1]))}`,
    json: {
      running,
      startedAt: status.heartbeat.startedAt,
      updatedAt: status.updatedAt,
      stages,
      capturePoints: status.heartbeat.capturePoints,
    },
  };
}

export async function policiesView(stateDir: string): Promise<ViewResult> {
  const identity = await needIdentity(stateDir);
  const cached = await loadCachedConfig(stateDir, identity.applianceId);
  if (!cached) {
    return {
      code: 0,
      text: "no config cached yet (the agent has not reached the manager): no policies",
      json: { configVersion: null, distribution: [], pcap: [] },
    };
  }
  const { distribution, pcap } = cached.document.policies;
  const describe = (list: unknown[]) =>
    list.length === 0 ? "none" : list.map((p) => `\n  ${JSON.stringify(p)}`).join("");
  return {
    code: 0,
    text: pairs([
      ["config version", String(cached.document.version)],
      ["distribution", describe(distribution)],
      ["pcap", describe(pcap)],
    ]),
    json: { configVersion: cached.document.version, distribution, pcap },
  };
}

/** The PCAP store (STATE/pcap unless `pcapDir`): files, sizes and time ranges per policy. */
export function pcapsView(
  stateDir = "data/appliance",
  options: { pcapDir?: string } = {},
): Promise<ViewResult> {
  const dir = options.pcapDir ?? `${stateDir}/pcap`;
  const view = inspectPcapStore(dir);
  if (!view.configured) {
    return Promise.resolve({
      code: 0,
      text: `PCAP storage not configured (no PCAP store in ${dir}; see appliance pcap-store)`,
      json: view,
    });
  }
  const time = (us: number | null) => us === null ? "-" : new Date(us / 1000).toISOString();
  const rows = view.policies.map((p) => [
    p.policy,
    num(p.files),
    bytes(p.bytes),
    num(p.packets),
    time(p.firstUs),
    time(p.lastUs),
  ]);
  return Promise.resolve({
    code: 0,
    text: `${
      table(["POLICY", "FILES", "SIZE", "PACKETS", "FIRST", "LAST"], rows, new Set([1, 2, 3]))
    }\n${num(view.files.length)} files, ${bytes(view.totalBytes)} in ${dir}`,
    json: view,
  });
}

export async function spoolView(stateDir: string): Promise<ViewResult> {
  const view = await inspectSpool(`${stateDir}/spool`);
  if (!view.exists) {
    return {
      code: 0,
      text: `no spool yet in ${stateDir}/spool (nothing was reported from here)`,
      json: view,
    };
  }
  const rows = view.streams.map((s) => [
    s.stream,
    num(s.batches),
    bytes(s.bytes),
    s.oldestAt === null ? "-" : ago(s.oldestAt),
    s.nextSeq === null ? "-" : String(s.nextSeq),
    `${num(s.droppedBatches)} (${num(s.droppedRecords)} records)`,
    num(s.lostBatches),
    num(s.rejectedBatches),
  ]);
  const text = [
    table(
      [
        "STREAM",
        "BATCHES",
        "BYTES",
        "OLDEST",
        "NEXT SEQ",
        "DROPPED (FULL)",
        "LOST (409)",
        "REJECTED",
      ],
      rows,
      new Set([1, 2, 4, 6, 7]),
    ),
    ...(view.rejectedFiles > 0
      ? [`${num(view.rejectedFiles)} refused batches kept in ${stateDir}/spool/rejected/`]
      : []),
    ...(view.corruptFiles > 0
      ? [`${num(view.corruptFiles)} damaged batch files set aside in ${stateDir}/spool/corrupt/`]
      : []),
  ].join("\n");
  return { code: 0, text, json: view };
}
