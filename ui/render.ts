import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { type PageFrame, withFrame } from "./frame.tsx";

/**
 * A full HTML document: the doctype followed by the rendered page (normally a Layout). `frame`
 * tells the Layout who is signed in and the CSRF token its forms and htmx requests carry.
 */
export function renderPage(vnode: VNode, frame?: PageFrame): string {
  const tree = frame ? withFrame(vnode, frame) : vnode;
  return `<!doctype html>${renderToString(tree)}`;
}

/** Markup for an htmx swap: no doctype, no document around it. */
export function renderFragment(vnode: VNode, frame?: PageFrame): string {
  return renderToString(frame ? withFrame(vnode, frame) : vnode);
}
