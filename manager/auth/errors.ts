/** Why an account operation was refused; routes map `kind` to an HTTP status. */
export type AuthErrorKind = "invalid" | "not_found" | "conflict" | "forbidden";

/** A refused user, token or sign-in operation, with the form field it concerns (if any). */
export class AuthError extends Error {
  override name = "AuthError";
  constructor(
    readonly kind: AuthErrorKind,
    message: string,
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The HTTP status for an AuthError kind. */
export function statusOf(kind: AuthErrorKind): 400 | 403 | 404 | 409 {
  switch (kind) {
    case "invalid":
      return 400;
    case "forbidden":
      return 403;
    case "not_found":
      return 404;
    case "conflict":
      return 409;
  }
}

/** A display name, user name or token name: trimmed, 1–64 characters, no control characters. */
export function nameProblem(name: string, max = 64): string | undefined {
  const length = [...name].length;
  if (length === 0) return "is required";
  if (length > max) return `must be at most ${max} characters`;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) {
    return "must not contain control characters";
  }
  return undefined;
}
