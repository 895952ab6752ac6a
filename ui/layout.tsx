import type { ComponentChildren, VNode } from "preact";
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
  children?: ComponentChildren;
}

/** The page frame every admin page shares: top bar, module navigation, main area. */
export function Layout(props: LayoutProps): VNode {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${props.title} · Tapline`}</title>
        {/* An empty icon: browsers stop asking for /favicon.ico on every page. */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={`${STATIC_PREFIX}tapline.css`} />
        <script src={`${STATIC_PREFIX}htmx.min.js`} defer />
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="topbar">
          <span class="brand">
            <BrandMark />
            <span class="brand-name">Tapline</span>
          </span>
          <span class="topbar-context">Network observability</span>
        </header>
        <div class="shell">
          <SideNav sections={props.nav ?? NAV} active={props.active} />
          <main id="main" class="main">{props.children}</main>
        </div>
      </body>
    </html>
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

function SideNav(props: { sections: readonly NavSection[]; active?: string }): VNode {
  return (
    <nav class="sidenav" aria-label="Modules">
      {props.sections.map((section) => (
        <section class="nav-section" key={section.module} data-module={section.module}>
          <h2 class="nav-section-title">{section.label}</h2>
          <ul class="nav-list">
            {section.entries.map((entry) => (
              <li key={entry.id}>
                <NavItem entry={entry} active={entry.id === props.active} />
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}

function NavItem(props: { entry: NavEntry; active: boolean }): VNode {
  const { entry, active } = props;
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
