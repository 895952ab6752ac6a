// First start without a default password: the admin comes from TAPLINE_ADMIN_PASSWORD, or the
// manager creates it without a password and prints a one-time sign-in link. Until someone has
// set a password, each start prints a new link (and the previous one dies); after that, never.
import type { Actor } from "./audit.ts";
import type { Auth } from "./service.ts";

const SYSTEM: Actor = { kind: "system", name: "first-start" };

export interface BootstrapOptions {
  /** The admin's user name (TAPLINE_ADMIN_USER). */
  adminUser: string;
  /** TAPLINE_ADMIN_PASSWORD, when set. */
  adminPassword?: string;
}

export type BootstrapResult =
  /** Users exist and nothing was changed. */
  | { kind: "ready" }
  /** The admin was created (or given its first password) from TAPLINE_ADMIN_PASSWORD. */
  | { kind: "admin-from-env"; user: string }
  /** No account has a password yet: print this link (once; it is not stored in clear). */
  | { kind: "link"; user: string; token: string; expiresAt: Date };

export async function bootstrapAdmin(
  auth: Auth,
  options: BootstrapOptions,
): Promise<BootstrapResult> {
  const { adminUser, adminPassword } = options;
  const existing = await auth.users.list();
  // No admin at all (e.g. `manager user create` ran before the first start): same as no users.
  // The product never removes the last admin, so this happens before the first start only.
  if (!existing.some((u) => u.role === "admin")) {
    const user = await auth.users.create(SYSTEM, {
      name: adminUser,
      role: "admin",
      password: adminPassword,
    });
    if (adminPassword) return { kind: "admin-from-env", user: user.name };
    const link = await auth.links.create(user.id);
    return { kind: "link", user: user.name, token: link.token, expiresAt: link.expiresAt };
  }
  if (adminPassword) {
    const admin = await auth.users.findByName(adminUser);
    // The variable sets the first password only: it never overwrites one chosen since.
    if (admin && !admin.hasPassword) {
      await auth.users.setPassword(SYSTEM, admin.id, adminPassword);
      return { kind: "admin-from-env", user: admin.name };
    }
  }
  // Nobody can sign in with a password yet (the first link was lost, or the first start never
  // reached listening): a fresh link, and the earlier ones stop working.
  const admin = existing.find((u) => u.role === "admin");
  if (admin && !existing.some((u) => u.hasPassword)) {
    const link = await auth.links.create(admin.id);
    return { kind: "link", user: admin.name, token: link.token, expiresAt: link.expiresAt };
  }
  return { kind: "ready" };
}
