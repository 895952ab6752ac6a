import type { VNode } from "preact";
import { EmptyState, ErrorBox, fieldAttrs, FormField, Notice, UtcTime } from "../components/mod.ts";
import { CsrfField } from "../frame.tsx";
import { Layout } from "../layout.tsx";

/** One API token as the account page lists it (never its secret). */
export interface TokenRow {
  id: number;
  name: string;
  scope: string;
  /** The token's first characters, to recognise it. */
  prefix: string;
  /** ms since the epoch */
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export type AccountField = "current" | "password" | "confirm" | "tokenName" | "scope";

export interface AccountPageProps {
  user: { name: string; role: string; hasPassword: boolean };
  tokens: TokenRow[];
  /** The scopes this user may give a token, weakest first. */
  scopes: readonly string[];
  /** A token just created: its secret is shown this once. */
  created?: { name: string; scope: string; token: string };
  tokenForm: { name: string; scope: string };
  errors: Partial<Record<AccountField, string>>;
  notice?: string;
  /** A refused change that concerns no form field. */
  problem?: string;
  /** Signed in with a one-time link: invite to set a password. */
  welcome?: boolean;
}

/** The signed-in user's own page: password and API tokens. */
export function AccountPage(props: AccountPageProps): VNode {
  const { user, errors } = props;
  return (
    <Layout title="Your account">
      <header class="page-header">
        <p class="breadcrumb">Account</p>
        <h1>
          <span class="user-ref">{user.name}</span> <span class="role-badge">{user.role}</span>
        </h1>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      {props.problem && <ErrorBox>{props.problem}</ErrorBox>}
      {props.welcome && (
        <Notice>
          You signed in with a one-time link.{" "}
          {user.hasPassword ? "" : "Set a password below so that you can sign in again, or "}
          <a href="/flows">continue to the flow logs</a>.
        </Notice>
      )}
      <section class="panel" aria-labelledby="password-title">
        <header class="panel-header">
          <h2 id="password-title">{user.hasPassword ? "Change password" : "Set a password"}</h2>
        </header>
        <form method="post" action="/account/password" class="panel-body stack-form">
          <CsrfField />
          {/* Lets password managers file the new password under the right account. */}
          <input type="hidden" name="username" autocomplete="username" value={user.name} />
          {user.hasPassword && (
            <FormField id="password-current" label="Current password" error={errors.current}>
              <input
                {...fieldAttrs("password-current", "current", errors.current)}
                type="password"
                autocomplete="current-password"
                required
              />
            </FormField>
          )}
          <FormField
            id="password-new"
            label="New password"
            error={errors.password}
            hint="At least 12 characters."
          >
            <input
              {...fieldAttrs("password-new", "password", errors.password)}
              type="password"
              autocomplete="new-password"
              minLength={12}
              required
            />
          </FormField>
          <FormField id="password-confirm" label="New password again" error={errors.confirm}>
            <input
              {...fieldAttrs("password-confirm", "confirm", errors.confirm)}
              type="password"
              autocomplete="new-password"
              required
            />
          </FormField>
          <button type="submit" class="btn btn-primary">Save password</button>
        </form>
      </section>
      <TokensPanel {...props} />
    </Layout>
  );
}

function TokensPanel(props: AccountPageProps): VNode {
  const { errors, tokenForm } = props;
  return (
    <section class="panel" aria-labelledby="tokens-title" id="api-tokens">
      <header class="panel-header">
        <h2 id="tokens-title">API tokens</h2>
        <span class="panel-meta">
          For scripts and integrations: <code>Authorization: Bearer …</code> on /api/v1/
        </span>
      </header>
      {props.created && (
        <div class="token-reveal" role="status">
          <p>
            New token <strong>{props.created.name}</strong>{" "}
            ({props.created.scope}). Copy it now: it is not shown again.
          </p>
          <code id="new-token" class="mono">{props.created.token}</code>
        </div>
      )}
      {props.tokens.length === 0
        ? <EmptyState title="No API tokens yet" />
        : (
          <div class="table-scroll">
            <table class="data-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Scope</th>
                  <th>Token</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {props.tokens.map((t) => (
                  <tr key={t.id} data-token-id={t.id}>
                    <td>{t.name}</td>
                    <td>{t.scope}</td>
                    <td class="mono">{t.prefix}…</td>
                    <td>
                      <UtcTime ms={t.createdAt} />
                    </td>
                    <td>
                      <UtcTime ms={t.lastUsedAt} empty="never" />
                    </td>
                    <td>
                      {t.revokedAt !== null ? <span class="cell-muted">revoked</span> : (
                        <form
                          method="post"
                          action={`/account/tokens/${t.id}/revoke`}
                          class="inline-form"
                          hx-confirm={`Revoke the token "${t.name}"? Scripts using it will stop working.`}
                        >
                          <CsrfField />
                          <button type="submit" class="btn btn-small">Revoke</button>
                        </form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      <form method="post" action="/account/tokens" class="panel-body inline-fields">
        <CsrfField />
        <FormField id="token-name" label="Token name" error={errors.tokenName}>
          <input
            {...fieldAttrs("token-name", "name", errors.tokenName)}
            type="text"
            value={tokenForm.name}
            placeholder="e.g. grafana"
            maxLength={100}
            required
          />
        </FormField>
        <FormField id="token-scope" label="Scope" error={errors.scope}>
          <select {...fieldAttrs("token-scope", "scope", errors.scope)}>
            {props.scopes.map((s) => (
              <option key={s} value={s} selected={s === tokenForm.scope}>{s}</option>
            ))}
          </select>
        </FormField>
        <button type="submit" class="btn btn-primary">Create token</button>
      </form>
    </section>
  );
}
