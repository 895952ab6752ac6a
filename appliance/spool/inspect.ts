/**
 * A read-only look at a spool folder for the console, safe while the agent writes to it: it
 * never repairs, removes or locks anything (the agent does that at open).
 */
import { readJsonFile } from "./_files.ts";

export interface StreamView {
  stream: string;
  batches: number;
  bytes: number;
  /** mtime of the oldest batch file, ms, or null. */
  oldestAt: number | null;
  nextSeq: number | null;
  droppedBatches: number;
  droppedRecords: number;
  lostBatches: number;
  rejectedBatches: number;
}

export interface SpoolView {
  dir: string;
  exists: boolean;
  streams: StreamView[];
  /** Files in `spool/rejected/` and `spool/corrupt/` (reason files not counted). */
  rejectedFiles: number;
  corruptFiles: number;
  sources: Record<string, { recordsSpooled: number }>;
}

function num(x: unknown): number {
  return typeof x === "number" && Number.isFinite(x) ? x : 0;
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile && e.name.endsWith(".cbor")) n++;
  } catch {
    // No such folder: nothing was set aside.
  }
  return n;
}

export async function inspectSpool(dir: string): Promise<SpoolView> {
  const view: SpoolView = {
    dir,
    exists: false,
    streams: [],
    rejectedFiles: 0,
    corruptFiles: 0,
    sources: {},
  };
  let state: Record<string, unknown> = {};
  try {
    const raw = await readJsonFile(`${dir}/state.json`);
    if (typeof raw === "object" && raw !== null) state = raw as Record<string, unknown>;
  } catch {
    // Being rewritten or damaged: the files still tell the depth.
  }
  const counters =
    (typeof state.streams === "object" && state.streams !== null ? state.streams : {}) as Record<
      string,
      Record<string, unknown>
    >;
  view.sources =
    (typeof state.sources === "object" && state.sources !== null ? state.sources : {}) as SpoolView[
      "sources"
    ];
  const names = new Set(Object.keys(counters));
  try {
    for await (const e of Deno.readDir(dir)) {
      view.exists = true;
      if (e.isDirectory && e.name !== "rejected" && e.name !== "corrupt") names.add(e.name);
    }
  } catch {
    return view;
  }
  for (const stream of [...names].sort()) {
    const files: { mtime: number; size: number }[] = [];
    try {
      for await (const e of Deno.readDir(`${dir}/${stream}`)) {
        if (!e.isFile || !/^\d{16}\.cbor$/.test(e.name)) continue;
        const info = await Deno.stat(`${dir}/${stream}/${e.name}`).catch(() => undefined);
        if (info) files.push({ mtime: info.mtime?.getTime() ?? 0, size: info.size });
      }
    } catch {
      // A stream with counters and no folder yet.
    }
    const c = counters[stream] ?? {};
    view.streams.push({
      stream,
      batches: files.length,
      bytes: files.reduce((n, f) => n + f.size, 0),
      oldestAt: files.length === 0 ? null : Math.min(...files.map((f) => f.mtime)),
      nextSeq: typeof c.nextSeq === "number" ? c.nextSeq : null,
      droppedBatches: num(c.droppedBatches),
      droppedRecords: num(c.droppedRecords),
      lostBatches: num(c.lostBatches),
      rejectedBatches: num(c.rejectedBatches),
    });
  }
  view.rejectedFiles = await countFiles(`${dir}/rejected`);
  view.corruptFiles = await countFiles(`${dir}/corrupt`);
  return view;
}
