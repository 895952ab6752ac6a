import type { VNode } from "preact";
import { formatCount } from "../format.ts";

export interface PaginationProps {
  /** 1-based current page. */
  page: number;
  pageSize: number;
  /** Rows over all pages. */
  total: number;
  /** Rows on this page. */
  shown: number;
  /** The URL of a page, carrying the current filters. */
  hrefFor: (page: number) => string;
  /** CSS selector of the region htmx replaces with the linked page's fragment. */
  target: string;
}

/** The number of pages `total` rows fill, at least 1. */
export function pageCount(total: number, pageSize: number): number {
  const size = pageSize > 0 ? pageSize : 1;
  return Math.max(1, Math.ceil(Math.max(0, total) / size));
}

/**
 * "Showing 51–100 of 1,234" with Prev/Next. The links are plain hrefs (they work without
 * JavaScript and can be opened in a new tab); htmx fetches only the results fragment instead.
 */
export function Pagination(props: PaginationProps): VNode {
  const { page, pageSize, total, shown } = props;
  const pages = pageCount(total, pageSize);
  const first = (page - 1) * Math.max(pageSize, 0) + 1;
  const range = shown > 0
    ? `${formatCount(first)}–${formatCount(first + shown - 1)}`
    : formatCount(0);
  return (
    <nav class="pagination" aria-label="Pagination">
      <p class="pagination-summary">
        Showing <strong>{range}</strong> of <strong>{formatCount(total)}</strong>
      </p>
      <span class="pagination-pages">
        Page {formatCount(page)} of {formatCount(pages)}
      </span>
      <span class="pagination-links">
        <PageLink
          rel="prev"
          label="‹ Prev"
          to={page > 1 ? Math.min(page - 1, pages) : undefined}
          props={props}
        />
        <PageLink
          rel="next"
          label="Next ›"
          to={page < pages ? page + 1 : undefined}
          props={props}
        />
      </span>
    </nav>
  );
}

function PageLink(
  { rel, label, to, props }: {
    rel: "prev" | "next";
    label: string;
    to: number | undefined;
    props: PaginationProps;
  },
): VNode {
  if (to === undefined) {
    return (
      <span class={`btn btn-small page-${rel} is-disabled`} aria-disabled="true">{label}</span>
    );
  }
  const href = props.hrefFor(to);
  return (
    <a
      class={`btn btn-small page-${rel}`}
      href={href}
      rel={rel}
      hx-get={href}
      hx-target={props.target}
      hx-swap="outerHTML show:top"
      hx-push-url="true"
    >
      {label}
    </a>
  );
}
