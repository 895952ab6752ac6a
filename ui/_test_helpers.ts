// Small HTML helpers for ui/ tests. The markup under test is our own renderer's output, so a few
// regular expressions are enough; no DOM implementation is needed.

// The rest of an opening tag after its name: attributes whose quoted values may contain ">".
const ATTRS = `(?:\\s+[^\\s=>/]+(?:="[^"]*")?)*\\s*/?>`;

/** How many times `needle` occurs in `html`. */
export function countOf(html: string, needle: string | RegExp): number {
  if (typeof needle === "string") return html.split(needle).length - 1;
  const flags = needle.flags.includes("g") ? needle.flags : needle.flags + "g";
  return [...html.matchAll(new RegExp(needle.source, flags))].length;
}

/** Every opening tag `<name …>` in `html`, as text. */
export function openTags(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`<${name}${ATTRS}`, "g"))].map((m) => m[0]);
}

/** The inner HTML of every `<name>` element that does not nest in another one. */
export function contents(html: string, name: string): string[] {
  const element = new RegExp(`<${name}${ATTRS}([\\s\\S]*?)</${name}>`, "g");
  return [...html.matchAll(element)].map((m) => m[1]!);
}

/** The value of attribute `name` in one opening tag, decoded; undefined when absent. */
export function attr(tag: string, name: string): string | undefined {
  const match = tag.match(new RegExp(`\\s${name}(?:="([^"]*)")?(?=[\\s>/])`));
  if (match === null) return undefined;
  return decodeEntities(match[1] ?? "");
}

/** The outer HTML of the element with `id`, including everything nested in it. */
export function elementById(html: string, id: string): string | undefined {
  const withId = `(?=(?:\\s+[^\\s=>/]+(?:="[^"]*")?)*\\s+id="${id}")`;
  const open = new RegExp(`<([a-zA-Z][\\w-]*)${withId}${ATTRS}`).exec(html);
  if (open === null) return undefined;
  const name = open[1]!;
  const tags = new RegExp(`<(/?)${name}${ATTRS}`, "g");
  tags.lastIndex = open.index + open[0].length;
  if (open[0].endsWith("/>")) return open[0];
  let depth = 1;
  for (let m = tags.exec(html); m !== null; m = tags.exec(html)) {
    if (m[1] === "/") depth--;
    else if (!m[0].endsWith("/>")) depth++;
    if (depth === 0) return html.slice(open.index, m.index + m[0].length);
  }
  return undefined;
}

/**
 * The visible text of some markup: tags removed (block boundaries become spaces, `<wbr>` nothing),
 * entities decoded, whitespace collapsed.
 */
export function textOf(html: string): string {
  const stripped = html.replace(/<wbr\s*\/?>/g, "").replace(
    new RegExp(`</?[a-zA-Z][\\w-]*${ATTRS}`, "g"),
    " ",
  );
  return decodeEntities(stripped).replace(/\s+/g, " ").trim();
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}
