import type { ComponentChildren, VNode } from "preact";
import { CSRF_FIELD, CSRF_HEADER, type PageFrame, usePageFrame } from "./frame.tsx";
import { LicenseBanner } from "./components/license_banner.tsx";
import { NAV, type NavEntry, type NavSection } from "./nav.ts";

/** Where the manager serves ui/static and htmx (see readStatic). */
export const STATIC_PREFIX = "/static/";

// htmx must not inject its own <style> (one stylesheet), and we use no hx-on/js: evaluation.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
});

export interface LayoutProps {
  /** The page's name, used in the document title. */
  title: string;
  /** The id of the navigation entry to mark current (see NAV). */
  active?: string;
  /** Defaults to the product's NAV; pages pass it only to show a variant. */
  nav?: readonly NavSection[];
  /** No navigation (the sign-in pages). */
  plain?: boolean;
  children?: ComponentChildren;
}

/** The page frame every admin page shares: top bar, module navigation, main area. */
export function Layout(props: LayoutProps): VNode {
  const frame = usePageFrame();
  const csrf = frame?.csrfToken;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        {csrf && <meta name="csrf-token" content={csrf} />}
        <title>{`${props.title} · Tapline`}</title>
        {/* An empty icon: browsers stop asking for /favicon.ico on every page. */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={`${STATIC_PREFIX}tapline.css`} />
        <script src={`${STATIC_PREFIX}htmx.min.js`} defer />
      </head>
      {/* htmx sends the session's CSRF token with every request it makes (hx-headers inherits). */}
      <body hx-headers={csrf ? JSON.stringify({ [CSRF_HEADER]: csrf }) : undefined}>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="topbar">
          <span class="brand">
            <BrandMark />
            <span class="brand-name">Tapline</span>
          </span>
          <span class="topbar-context">Network observability</span>
          {frame?.user && <UserMenu frame={frame} />}
        </header>
        <div class={props.plain ? "shell shell-plain" : "shell"}>
          {!props.plain && (
            <SideNav
              sections={props.nav ?? NAV}
              active={props.active}
              locked={frame?.lockedModules ?? []}
            />
          )}
          <main id="main" class="main">
            {!props.plain && (
              <LicenseBanner
                notices={frame?.licenseNotices ?? []}
                licensesPath={frame?.licensesPath}
              />
            )}
            {props.children}
          </main>
        </div>
      </body>
    </html>
  );
}

/** The signed-in user, a link to their account, and sign-out (a POST form: it changes state). */
function UserMenu(props: { frame: PageFrame }): VNode {
  const { user, csrfToken } = props.frame;
  return (
    <div class="user-menu">
      <a class="user-name" href="/account" title="Your account and API tokens">{user?.name}</a>
      <span class="role-badge">{user?.role}</span>
      <form method="post" action="/logout" class="inline-form">
        <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
        <button type="submit" class="btn btn-small">Sign out</button>
      </form>
    </div>
  );
}

function BrandMark(): VNode {
  return (
    <svg class="brand-mark" viewBox="0 0 20 20" width="20" height="20" aria-hidden="true">
      <rect x="1" y="1" width="18" height="18" rx="4" />
      <path d="M5 7h10M10 7v8M6 11h2M12 11h2" />
    </svg>
  );
}

function SideNav(
  props: { sections: readonly NavSection[]; active?: string; locked: readonly string[] },
): VNode {
  return (
    <nav class="sidenav" aria-label="Modules">
      {props.sections.map((section) => {
        // A section of an unlicensed module stays visible, locked, and says what unlocks it.
        const locked = props.locked.includes(section.module);
        const unlock = `Needs a ${section.label} license (${section.module})`;
        return (
          <section
            class={locked ? "nav-section is-locked" : "nav-section"}
            key={section.module}
            data-module={section.module}
          >
            <h2 class="nav-section-title">
              {section.label}
              {locked && <LockIcon />}
            </h2>
            {locked && <p class="nav-locked-note">{unlock}</p>}
            <ul class="nav-list">
              {section.entries.map((entry) => (
                <li key={entry.id}>
                  <NavItem
                    entry={entry}
                    active={entry.id === props.active}
                    lockedBy={locked ? unlock : undefined}
                  />
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </nav>
  );
}

function LockIcon(): VNode {
  return (
    <svg class="nav-lock" viewBox="0 0 12 12" width="10" height="10" role="img" aria-label="locked">
      <rect x="2" y="5.5" width="8" height="5.5" rx="1" />
      <path d="M4 5.5V4a2 2 0 0 1 4 0v1.5" />
    </svg>
  );
}

function NavItem(props: { entry: NavEntry; active: boolean; lockedBy?: string }): VNode {
  const { entry, active } = props;
  if (entry.path !== undefined && props.lockedBy !== undefined) {
    return (
      <span class="nav-item is-locked" aria-disabled="true" title={props.lockedBy}>
        <span class="nav-label">{entry.label}</span>
        <span class="nav-badge">locked</span>
      </span>
    );
  }
  if (entry.path === undefined) {
    return (
      <span class="nav-item is-coming" aria-disabled="true" title="Coming soon">
        <span class="nav-label">{entry.label}</span>
        <span class="nav-badge">soon</span>
      </span>
    );
  }
  return (
    <a
      class={active ? "nav-item is-active" : "nav-item"}
      href={entry.path}
      aria-current={active ? "page" : undefined}
    >
      <span class="nav-label">{entry.label}</span>
    </a>
  );
}
