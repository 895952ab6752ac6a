import type { VNode } from "preact";
import { ErrorBox, fieldAttrs, FormField, Notice, UtcTime } from "../components/mod.ts";
import { CsrfField } from "../frame.tsx";
import { Layout } from "../layout.tsx";

/** One user as the users page lists it. */
export interface UserRow {
  id: number;
  name: string;
  role: string;
  hasPassword: boolean;
  /** ms since the epoch */
  createdAt: number;
  /** API tokens not revoked. */
  activeTokens: number;
}

export type NewUserField = "name" | "role" | "password";

export interface UsersPageProps {
  users: UserRow[];
  /** The signed-in admin's id (they cannot delete themselves). */
  meId: number;
  roles: readonly string[];
  /** The create form's values, shown back after a problem. */
  form: { name: string; role: string };
  errors: Partial<Record<NewUserField, string>>;
  /** A problem with a change to an existing user (last admin, …). */
  problem?: string;
  notice?: string;
  /** A one-time sign-in link just made for a user: shown this once. */
  link?: { userName: string; url: string; expiresAt: number };
}

const ROLE_HELP = "viewer reads; operator also changes policies, points and appliances; " +
  "admin also manages users, licenses and settings";

/** `/admin/users`: every account, its role, and the forms that change them (admins only). */
export function UsersPage(props: UsersPageProps): VNode {
  return (
    <Layout title="Users" active="users">
      <header class="page-header">
        <p class="breadcrumb">Administration</p>
        <h1>Users</h1>
        <p class="page-description">Roles: {ROLE_HELP}.</p>
      </header>
      {props.notice && <Notice>{props.notice}</Notice>}
      {props.problem && <ErrorBox>{props.problem}</ErrorBox>}
      {props.link && (
        <div class="token-reveal" role="status">
          <p>
            One-time sign-in link for <strong class="user-ref">{props.link.userName}</strong>{" "}
            (single use, valid until{" "}
            <UtcTime ms={props.link.expiresAt} />). Give it to them privately: it is not shown
            again.
          </p>
          <code id="sign-in-link" class="mono">{props.link.url}</code>
        </div>
      )}
      <section class="panel" aria-labelledby="users-title">
        <header class="panel-header">
          <h2 id="users-title">Accounts</h2>
          <span class="panel-meta">{props.users.length} users</span>
        </header>
        <div class="table-scroll">
          <table class="data-table" id="users-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Password</th>
                <th class="num">API tokens</th>
                <th>Created</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {props.users.map((u) => (
                <UserLine key={u.id} user={u} me={u.id === props.meId} roles={props.roles} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <NewUserForm {...props} />
    </Layout>
  );
}

function UserLine(props: { user: UserRow; me: boolean; roles: readonly string[] }): VNode {
  const { user: u } = props;
  return (
    <tr data-user-id={u.id}>
      <td>
        <span class="user-ref">{u.name}</span>
        {props.me && <span class="cell-muted">&nbsp;(you)</span>}
      </td>
      <td>
        <form method="post" action={`/admin/users/${u.id}/role`} class="inline-form">
          <CsrfField />
          <label class="visually-hidden" for={`role-${u.id}`}>Role of {u.name}</label>
          <select id={`role-${u.id}`} name="role">
            {props.roles.map((r) => <option key={r} value={r} selected={r === u.role}>{r}</option>)}
          </select>
          <button type="submit" class="btn btn-small">Save</button>
        </form>
      </td>
      <td>{u.hasPassword ? "set" : <span class="cell-muted">not set</span>}</td>
      <td class="num">{u.activeTokens}</td>
      <td>
        <UtcTime ms={u.createdAt} />
      </td>
      <td class="actions">
        <form method="post" action={`/admin/users/${u.id}/link`} class="inline-form">
          <CsrfField />
          <button
            type="submit"
            class="btn btn-small"
            title="A single-use link that signs this user in (to set a new password)"
          >
            Sign-in link
          </button>
        </form>
        {!props.me && (
          <form
            method="post"
            action={`/admin/users/${u.id}/delete`}
            class="inline-form"
            hx-confirm={`Delete the user "${u.name}"? Their sessions and API tokens end.`}
          >
            <CsrfField />
            <button type="submit" class="btn btn-small btn-danger">Delete</button>
          </form>
        )}
      </td>
    </tr>
  );
}

function NewUserForm(props: UsersPageProps): VNode {
  const { errors, form } = props;
  return (
    <section class="panel" aria-labelledby="new-user-title">
      <header class="panel-header">
        <h2 id="new-user-title">Add a user</h2>
      </header>
      <form method="post" action="/admin/users" class="panel-body inline-fields" id="new-user">
        <CsrfField />
        <FormField id="new-user-name" label="User name" error={errors.name}>
          <input
            {...fieldAttrs("new-user-name", "name", errors.name)}
            type="text"
            value={form.name}
            autocomplete="off"
            maxLength={64}
            required
          />
        </FormField>
        <FormField id="new-user-role" label="Role" error={errors.role}>
          <select {...fieldAttrs("new-user-role", "role", errors.role)}>
            {props.roles.map((r) => (
              <option key={r} value={r} selected={r === form.role}>{r}</option>
            ))}
          </select>
        </FormField>
        <FormField
          id="new-user-password"
          label="Password (optional)"
          error={errors.password}
          hint="Empty: you get a one-time sign-in link to give them."
        >
          <input
            {...fieldAttrs("new-user-password", "password", errors.password)}
            type="password"
            autocomplete="new-password"
          />
        </FormField>
        <button type="submit" class="btn btn-primary">Add user</button>
      </form>
    </section>
  );
}
