/**
 * PCAP policies on the manager: checked (every field by name, the filter by libpcap), stored,
 * audited, and handed to each appliance they target in its config document. Every change bumps
 * the config version of every appliance, so the agents pull it at their next heartbeat.
 */
import { asc, eq, sql } from "drizzle-orm";
import { parsePcapPolicy, type PcapPolicy, policyExpression } from "../../appliance/wire/mod.ts";
import type { Actor, AuditRecorder } from "../auth/mod.ts";
import type { Database, Drizzle } from "../db/mod.ts";
import { applianceConfig, pcapIndex, pcapPolicy, pcapStorage } from "../db/schema/mod.ts";
import { filterProblem } from "../libpcap/mod.ts";

export type PcapErrorKind = "invalid" | "not_found" | "conflict";

/** A refused change; `field` names the input field at fault (the form shows it beside it). */
export class PcapPolicyError extends Error {
  override name = "PcapPolicyError";
  constructor(readonly kind: PcapErrorKind, message: string, readonly field?: string) {
    super(message);
  }
}

/** A policy as the API and pages show it. Times ms since the epoch. */
export interface PolicyView extends Omit<PcapPolicy, "id"> {
  id: number;
  appliances: string[];
  groups: string[];
  /** The tcpdump expression the appliance selects with (filter and match fields). */
  expression: string;
  createdAt: number;
  updatedAt: number;
}

export interface PolicyStats {
  packets: number;
  bytes: number;
  flows: number;
}

/** The global PCAP quota of one appliance. */
export interface PcapStorageSettings {
  quotaBytes: number | null;
  quotaPercent: number | null;
}

const INPUT_FIELDS = [
  "name",
  "enabled",
  "appliances",
  "groups",
  "capturePoints",
  "filter",
  "match",
  "truncateBytes",
  "start",
  "stop",
  "durationSeconds",
  "maxPackets",
  "maxBytes",
  "quotaBytes",
];
const MAX_TARGETS = 256;
// deno-lint-ignore no-control-regex
const LABEL = /^[^\u0000-\u001f\u007f]{1,64}$/;

/** `start`/`stop`: ms since the epoch, an ISO 8601 time, or null. */
function timeOf(x: unknown, field: string): number | null {
  if (x === null || x === undefined || x === "") return null;
  const ms = typeof x === "number" ? x : typeof x === "string" ? Date.parse(x) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new PcapPolicyError(
      "invalid",
      `${field}: expected a time (ISO 8601 or ms since the epoch), got ${JSON.stringify(x)}`,
      field,
    );
  }
  return ms;
}

function labels(x: unknown, field: string): string[] {
  if (x === undefined || x === null) return [];
  if (
    !Array.isArray(x) || x.length > MAX_TARGETS ||
    x.some((v) => typeof v !== "string" || !LABEL.test(v))
  ) {
    throw new PcapPolicyError(
      "invalid",
      `${field}: expected a list of at most ${MAX_TARGETS} names of 1-64 printable characters`,
      field,
    );
  }
  return [...new Set(x as string[])];
}

/**
 * Checks a policy as the API or the form sends it; throws {@link PcapPolicyError} naming the
 * first field at fault. The filter and match fields must compile with libpcap together.
 */
export function checkPolicyInput(
  body: Record<string, unknown>,
): Omit<PolicyView, "id" | "createdAt" | "updatedAt"> {
  const extra = Object.keys(body).find((k) => !INPUT_FIELDS.includes(k));
  if (extra !== undefined) throw new PcapPolicyError("invalid", `${extra}: unknown field`, extra);
  if (typeof body.name !== "string" || body.name.trim() === "") {
    throw new PcapPolicyError("invalid", "name: expected a text of 1-128 characters", "name");
  }
  const appliances = labels(body.appliances, "appliances");
  const groups = labels(body.groups, "groups");
  const start = timeOf(body.start, "start");
  const stop = timeOf(body.stop, "stop");
  const filter = typeof body.filter === "string" && body.filter.trim() === "" ? null : body.filter;
  const doc = {
    id: "0",
    name: body.name.trim(),
    enabled: body.enabled,
    capturePoints: body.capturePoints,
    filter,
    match: body.match,
    truncateBytes: body.truncateBytes,
    start,
    stop,
    durationSeconds: body.durationSeconds,
    maxPackets: body.maxPackets,
    maxBytes: body.maxBytes,
    quotaBytes: body.quotaBytes,
  };
  const parsed = parsePcapPolicy(doc, "policy");
  if (!parsed.ok) {
    const first = parsed.problems[0]!.replace(/^policy\./, "");
    const field = first.slice(0, first.indexOf(":")).split(/[.[]/)[0]!;
    throw new PcapPolicyError("invalid", first, field);
  }
  const p = parsed.policy;
  const expression = policyExpression(p);
  const problem = filterProblem(expression);
  if (problem !== undefined) {
    const field = p.filter !== null && filterProblem(p.filter) !== undefined ? "filter" : "match";
    throw new PcapPolicyError(
      "invalid",
      `${field}: libpcap cannot compile ${JSON.stringify(expression)}: ${problem}`,
      field,
    );
  }
  const { id: _id, ...rest } = p;
  return { ...rest, appliances, groups, expression };
}

type Row = typeof pcapPolicy.$inferSelect;

function viewOf(r: Row): PolicyView {
  const view: PolicyView = {
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    appliances: r.appliances,
    groups: r.groups,
    capturePoints: r.capturePoints,
    filter: r.filter,
    match: r.match as PcapPolicy["match"],
    truncateBytes: r.truncateBytes,
    start: r.startAt?.getTime() ?? null,
    stop: r.stopAt?.getTime() ?? null,
    durationSeconds: r.durationSeconds,
    maxPackets: r.maxPackets,
    maxBytes: r.maxBytes,
    quotaBytes: r.quotaBytes,
    expression: "",
    createdAt: r.createdAt.getTime(),
    updatedAt: r.updatedAt.getTime(),
  };
  view.expression = policyExpression(view);
  return view;
}

function rowOf(p: Omit<PolicyView, "id" | "createdAt" | "updatedAt">) {
  return {
    name: p.name,
    enabled: p.enabled,
    appliances: p.appliances,
    groups: p.groups,
    capturePoints: p.capturePoints,
    filter: p.filter,
    match: p.match as Record<string, unknown>,
    truncateBytes: p.truncateBytes,
    startAt: p.start === null ? null : new Date(p.start),
    stopAt: p.stop === null ? null : new Date(p.stop),
    durationSeconds: p.durationSeconds,
    maxPackets: p.maxPackets,
    maxBytes: p.maxBytes,
    quotaBytes: p.quotaBytes,
  };
}

/** The wire document of a policy (what `policies.pcap` carries). */
export function wirePolicy(p: PolicyView): PcapPolicy {
  return {
    id: String(p.id),
    name: p.name,
    enabled: p.enabled,
    capturePoints: p.capturePoints,
    filter: p.filter,
    match: p.match,
    truncateBytes: p.truncateBytes,
    start: p.start,
    stop: p.stop,
    durationSeconds: p.durationSeconds,
    maxPackets: p.maxPackets,
    maxBytes: p.maxBytes,
    quotaBytes: p.quotaBytes,
  };
}

/** Whether a policy targets an appliance: listed, in a listed group, or no targets at all. */
export function targets(p: PolicyView, applianceId: string, group: string | null): boolean {
  if (p.appliances.length === 0 && p.groups.length === 0) return true;
  return p.appliances.includes(applianceId) || (group !== null && p.groups.includes(group));
}

export class PcapPolicyService {
  readonly #database: Database;
  readonly #audit: AuditRecorder;

  constructor(options: { database: Database; audit: AuditRecorder }) {
    this.#database = options.database;
    this.#audit = options.audit;
  }

  async list(): Promise<PolicyView[]> {
    const rows = await this.#database.db.select().from(pcapPolicy).orderBy(asc(pcapPolicy.id));
    return rows.map(viewOf);
  }

  async get(id: number): Promise<PolicyView | undefined> {
    const [row] = await this.#database.db.select().from(pcapPolicy).where(eq(pcapPolicy.id, id));
    return row === undefined ? undefined : viewOf(row);
  }

  /**
   * Packets, their bytes on the wire, and flows the appliances reported as stored, per policy id
   * (files the appliances evicted since are left out).
   */
  async stats(): Promise<Map<string, PolicyStats>> {
    const rows = await this.#database.rows<
      { policy: string; packets: string; bytes: string; flows: string }
    >(sql`
      select i.policy, coalesce(sum(i.packets), 0) as packets, coalesce(sum(i.bytes), 0) as bytes,
        count(*) as flows
      from ${pcapIndex} i
      where i.evicted = 0 and not exists (
        select 1 from ${pcapIndex} x where x.evicted = 1 and x.appliance_id = i.appliance_id
          and x.policy = i.policy and x.file_id = i.file_id)
      group by i.policy`);
    return new Map(rows.map((r) => [r.policy, {
      packets: Number(r.packets),
      bytes: Number(r.bytes),
      flows: Number(r.flows),
    }]));
  }

  /** Every appliance's config changes with the policies: its version goes up. */
  async #bump(tx: Drizzle): Promise<void> {
    await tx.update(applianceConfig).set({
      version: sql`${applianceConfig.version} + 1`,
      updatedAt: new Date(),
    });
  }

  #conflict(err: unknown, name: string): never {
    const text = String((err as Error)?.message) + String((err as Error)?.cause ?? "");
    if (/pcap_policy_name_unique|duplicate key/.test(text)) {
      throw new PcapPolicyError("conflict", `name: a policy named ${name} exists`, "name");
    }
    throw err;
  }

  async create(actor: Actor, body: Record<string, unknown>): Promise<PolicyView> {
    const input = checkPolicyInput(body);
    let id = 0;
    try {
      await this.#database.db.transaction(async (tx) => {
        const [row] = await tx.insert(pcapPolicy).values(rowOf(input)).returning();
        id = row!.id;
        await this.#bump(tx);
        await this.#audit(actor, {
          action: "pcap_policy.create",
          target: { type: "pcap_policy", id },
          after: input,
        }, tx);
      });
    } catch (err) {
      this.#conflict(err, input.name);
    }
    return (await this.get(id))!;
  }

  async update(actor: Actor, id: number, body: Record<string, unknown>): Promise<PolicyView> {
    const current = await this.get(id);
    if (current === undefined) throw new PcapPolicyError("not_found", `no PCAP policy ${id}`);
    const input = checkPolicyInput(body);
    const { id: _i, createdAt: _c, updatedAt: _u, ...before } = current;
    if (JSON.stringify(before) === JSON.stringify(input)) return current;
    try {
      await this.#database.db.transaction(async (tx) => {
        await tx.update(pcapPolicy).set({ ...rowOf(input), updatedAt: new Date() })
          .where(eq(pcapPolicy.id, id));
        await this.#bump(tx);
        await this.#audit(actor, {
          action: "pcap_policy.update",
          target: { type: "pcap_policy", id },
          before,
          after: input,
        }, tx);
      });
    } catch (err) {
      this.#conflict(err, input.name);
    }
    return (await this.get(id))!;
  }

  async remove(actor: Actor, id: number): Promise<void> {
    const current = await this.get(id);
    if (current === undefined) throw new PcapPolicyError("not_found", `no PCAP policy ${id}`);
    await this.#database.db.transaction(async (tx) => {
      await tx.delete(pcapPolicy).where(eq(pcapPolicy.id, id));
      await this.#bump(tx);
      await this.#audit(actor, {
        action: "pcap_policy.delete",
        target: { type: "pcap_policy", id },
        before: current,
      }, tx);
    });
  }

  async storage(applianceId: string): Promise<PcapStorageSettings> {
    const [row] = await this.#database.db.select().from(pcapStorage)
      .where(eq(pcapStorage.applianceId, applianceId));
    return { quotaBytes: row?.quotaBytes ?? null, quotaPercent: row?.quotaPercent ?? null };
  }

  async storages(): Promise<Map<string, PcapStorageSettings>> {
    const rows = await this.#database.db.select().from(pcapStorage);
    return new Map(rows.map((r) => [r.applianceId, {
      quotaBytes: r.quotaBytes,
      quotaPercent: r.quotaPercent,
    }]));
  }

  /** Sets an appliance's global PCAP quota: `quotaGB` (decimal GB) and/or `quotaPercent`. */
  async setStorage(
    actor: Actor,
    applianceId: string,
    body: Record<string, unknown>,
  ): Promise<PcapStorageSettings> {
    const extra = Object.keys(body).find((k) => k !== "quotaGB" && k !== "quotaPercent");
    if (extra !== undefined) throw new PcapPolicyError("invalid", `${extra}: unknown field`, extra);
    const gb = body.quotaGB === "" ? null : body.quotaGB ?? null;
    if (gb !== null && (typeof gb !== "number" || !(gb > 0) || gb > 1e6)) {
      throw new PcapPolicyError("invalid", "quotaGB: expected a number of GB above 0", "quotaGB");
    }
    const pct = body.quotaPercent === "" ? null : body.quotaPercent ?? null;
    if (
      pct !== null && (typeof pct !== "number" || !Number.isInteger(pct) || pct < 1 || pct > 99)
    ) {
      throw new PcapPolicyError(
        "invalid",
        "quotaPercent: expected a whole percentage of the disk from 1 to 99",
        "quotaPercent",
      );
    }
    const next = {
      quotaBytes: gb === null ? null : Math.round(gb * 1e9),
      quotaPercent: pct as number | null,
    };
    const before = await this.storage(applianceId);
    await this.#database.db.transaction(async (tx) => {
      const [found] = await tx.select({ id: applianceConfig.applianceId }).from(applianceConfig)
        .where(eq(applianceConfig.applianceId, applianceId));
      if (found === undefined) {
        throw new PcapPolicyError("not_found", `no appliance with id ${applianceId}`, "appliance");
      }
      await tx.insert(pcapStorage).values({ applianceId, ...next, updatedAt: new Date() })
        .onConflictDoUpdate({
          target: pcapStorage.applianceId,
          set: { ...next, updatedAt: new Date() },
        });
      await tx.update(applianceConfig).set({
        version: sql`${applianceConfig.version} + 1`,
        updatedAt: new Date(),
      }).where(eq(applianceConfig.applianceId, applianceId));
      await this.#audit(actor, {
        action: "pcap_storage.update",
        target: { type: "appliance", id: applianceId },
        before,
        after: next,
      }, tx);
    });
    return next;
  }

  /** What an appliance's config document carries: its policies and its global quota. */
  async configFor(
    applianceId: string,
    group: string | null,
  ): Promise<{ pcap: PcapPolicy[]; storage: PcapStorageSettings }> {
    const policies = (await this.list()).filter((p) => targets(p, applianceId, group));
    return { pcap: policies.map(wirePolicy), storage: await this.storage(applianceId) };
  }
}
