// `manager user …` and `manager token …`: account administration from the console, for the
// first start, for recovery (a new sign-in link) and for scripts (API tokens).
import type { Actor } from "./audit.ts";
import { AuthError } from "./errors.ts";
import { signInUrl } from "./links.ts";
import type { Auth } from "./service.ts";

const CLI: Actor = { kind: "cli", name: "manager-cli" };

export const USER_USAGE = `user commands:
  manager user list
  manager user create NAME [--role viewer|operator|admin] [--password-stdin]
      without --password-stdin, prints a one-time sign-in link for the new user
  manager user link NAME        print a new one-time sign-in link (recovery)
  manager token create --user NAME --scope read|write|admin [--name LABEL]
  manager token list [--user NAME]
  manager token revoke ID`;

export interface CliInput {
  command: "user" | "token";
  /** The words after the command: `["create", "alice"]`. */
  args: string[];
  role?: string;
  scope?: string;
  user?: string;
  name?: string;
  passwordStdin?: boolean;
  /** Where the manager is reached, for sign-in links (`http://127.0.0.1:8080`). */
  origin: string;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** The whole of standard input (for --password-stdin). */
  readStdin(): Promise<string>;
}

/** Runs one user/token command; resolves to the exit code. */
export async function runAuthCommand(auth: Auth, input: CliInput, io: CliIo): Promise<number> {
  try {
    return input.command === "user" ? await user(auth, input, io) : await token(auth, input, io);
  } catch (err) {
    if (err instanceof AuthError) {
      io.err(`manager: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

function usage(io: CliIo, problem: string): number {
  io.err(`manager: ${problem}`);
  io.err(USER_USAGE);
  return 2;
}

async function user(auth: Auth, input: CliInput, io: CliIo): Promise<number> {
  const [sub, name, ...extra] = input.args;
  if (extra.length > 0) return usage(io, `unexpected arguments: ${extra.join(" ")}`);
  if (sub === "list") {
    for (const u of await auth.users.list()) {
      const password = u.hasPassword ? "password set" : "no password";
      io.out(`${u.id}\t${u.name}\t${u.role}\t${password}\t${u.activeTokens} tokens`);
    }
    return 0;
  }
  if (sub === "create") {
    if (!name) return usage(io, "user create needs a NAME");
    const password = input.passwordStdin ? (await io.readStdin()).replace(/\r?\n$/, "") : undefined;
    const created = await auth.users.create(CLI, {
      name,
      role: input.role ?? "viewer",
      password,
    });
    io.out(`created user ${created.name} (${created.role}, id ${created.id})`);
    if (!created.hasPassword) await printLink(auth, input, io, created);
    return 0;
  }
  if (sub === "link") {
    if (!name) return usage(io, "user link needs a NAME");
    const found = await auth.users.findByName(name);
    if (!found) {
      io.err(`manager: no user named ${JSON.stringify(name)} (see "manager user list")`);
      return 1;
    }
    await printLink(auth, input, io, found);
    return 0;
  }
  return usage(io, `unknown user command ${JSON.stringify(sub ?? "")}`);
}

async function printLink(
  auth: Auth,
  input: CliInput,
  io: CliIo,
  user: { id: number; name: string },
): Promise<void> {
  const { token, expiresAt } = await auth.links.create(user.id);
  await auth.audit.record(CLI, {
    action: "user.link",
    target: { type: "user", id: user.id },
    after: { name: user.name, linkExpiresAt: expiresAt.toISOString() },
  });
  io.out(`one-time sign-in link for ${user.name} (single use, until ${expiresAt.toISOString()}):`);
  io.out(`  ${signInUrl(input.origin, token)}`);
}

async function token(auth: Auth, input: CliInput, io: CliIo): Promise<number> {
  const [sub, id, ...extra] = input.args;
  if (sub === "create") {
    if (id !== undefined || extra.length > 0) return usage(io, "token create takes only options");
    if (!input.user) return usage(io, "token create needs --user NAME");
    const owner = await auth.users.findByName(input.user);
    if (!owner) {
      io.err(`manager: no user named ${JSON.stringify(input.user)}`);
      return 1;
    }
    const created = await auth.tokens.create(CLI, owner, {
      name: input.name ?? "cli",
      scope: input.scope ?? "read",
    });
    io.err(
      `created API token ${created.view.id} "${created.view.name}" ` +
        `(${created.view.scope}) for ${owner.name}; it is shown only now:`,
    );
    io.out(created.token);
    return 0;
  }
  if (sub === "list") {
    const owner = input.user ? await auth.users.findByName(input.user) : undefined;
    if (input.user && !owner) {
      io.err(`manager: no user named ${JSON.stringify(input.user)}`);
      return 1;
    }
    for (const t of await auth.tokens.list(owner?.id)) {
      const state = t.revokedAt ? "revoked" : "active";
      io.out(`${t.id}\tuser ${t.userId}\t${t.name}\t${t.scope}\t${t.prefix}…\t${state}`);
    }
    return 0;
  }
  if (sub === "revoke") {
    if (!id || !/^\d{1,10}$/.test(id)) return usage(io, "token revoke needs a token ID");
    await auth.tokens.revoke(CLI, Number(id), { id: 0, asAdmin: true });
    io.out(`revoked API token ${id}`);
    return 0;
  }
  return usage(io, `unknown token command ${JSON.stringify(sub ?? "")}`);
}
