import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { attr, openTags, textOf } from "../_test_helpers.ts";
import { pageCount, Pagination } from "./pagination.tsx";

function render(page: number, total: number, shown: number): string {
  return renderToString(
    <Pagination
      page={page}
      pageSize={50}
      total={total}
      shown={shown}
      hrefFor={(p) => `/flows?ip=10.0.0.1&page=${p}`}
      target="#flow-results"
    />,
  );
}

function link(html: string, rel: "prev" | "next"): string {
  return openTags(html, "(?:a|span)").find((t) => attr(t, "class")?.includes(`page-${rel}`))!;
}

Deno.test("Pagination() summarises the range shown", () => {
  assert.match(textOf(render(1, 1234, 50)), /^Showing 1–50 of 1,234 Page 1 of 25/);
  assert.match(textOf(render(25, 1234, 34)), /^Showing 1,201–1,234 of 1,234 Page 25 of 25/);
});

Deno.test("Pagination() disables Prev on the first page", () => {
  const html = render(1, 1234, 50);
  const prev = link(html, "prev");
  assert.match(prev, /^<span/);
  assert.equal(attr(prev, "aria-disabled"), "true");
  assert.equal(attr(prev, "href"), undefined);
  const next = link(html, "next");
  assert.equal(attr(next, "href"), "/flows?ip=10.0.0.1&page=2");
  assert.equal(attr(next, "hx-get"), "/flows?ip=10.0.0.1&page=2");
  assert.equal(attr(next, "hx-target"), "#flow-results");
  assert.equal(attr(next, "hx-push-url"), "true");
});

Deno.test("Pagination() disables Next on the last page", () => {
  const html = render(25, 1234, 34);
  assert.equal(attr(link(html, "next"), "aria-disabled"), "true");
  assert.equal(attr(link(html, "next"), "href"), undefined);
  assert.equal(attr(link(html, "prev"), "href"), "/flows?ip=10.0.0.1&page=24");
});

Deno.test("Pagination() sends Prev past the end back to the last page", () => {
  const html = render(40, 1234, 0);
  assert.equal(attr(link(html, "prev"), "href"), "/flows?ip=10.0.0.1&page=25");
  assert.equal(attr(link(html, "next"), "aria-disabled"), "true");
});

Deno.test("pageCount() is at least one and tolerates a zero page size", () => {
  assert.equal(pageCount(0, 50), 1);
  assert.equal(pageCount(50, 50), 1);
  assert.equal(pageCount(51, 50), 2);
  assert.equal(pageCount(3, 0), 3);
});
