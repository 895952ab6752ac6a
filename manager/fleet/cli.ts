// `manager token enroll [--ttl-hours N] [--name NOTE]`: a one-time enrollment token from the
// console, printed once with the command to paste on the appliance.
import { DEFAULT_TOKEN_TTL_HOURS, FleetError, type FleetService } from "./service.ts";

export const TOKEN_USAGE = `  manager token enroll [--ttl-hours N] [--name NOTE]
             a one-time appliance enrollment token (printed once, with the command)`;

/** The command an appliance runs to enroll with `token`. */
export function enrollCommand(origin: string, token: string): string {
  return `appliance enroll --manager ${origin} --token ${token}`;
}

/** Runs `manager token enroll`; resolves to the exit code. */
export async function runTokenCommand(
  fleet: FleetService,
  input: { args: string[]; ttlHours?: string; name?: string; origin: string },
  io: { out(line: string): void; err(line: string): void },
): Promise<number> {
  const [sub, ...extra] = input.args;
  if (sub !== "enroll" || extra.length > 0) {
    io.err(`manager: usage:\n${TOKEN_USAGE}`);
    return 2;
  }
  const ttlHours = input.ttlHours === undefined ? DEFAULT_TOKEN_TTL_HOURS : Number(input.ttlHours);
  try {
    const created = await fleet.createEnrollmentToken(
      { kind: "cli", name: "cli" },
      { ttlHours, note: input.name },
    );
    io.out(
      `enrollment token ${created.id} (single use, valid until ${created.expiresAt.toISOString()}); ` +
        "it is shown only now:",
    );
    io.out(created.token);
    io.out("On the appliance, run:");
    io.out(`  ${enrollCommand(input.origin, created.token)}`);
    return 0;
  } catch (err) {
    if (err instanceof FleetError) {
      io.err(`manager: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
