/** A problem of the agent a person can act on; its message is the one line printed. */
export class AgentError extends Error {
  override name = "AgentError";
  /** Exit status of the command that meets it (fleet contract: 1 runtime, 3 not enrolled). */
  readonly exitCode: number;

  constructor(message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Exit status for "this command needs an identity and there is none". */
export const EXIT_NOT_ENROLLED = 3;

export function notEnrolled(stateDir: string): AgentError {
  return new AgentError(
    `not enrolled: no identity in ${stateDir}; run "appliance enroll --manager URL --token T" first`,
    { exitCode: EXIT_NOT_ENROLLED },
  );
}
