// The files the page frame links under /static/. The manager serves them with readStatic();
// ui/ only knows where they live: our stylesheet beside this file, htmx inside its npm package.

/** A static file's bytes and its Content-Type. */
export interface StaticFile {
  body: Uint8Array;
  type: string;
}

/** Raised when a known static file cannot be read (a broken install, not a bad request). */
export class StaticAssetError extends Error {
  override name = "StaticAssetError";
}

const SOURCES: Readonly<Record<string, { url: () => string; type: string }>> = {
  "tapline.css": {
    url: () => new URL("./static/tapline.css", import.meta.url).href,
    type: "text/css; charset=utf-8",
  },
  "pcap.js": {
    url: () => new URL("./static/pcap.js", import.meta.url).href,
    type: "text/javascript; charset=utf-8",
  },
  "htmx.min.js": {
    url: () => import.meta.resolve("htmx.org/dist/htmx.min.js"),
    type: "text/javascript; charset=utf-8",
  },
};

/** The names readStatic() serves, for a route to list or pre-check. */
export const STATIC_FILES: readonly string[] = Object.keys(SOURCES);

/**
 * Reads one of the static files by its name under /static/ (`"tapline.css"`, `"htmx.min.js"`).
 * Resolves to undefined for any other name, so a route can answer 404; only these names are
 * looked up, so a request path cannot reach other files.
 */
export async function readStatic(name: string): Promise<StaticFile | undefined> {
  const source = Object.hasOwn(SOURCES, name) ? SOURCES[name] : undefined;
  if (source === undefined) return undefined;
  const href = source.url();
  if (!href.startsWith("file:")) {
    throw new StaticAssetError(
      `Cannot read static file ${name}: it resolves to ${href}, not a local file ` +
        `(run with "nodeModulesDir": "auto" so npm packages are on disk)`,
    );
  }
  try {
    return { body: await Deno.readFile(new URL(href)), type: source.type };
  } catch (cause) {
    throw new StaticAssetError(`Cannot read static file ${name} from ${href}`, { cause });
  }
}
