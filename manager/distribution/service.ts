// Distribution points and policies on the manager: stored in their tables, every change audited
// with the state before and after, and every change bumps the config version of the appliances it
// concerns so that they pull the new document within seconds (fleet/service.ts builds it with
// {@link distributionFor}).
import { and, asc, eq, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Database, Drizzle } from "../db/mod.ts";
import { appliance, applianceConfig } from "../db/schema/fleet.ts";
import { distributionPoint, distributionPolicy } from "../db/schema/distribution.ts";
import type { Actor, AuditRecorder } from "../auth/mod.ts";
import {
  checkPoint,
  checkPolicy,
  errorText,
  type FieldErrors,
  type PointInput,
  type PolicyInput,
} from "./validate.ts";

export class DistributionError extends Error {
  override name = "DistributionError";
  constructor(
    readonly kind: "invalid" | "not_found" | "conflict",
    message: string,
    readonly errors: FieldErrors = {},
  ) {
    super(message);
  }
}

export interface PointView extends PointInput {
  id: number;
  createdAt: number;
  updatedAt: number;
  /** Names of the policies that send to it. */
  usedBy: string[];
}

export interface PolicyView extends PolicyInput {
  id: number;
  createdAt: number;
  updatedAt: number;
}

type PointRow = typeof distributionPoint.$inferSelect;
type PolicyRow = typeof distributionPolicy.$inferSelect;

function pointInput(r: PointRow): PointInput {
  return {
    name: r.name,
    tunnel: r.tunnel as PointInput["tunnel"],
    vni: r.vni,
    sessionId: r.sessionId,
    destination: r.destination,
    source: r.source,
    port: r.port,
    mtu: r.mtu,
    vlan: r.vlan,
  };
}

function policyInput(r: PolicyRow): PolicyInput {
  return {
    name: r.name,
    enabled: r.enabled,
    appliances: r.appliances,
    groups: r.groups,
    capturePoints: r.capturePoints,
    direction: r.direction as PolicyInput["direction"],
    filter: r.filter,
    action: r.action as PolicyInput["action"],
    slice: (r.slice as PolicyInput["slice"]) ?? null,
    dedup: { enabled: r.dedupEnabled, windowMs: r.dedupWindowMs },
    bandwidthBps: r.bandwidthBps,
    fuseBps: r.fuseBps,
    points: r.pointIds,
    mode: r.mode as PolicyInput["mode"],
    strip: r.strip as PolicyInput["strip"],
    masks: r.masks as PolicyInput["masks"],
  };
}

function policyColumns(p: PolicyInput) {
  return {
    name: p.name,
    enabled: p.enabled,
    appliances: p.appliances,
    groups: p.groups,
    capturePoints: p.capturePoints,
    direction: p.direction,
    filter: p.filter,
    action: p.action,
    slice: p.slice,
    dedupEnabled: p.dedup.enabled,
    dedupWindowMs: p.dedup.windowMs,
    bandwidthBps: p.bandwidthBps,
    fuseBps: p.fuseBps,
    pointIds: p.points,
    mode: p.mode,
    strip: p.strip,
    masks: p.masks,
  };
}

/** Which appliances a policy is for: both lists empty means every appliance. */
interface Scope {
  appliances: string[];
  groups: string[];
}

function inScope(scope: Scope, applianceId: string, group: string | null): boolean {
  if (scope.appliances.length === 0 && scope.groups.length === 0) return true;
  return scope.appliances.includes(applianceId) ||
    (group !== null && scope.groups.includes(group));
}

/** The point as the appliance's `policies.distribution` carries it (appliance/distribute). */
function pointDocument(id: number, p: PointInput) {
  return {
    id: `point-${id}`,
    name: p.name,
    tunnel: p.tunnel,
    destination: p.destination,
    source: p.source,
    mtu: p.mtu,
    vlan: p.vlan,
    ...(p.tunnel === "vxlan" ? { vni: p.vni, port: p.port } : {}),
    ...(p.tunnel === "erspan2" || p.tunnel === "erspan3" ? { sessionId: p.sessionId } : {}),
  };
}

export class DistributionService {
  readonly #database: Database;
  readonly #audit: AuditRecorder;

  constructor(options: { database: Database; audit: AuditRecorder }) {
    this.#database = options.database;
    this.#audit = options.audit;
  }

  get #db(): Drizzle {
    return this.#database.db;
  }

  async listPoints(): Promise<PointView[]> {
    const [points, policies] = await Promise.all([
      this.#db.select().from(distributionPoint).orderBy(asc(distributionPoint.name)),
      this.#db.select({ name: distributionPolicy.name, pointIds: distributionPolicy.pointIds })
        .from(distributionPolicy).orderBy(asc(distributionPolicy.name)),
    ]);
    return points.map((r) => ({
      id: r.id,
      ...pointInput(r),
      createdAt: r.createdAt.getTime(),
      updatedAt: r.updatedAt.getTime(),
      usedBy: policies.filter((p) => p.pointIds.includes(r.id)).map((p) => p.name),
    }));
  }

  async point(id: number): Promise<PointView> {
    const found = (await this.listPoints()).find((p) => p.id === id);
    if (!found) throw new DistributionError("not_found", `no distribution point with id ${id}`);
    return found;
  }

  async listPolicies(): Promise<PolicyView[]> {
    const rows = await this.#db.select().from(distributionPolicy)
      .orderBy(asc(distributionPolicy.name));
    return rows.map((r) => ({
      id: r.id,
      ...policyInput(r),
      createdAt: r.createdAt.getTime(),
      updatedAt: r.updatedAt.getTime(),
    }));
  }

  async policy(id: number): Promise<PolicyView> {
    const [r] = await this.#db.select().from(distributionPolicy)
      .where(eq(distributionPolicy.id, id));
    if (!r) throw new DistributionError("not_found", `no distribution policy with id ${id}`);
    return {
      id: r.id,
      ...policyInput(r),
      createdAt: r.createdAt.getTime(),
      updatedAt: r.updatedAt.getTime(),
    };
  }

  /** Appliances a policy form offers (not revoked), and the groups they are in. */
  async appliances(): Promise<{ id: string; name: string; group: string | null }[]> {
    return await this.#db.select({
      id: appliance.id,
      name: appliance.name,
      group: appliance.groupName,
    }).from(appliance).where(isNull(appliance.revokedAt)).orderBy(asc(appliance.name));
  }

  async #nameTaken(table: "point" | "policy", name: string, except?: number): Promise<boolean> {
    const t = table === "point" ? distributionPoint : distributionPolicy;
    const rows = await this.#db.select({ id: t.id }).from(t).where(eq(t.name, name));
    return rows.some((r) => r.id !== except);
  }

  #invalid(errors: FieldErrors): never {
    throw new DistributionError("invalid", errorText(errors), errors);
  }

  async savePoint(actor: Actor, body: unknown, id?: number): Promise<PointView> {
    const checked = checkPoint(body);
    if (!checked.ok) this.#invalid(checked.errors);
    const value = checked.value;
    const before = id === undefined ? undefined : await this.point(id);
    if (await this.#nameTaken("point", value.name, id)) {
      this.#invalid({ name: `a distribution point named ${value.name} exists` });
    }
    const newId = await this.#db.transaction(async (tx) => {
      let pointId: number;
      if (before === undefined) {
        const [row] = await tx.insert(distributionPoint).values(value)
          .returning({ id: distributionPoint.id });
        pointId = row!.id;
      } else {
        pointId = before.id;
        await tx.update(distributionPoint).set({ ...value, updatedAt: new Date() })
          .where(eq(distributionPoint.id, pointId));
        // Every appliance of every policy that sends to the point gets the new tunnel.
        const users = (await tx.select().from(distributionPolicy))
          .filter((p) => p.pointIds.includes(pointId));
        await this.#bump(tx, users);
      }
      await this.#audit(actor, {
        action: before === undefined ? "distribution_point.create" : "distribution_point.update",
        target: { type: "distribution_point", id: pointId },
        ...(before === undefined ? {} : { before: pointOfView(before) }),
        after: value,
      }, tx);
      return pointId;
    });
    return await this.point(newId);
  }

  async deletePoint(actor: Actor, id: number): Promise<void> {
    const before = await this.point(id);
    if (before.usedBy.length > 0) {
      throw new DistributionError(
        "conflict",
        `distribution point ${before.name} is used by the policies ${before.usedBy.join(", ")}`,
      );
    }
    await this.#db.transaction(async (tx) => {
      await tx.delete(distributionPoint).where(eq(distributionPoint.id, id));
      await this.#audit(actor, {
        action: "distribution_point.delete",
        target: { type: "distribution_point", id },
        before: pointOfView(before),
      }, tx);
    });
  }

  async savePolicy(actor: Actor, body: unknown, id?: number): Promise<PolicyView> {
    const pointIds = new Set(
      (await this.#db.select({ id: distributionPoint.id }).from(distributionPoint)).map((r) =>
        r.id
      ),
    );
    const checked = checkPolicy(body, pointIds);
    if (!checked.ok) this.#invalid(checked.errors);
    const value = checked.value;
    const before = id === undefined ? undefined : await this.policy(id);
    if (await this.#nameTaken("policy", value.name, id)) {
      this.#invalid({ name: `a distribution policy named ${value.name} exists` });
    }
    const newId = await this.#db.transaction(async (tx) => {
      let policyId: number;
      if (before === undefined) {
        const [row] = await tx.insert(distributionPolicy).values(policyColumns(value))
          .returning({ id: distributionPolicy.id });
        policyId = row!.id;
      } else {
        policyId = before.id;
        await tx.update(distributionPolicy)
          .set({ ...policyColumns(value), updatedAt: new Date() })
          .where(eq(distributionPolicy.id, policyId));
      }
      // Appliances that had it and those that get it: both need the new document.
      await this.#bump(tx, before === undefined ? [value] : [before, value]);
      await this.#audit(actor, {
        action: before === undefined ? "distribution_policy.create" : "distribution_policy.update",
        target: { type: "distribution_policy", id: policyId },
        ...(before === undefined ? {} : { before: stripView(before) }),
        after: value,
      }, tx);
      return policyId;
    });
    return await this.policy(newId);
  }

  async deletePolicy(actor: Actor, id: number): Promise<void> {
    const before = await this.policy(id);
    await this.#db.transaction(async (tx) => {
      await tx.delete(distributionPolicy).where(eq(distributionPolicy.id, id));
      await this.#bump(tx, [before]);
      await this.#audit(actor, {
        action: "distribution_policy.delete",
        target: { type: "distribution_policy", id },
        before: stripView(before),
      }, tx);
    });
  }

  /** Bumps the config version of every (non-revoked) appliance in one of the scopes. */
  async #bump(tx: Drizzle, scopes: Scope[]): Promise<void> {
    if (scopes.length === 0) return;
    const everyone = scopes.some((s) => s.appliances.length === 0 && s.groups.length === 0);
    const ids = [...new Set(scopes.flatMap((s) => s.appliances))];
    const groups = [...new Set(scopes.flatMap((s) => s.groups))];
    const which: SQL[] = [];
    if (ids.length > 0) which.push(inArray(appliance.id, ids));
    if (groups.length > 0) which.push(inArray(appliance.groupName, groups));
    const chosen = tx.select({ id: appliance.id }).from(appliance).where(
      everyone ? isNull(appliance.revokedAt) : and(isNull(appliance.revokedAt), or(...which)),
    );
    await tx.update(applianceConfig).set({
      version: sql`${applianceConfig.version} + 1`,
      updatedAt: new Date(),
    }).where(inArray(applianceConfig.applianceId, chosen));
  }
}

function pointOfView(v: PointView): PointInput {
  const { id: _id, createdAt: _c, updatedAt: _u, usedBy: _b, ...input } = v;
  return input;
}

function stripView(v: PolicyView): PolicyInput {
  const { id: _id, createdAt: _c, updatedAt: _u, ...input } = v;
  return input;
}

/**
 * The `policies.distribution` of one appliance's config document: its enabled policies, drop
 * policies first (a matching drop ends the walk on the appliance), each with its points and the
 * capture points it applies to (empty: all).
 */
export async function distributionFor(
  db: Drizzle,
  applianceId: string,
  group: string | null,
): Promise<unknown[]> {
  const [policies, points] = await Promise.all([
    db.select().from(distributionPolicy).where(eq(distributionPolicy.enabled, true))
      .orderBy(asc(distributionPolicy.id)),
    db.select().from(distributionPoint),
  ]);
  const byId = new Map(points.map((p) => [p.id, p]));
  return policies
    .filter((p) => inScope(p, applianceId, group))
    .sort((a, b) => Number(b.action === "drop") - Number(a.action === "drop"))
    .map((r) => {
      const p = policyInput(r);
      return {
        id: `policy-${r.id}`,
        name: p.name,
        enabled: true,
        capturePoints: p.capturePoints,
        direction: p.direction,
        filter: p.filter,
        action: p.action,
        slice: p.slice,
        dedup: p.dedup,
        bandwidthBps: p.bandwidthBps,
        fuseBps: p.fuseBps,
        points: p.points.flatMap((id) => {
          const point = byId.get(id);
          return point ? [pointDocument(id, pointInput(point))] : [];
        }),
        mode: p.mode,
        strip: p.strip,
        masks: p.masks,
      };
    });
}
