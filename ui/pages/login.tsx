import type { VNode } from "preact";
import { ErrorBox, fieldAttrs, FormField, Notice } from "../components/mod.ts";
import { CSRF_FIELD } from "../frame.tsx";
import { Layout } from "../layout.tsx";

export interface LoginPageProps {
  /** Where to go after signing in: a path on this manager. */
  next: string;
  /** The name typed, shown back after a failure. */
  name: string;
  /** The form's anti-forgery token (also in a cookie: there is no session yet). */
  formToken: string;
  error?: string;
  /** A message that is not an error ("You have signed out."). */
  notice?: string;
}

/** The sign-in page: a plain POST form, no JavaScript needed. */
export function LoginPage(props: LoginPageProps): VNode {
  return (
    <Layout title="Sign in" plain>
      <section class="auth-card" aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Tapline</h1>
        {props.notice && <Notice>{props.notice}</Notice>}
        {props.error && <ErrorBox>{props.error}</ErrorBox>}
        <form method="post" action="/login" class="stack-form" id="login-form">
          <input type="hidden" name={CSRF_FIELD} value={props.formToken} />
          <input type="hidden" name="next" value={props.next} />
          <FormField id="login-name" label="User name">
            <input
              {...fieldAttrs("login-name", "name", undefined)}
              type="text"
              value={props.name}
              autocomplete="username"
              autocapitalize="none"
              spellcheck={false}
              required
              autofocus={props.name === ""}
            />
          </FormField>
          <FormField id="login-password" label="Password">
            <input
              {...fieldAttrs("login-password", "password", undefined)}
              type="password"
              autocomplete="current-password"
              required
              autofocus={props.name !== ""}
            />
          </FormField>
          <button type="submit" class="btn btn-primary">Sign in</button>
        </form>
        <p class="auth-help">
          No password yet, or forgot it? An admin can give you a one-time sign-in link.
        </p>
      </section>
    </Layout>
  );
}

export interface OnceLoginPageProps {
  /** The link's token, posted back when the user confirms. */
  token: string;
  formToken: string;
  /** The account the link signs in to; undefined when the link is unusable. */
  userName?: string;
}

/**
 * The page a one-time sign-in link opens. Signing in takes a click (a POST): link previewers
 * and prefetchers that follow the GET must not use up the link or receive the session.
 */
export function OnceLoginPage(props: OnceLoginPageProps): VNode {
  return (
    <Layout title="One-time sign-in" plain>
      <section class="auth-card" aria-labelledby="once-title">
        <h1 id="once-title">One-time sign-in</h1>
        {props.userName === undefined
          ? (
            <>
              <ErrorBox>
                This sign-in link is not valid: it was already used, it expired, or it was mistyped.
              </ErrorBox>
              <p>
                Ask an admin for a new link (or run <code>manager user link NAME</code>), or{" "}
                <a href="/login">sign in with your password</a>.
              </p>
            </>
          )
          : (
            <form method="post" action="/login/once" class="stack-form" id="once-form">
              <input type="hidden" name={CSRF_FIELD} value={props.formToken} />
              <input type="hidden" name="token" value={props.token} />
              <p>
                This link signs you in once as <strong class="user-ref">{props.userName}</strong>
                {" "}
                and then stops working. You can set a password on the next page.
              </p>
              <button type="submit" class="btn btn-primary">
                Continue as {props.userName}
              </button>
            </form>
          )}
      </section>
    </Layout>
  );
}

/** A 403 page: what was refused and why, inside the normal frame. */
export function AccessDeniedPage(props: { message: string }): VNode {
  return (
    <Layout title="Access denied">
      <header class="page-header">
        <h1>Access denied</h1>
      </header>
      <ErrorBox>{props.message}</ErrorBox>
      <p>
        <a href="/flows">Go to flow logs</a> · <a href="/account">Your account</a>
      </p>
    </Layout>
  );
}
