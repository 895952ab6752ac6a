import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";

/** A full HTML document: the doctype followed by the rendered page (normally a Layout). */
export function renderPage(vnode: VNode): string {
  return `<!doctype html>${renderToString(vnode)}`;
}

/** Markup for an htmx swap: no doctype, no document around it. */
export function renderFragment(vnode: VNode): string {
  return renderToString(vnode);
}
