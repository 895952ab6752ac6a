/** Durable file writes for the spool: tmp + fsync + rename, then fsync of the folder. */

/** Suffix of a file being written; one left at open is the trace of a crash. */
export const TMP_SUFFIX = ".tmp";

/** fsync of a folder, so a rename in it survives a power cut (a no-op where unsupported). */
export async function syncDir(dir: string): Promise<void> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder: the rename is still atomic.
  } finally {
    handle?.close();
  }
}

/** Writes in progress by path: the next write to the same file waits (they share a tmp file). */
const writing = new Map<string, Promise<void>>();

/**
 * Writes `bytes` to `path` so that a reader sees either the old file or the whole new one, even
 * after kill -9 or a power cut: a tmp file beside it, fsync, rename, fsync of the folder. Writes
 * to one path from this process happen one after the other, in call order (two at once would
 * share the tmp file, and the second rename would find it gone).
 */
export function writeDurable(
  path: string,
  bytes: Uint8Array,
  options: { mode?: number; sync?: boolean } = {},
): Promise<void> {
  const write = (writing.get(path) ?? Promise.resolve()).then(() => writeNow(path, bytes, options));
  const settled: Promise<void> = write.then(
    () => {},
    () => {},
  ).then(() => {
    if (writing.get(path) === settled) writing.delete(path);
  });
  writing.set(path, settled);
  return write;
}

async function writeNow(
  path: string,
  bytes: Uint8Array,
  options: { mode?: number; sync?: boolean },
): Promise<void> {
  const sync = options.sync !== false;
  const tmp = `${path}${TMP_SUFFIX}`;
  const file = await Deno.open(tmp, {
    write: true,
    create: true,
    truncate: true,
    mode: options.mode,
  });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    // `mode` applies only when the file is created: a leftover tmp keeps its old mode otherwise.
    if (sync) await file.sync();
  } finally {
    file.close();
  }
  if (options.mode !== undefined) await Deno.chmod(tmp, options.mode);
  await Deno.rename(tmp, path);
  if (sync) await syncDir(path.slice(0, path.lastIndexOf("/")) || ".");
}

/** JSON through {@link writeDurable}. */
export function writeJsonDurable(
  path: string,
  value: unknown,
  options: { mode?: number; sync?: boolean } = {},
): Promise<void> {
  return writeDurable(
    path,
    new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`),
    options,
  );
}

/** Parsed JSON of a file; undefined when it does not exist. Throws on unreadable JSON. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  return JSON.parse(text);
}
