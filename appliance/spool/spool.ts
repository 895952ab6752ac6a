/**
 * The on-disk spool: one file per batch in `spool/<stream>/<seq, 16 digits>.cbor`, written tmp +
 * fsync + rename, and `spool/state.json` with each stream's next seq, its loss counters and the
 * replay checkpoints. A batch file is the commit point: at open, a batch newer than state.json
 * (written just before a crash) moves the seq and its source's checkpoint forward, so a seq is
 * never used twice and a replayed record is spooled once, whatever instant the process died.
 */
import { Decoder } from "cbor-x";
import { readJsonFile, syncDir, TMP_SUFFIX, writeDurable, writeJsonDurable } from "./_files.ts";

/** 1 GiB per stream (DESIGN: the spool's default size). */
export const DEFAULT_SPOOL_MAX_BYTES = 1024 ** 3;
const FILE_PATTERN = /^(\d{16})\.cbor$/;
/**
 * `spool/<stream>/index`: a line `seq records size` appended per batch spooled, so that open
 * needs no batch decoded but those spooled after the last state.json (see {@link Spool.open}).
 */
const INDEX = "index";
/** Folders under `spool/` that are not streams. */
const ASIDE = new Set(["rejected", "corrupt"]);

/** Where a replay stands: the records of source `id` (path+size+mtime) spooled so far. */
export interface SourceCheckpoint {
  id: string;
  recordsSpooled: number;
}

/** One spooled batch. */
export interface SpoolEntry {
  stream: string;
  seq: number;
  /** File size in bytes. */
  size: number;
  records: number;
  /** When it was spooled, ms since the epoch (the file's mtime after a restart). */
  spooledAt: number;
}

export interface StreamCounters {
  nextSeq: number;
  /** Dropped as the oldest when the stream was over its size bound. */
  droppedBatches: number;
  droppedRecords: number;
  /** Answered 409 by the manager: never accepted, dropped. */
  lostBatches: number;
  lostRecords: number;
  /** Refused with another 4xx: moved to `spool/rejected/`. */
  rejectedBatches: number;
  rejectedRecords: number;
}

export interface StreamStats extends StreamCounters {
  batches: number;
  bytes: number;
  records: number;
  /** spooledAt of the oldest batch waiting, or null. */
  oldestAt: number | null;
}

/** What open found of an earlier crash. */
export interface Repairs {
  /** Half-written tmp files removed. */
  tmpRemoved: number;
  /** Unreadable batch files moved to `spool/corrupt/`. */
  corruptMoved: number;
  /** state.json was unreadable and was rebuilt from the batch files. */
  stateRebuilt: boolean;
}

/** How open learnt about the batches it found. */
export interface OpenStats {
  /** Batches known from the stream's index (and state.json): only stat'ed. */
  indexed: number;
  /** Batches read and decoded (no index line, spooled after state.json, or a size mismatch). */
  decoded: number;
}

export interface SpoolStats {
  streams: Record<string, StreamStats>;
  /** Cumulative over the spool's life (kept in state.json). */
  repairs: Repairs;
}

export interface SpoolOptions {
  /** Bound per stream in bytes (default {@link DEFAULT_SPOOL_MAX_BYTES}). */
  maxBytes?: number;
  /** Called after the oldest batches of a stream were dropped to make room. */
  onOverflow?: (event: { stream: string; batches: number; records: number }) => void;
  /** First seq of a stream never seen (default: the clock in ms, see {@link Spool.open}). */
  firstSeq?: () => number;
  /** false: no fsync (tests and benches only; a power cut may then lose batches). */
  durable?: boolean;
}

interface StateFile {
  streams: Record<string, StreamCounters>;
  sources: Record<string, { recordsSpooled: number }>;
  repairs: Repairs;
}

const decoder = new Decoder({ useRecords: true, mapsAsObjects: true });

function fileName(seq: number): string {
  return `${String(seq).padStart(16, "0")}.cbor`;
}

function newCounters(nextSeq: number): StreamCounters {
  return {
    nextSeq,
    droppedBatches: 0,
    droppedRecords: 0,
    lostBatches: 0,
    lostRecords: 0,
    rejectedBatches: 0,
    rejectedRecords: 0,
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function count(x: unknown): number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0 ? x : 0;
}

/** state.json as read, with anything malformed replaced by zeros (the batch files fix seqs). */
function parseState(x: unknown): StateFile {
  const state: StateFile = {
    streams: {},
    sources: {},
    repairs: { tmpRemoved: 0, corruptMoved: 0, stateRebuilt: false },
  };
  if (!isObject(x)) return state;
  if (isObject(x.streams)) {
    for (const [name, value] of Object.entries(x.streams)) {
      if (!isObject(value)) continue;
      const counters = newCounters(count(value.nextSeq));
      for (const key of Object.keys(counters) as (keyof StreamCounters)[]) {
        counters[key] = count(value[key]);
      }
      state.streams[name] = counters;
    }
  }
  if (isObject(x.sources)) {
    for (const [id, value] of Object.entries(x.sources)) {
      if (isObject(value)) state.sources[id] = { recordsSpooled: count(value.recordsSpooled) };
    }
  }
  if (isObject(x.repairs)) {
    state.repairs.tmpRemoved = count(x.repairs.tmpRemoved);
    state.repairs.corruptMoved = count(x.repairs.corruptMoved);
    state.repairs.stateRebuilt = x.repairs.stateRebuilt === true;
  }
  return state;
}

/** The envelope of a spooled batch file, or a reason it cannot be one. */
function readEnvelope(
  bytes: Uint8Array,
  seq: number,
): { records: number; source?: SourceCheckpoint } | string {
  if (bytes.length === 0) return "empty file";
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (err) {
    return `not CBOR (${(err as Error).message})`;
  }
  if (!isObject(value) || !Array.isArray(value.records)) return "not a batch";
  if (value.seq !== seq) return `seq ${String(value.seq)} does not match the file name`;
  const source = value.source;
  if (isObject(source) && typeof source.id === "string") {
    return {
      records: value.records.length,
      source: { id: source.id, recordsSpooled: count(source.recordsSpooled) },
    };
  }
  return { records: value.records.length };
}

/** seq → records and size, from a stream's index; empty when there is none (or it is junk). */
async function readIndex(path: string): Promise<Map<number, { records: number; size: number }>> {
  const index = new Map<number, { records: number; size: number }>();
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return index;
  }
  for (const line of text.split("\n")) {
    const m = /^(\d{1,16}) (\d{1,9}) (\d{1,12})$/.exec(line);
    if (m) index.set(Number(m[1]), { records: Number(m[2]), size: Number(m[3]) });
  }
  return index;
}

export class Spool {
  readonly dir: string;
  readonly maxBytes: number;
  #state: StateFile;
  #queues = new Map<string, SpoolEntry[]>();
  #inFlight = new Map<string, number>();
  #waiters = new Map<string, Set<() => void>>();
  #options: SpoolOptions;
  /** state.json writes, one at a time and in order. */
  #saving: Promise<void> = Promise.resolve();
  /** Lines in each stream's index file (compacted when far more than the batches waiting). */
  #indexLines = new Map<string, number>();
  /** What the last open read. */
  readonly opened: OpenStats = { indexed: 0, decoded: 0 };

  private constructor(dir: string, state: StateFile, options: SpoolOptions) {
    this.dir = dir;
    this.#state = state;
    this.#options = options;
    this.maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
  }

  /**
   * Opens (or creates) the spool in `dir`: removes half-written tmp files, moves unreadable
   * batch files to `corrupt/`, and takes each stream's next seq past its newest batch file. A
   * stream seen for the first time starts at the clock in ms, so a spool folder wiped by hand
   * cannot reuse the seqs the manager already stored (it would call them duplicates).
   */
  static async open(dir: string, options: SpoolOptions = {}): Promise<Spool> {
    await Deno.mkdir(dir, { recursive: true });
    let raw: unknown;
    let rebuilt = false;
    try {
      raw = await readJsonFile(`${dir}/state.json`);
    } catch {
      rebuilt = true;
    }
    const state = parseState(raw);
    if (rebuilt) state.repairs.stateRebuilt = true;
    const spool = new Spool(dir, state, options);
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(TMP_SUFFIX) && entry.isFile) {
        await Deno.remove(`${dir}/${entry.name}`);
        state.repairs.tmpRemoved++;
      } else if (entry.isDirectory && !ASIDE.has(entry.name)) {
        await spool.#scanStream(entry.name);
      }
    }
    await spool.#save();
    return spool;
  }

  /**
   * The queue of one stream from its files. A batch below the next seq state.json saved, with
   * an index line of its size, is known without reading it: its checkpoint is in state.json
   * already. Any other (the few spooled just before a crash, or all when state.json or the
   * index is gone) is decoded: that finds its records, its checkpoint and any damage.
   */
  async #scanStream(stream: string): Promise<void> {
    const dir = `${this.dir}/${stream}`;
    const queue: SpoolEntry[] = [];
    const saved = this.#state.streams[stream]?.nextSeq ?? 0;
    const counters = this.#counters(stream);
    const index = await readIndex(`${dir}/${INDEX}`);
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.name.endsWith(TMP_SUFFIX)) {
        await Deno.remove(path);
        this.#state.repairs.tmpRemoved++;
        continue;
      }
      const match = FILE_PATTERN.exec(entry.name);
      if (!match) continue;
      const seq = Number(match[1]);
      const info = await Deno.stat(path);
      const known = index.get(seq);
      if (seq < saved && known !== undefined && known.size === info.size) {
        const spooledAt = info.mtime?.getTime() ?? Date.now();
        queue.push({ stream, seq, size: info.size, records: known.records, spooledAt });
        this.opened.indexed++;
        continue;
      }
      this.opened.decoded++;
      const bytes = await Deno.readFile(path);
      const envelope = readEnvelope(bytes, seq);
      if (typeof envelope === "string") {
        await Deno.mkdir(`${this.dir}/corrupt`, { recursive: true });
        await Deno.rename(path, `${this.dir}/corrupt/${stream}-${entry.name}`);
        this.#state.repairs.corruptMoved++;
        // Its seq stays used: the manager may have stored the batch before the damage.
        if (seq >= counters.nextSeq) counters.nextSeq = seq + 1;
        continue;
      }
      if (seq >= counters.nextSeq) counters.nextSeq = seq + 1;
      if (envelope.source) this.#checkpoint(envelope.source);
      const spooledAt = info.mtime?.getTime() ?? Date.now();
      queue.push({ stream, seq, size: bytes.length, records: envelope.records, spooledAt });
    }
    queue.sort((a, b) => a.seq - b.seq);
    this.#queues.set(stream, queue);
    await this.#writeIndex(stream);
  }

  /** Rewrites a stream's index with the batches waiting (at open, and when it grew long). */
  async #writeIndex(stream: string): Promise<void> {
    const queue = this.#queue(stream);
    const text = queue.map((e) => `${e.seq} ${e.records} ${e.size}\n`).join("");
    const path = `${this.dir}/${stream}/${INDEX}`;
    await Deno.writeTextFile(`${path}${TMP_SUFFIX}`, text);
    await Deno.rename(`${path}${TMP_SUFFIX}`, path);
    this.#indexLines.set(stream, queue.length);
  }

  /** One index line per batch spooled; not synced: a line lost is a batch decoded at open. */
  async #indexed(entry: SpoolEntry): Promise<void> {
    const lines = (this.#indexLines.get(entry.stream) ?? 0) + 1;
    this.#indexLines.set(entry.stream, lines);
    if (lines > 2 * this.#queue(entry.stream).length + 1024) {
      await this.#writeIndex(entry.stream);
      return;
    }
    await Deno.writeTextFile(
      `${this.dir}/${entry.stream}/${INDEX}`,
      `${entry.seq} ${entry.records} ${entry.size}\n`,
      { append: true },
    );
  }

  #counters(stream: string): StreamCounters {
    let counters = this.#state.streams[stream];
    if (counters === undefined) {
      counters = newCounters(this.#options.firstSeq?.() ?? Date.now());
      this.#state.streams[stream] = counters;
    }
    return counters;
  }

  #queue(stream: string): SpoolEntry[] {
    let queue = this.#queues.get(stream);
    if (queue === undefined) {
      queue = [];
      this.#queues.set(stream, queue);
    }
    return queue;
  }

  #checkpoint(source: SourceCheckpoint): void {
    const known = this.#state.sources[source.id];
    if (known === undefined || known.recordsSpooled < source.recordsSpooled) {
      this.#state.sources[source.id] = { recordsSpooled: source.recordsSpooled };
    }
  }

  /** Saves state.json after the writes queued before it; a failed save is retried by the next. */
  #save(): Promise<void> {
    const run = () =>
      writeJsonDurable(`${this.dir}/state.json`, {
        streams: this.#state.streams,
        sources: this.#state.sources,
        repairs: this.#state.repairs,
      }, { sync: this.#options.durable });
    this.#saving = this.#saving.then(run, run);
    return this.#saving;
  }

  /**
   * Spools one batch of `stream`: `encode(seq)` must return the whole encoded batch with that
   * seq and, for a replay, `source` as its `source` field (the checkpoint after this batch).
   * Returns once the file and state.json are on disk. Drops the oldest batches (never the one
   * being sent) while the stream is over its bound.
   */
  async append(
    stream: string,
    meta: { records: number; source?: SourceCheckpoint },
    encode: (seq: number) => Uint8Array,
  ): Promise<SpoolEntry> {
    const counters = this.#counters(stream);
    const seq = counters.nextSeq++;
    const bytes = encode(seq);
    const dir = `${this.dir}/${stream}`;
    await Deno.mkdir(dir, { recursive: true });
    await writeDurable(`${dir}/${fileName(seq)}`, bytes, { sync: this.#options.durable });
    if (meta.source) this.#checkpoint(meta.source);
    const entry: SpoolEntry = {
      stream,
      seq,
      size: bytes.length,
      records: meta.records,
      spooledAt: Date.now(),
    };
    this.#queue(stream).push(entry);
    await this.#indexed(entry);
    await this.#trim(stream);
    await this.#save();
    for (const wake of this.#waiters.get(stream) ?? []) wake();
    return entry;
  }

  async #trim(stream: string): Promise<void> {
    const queue = this.#queue(stream);
    let bytes = queue.reduce((n, e) => n + e.size, 0);
    let batches = 0;
    let records = 0;
    const inFlight = this.#inFlight.get(stream);
    for (let i = 0; bytes > this.maxBytes && i < queue.length - 1;) {
      const victim = queue[i]!;
      if (victim.seq === inFlight) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      await Deno.remove(`${this.dir}/${stream}/${fileName(victim.seq)}`).catch(() => {});
      bytes -= victim.size;
      batches++;
      records += victim.records;
    }
    if (batches === 0) return;
    const counters = this.#counters(stream);
    counters.droppedBatches += batches;
    counters.droppedRecords += records;
    this.#options.onOverflow?.({ stream, batches, records });
  }

  /** Streams with a queue (batches spooled now or since open). */
  streams(): string[] {
    return [...new Set([...Object.keys(this.#state.streams), ...this.#queues.keys()])].sort();
  }

  /** The oldest batch of `stream` waiting to be sent. */
  oldest(stream: string): SpoolEntry | undefined {
    return this.#queues.get(stream)?.[0];
  }

  /** Resolves at the next append to `stream` (or when `signal` aborts). */
  changed(stream: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(stream);
      if (waiters === undefined) this.#waiters.set(stream, waiters = new Set());
      const set = waiters;
      const wake = () => {
        set.delete(wake);
        signal?.removeEventListener("abort", wake);
        resolve();
      };
      set.add(wake);
      signal?.addEventListener("abort", wake, { once: true });
    });
  }

  /** Marks the batch being sent, which overflow must not drop. */
  setInFlight(stream: string, seq: number | undefined): void {
    if (seq === undefined) this.#inFlight.delete(stream);
    else this.#inFlight.set(stream, seq);
  }

  /** The batch's bytes; undefined when it is gone (dropped by overflow meanwhile). */
  async read(entry: SpoolEntry): Promise<Uint8Array | undefined> {
    try {
      return await Deno.readFile(`${this.dir}/${entry.stream}/${fileName(entry.seq)}`);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
  }

  #unqueue(entry: SpoolEntry): boolean {
    const queue = this.#queue(entry.stream);
    const at = queue.findIndex((e) => e.seq === entry.seq);
    if (at < 0) return false;
    queue.splice(at, 1);
    return true;
  }

  /** The manager stored the batch (or had it already): its file goes. */
  async acked(entry: SpoolEntry): Promise<void> {
    this.#unqueue(entry);
    await Deno.remove(`${this.dir}/${entry.stream}/${fileName(entry.seq)}`).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }

  /** The manager will never accept the batch (409): dropped and counted. */
  async lost(entry: SpoolEntry): Promise<void> {
    if (!this.#unqueue(entry)) return;
    await Deno.remove(`${this.dir}/${entry.stream}/${fileName(entry.seq)}`).catch(() => {});
    const counters = this.#counters(entry.stream);
    counters.lostBatches++;
    counters.lostRecords += entry.records;
    await this.#save();
  }

  /** The manager refused the batch (4xx): kept in `spool/rejected/` with the reason, counted. */
  async rejected(entry: SpoolEntry, reason: string): Promise<void> {
    if (!this.#unqueue(entry)) return;
    const aside = `${this.dir}/rejected`;
    await Deno.mkdir(aside, { recursive: true });
    const name = `${entry.stream}-${fileName(entry.seq)}`;
    await Deno.rename(`${this.dir}/${entry.stream}/${fileName(entry.seq)}`, `${aside}/${name}`)
      .catch(() => {});
    await Deno.writeTextFile(`${aside}/${name}.reason.txt`, `${reason}\n`);
    await syncDir(aside);
    const counters = this.#counters(entry.stream);
    counters.rejectedBatches++;
    counters.rejectedRecords += entry.records;
    await this.#save();
  }

  /** Records of `sourceId` spooled so far (0 for a source never seen). */
  recordsSpooled(sourceId: string): number {
    return this.#state.sources[sourceId]?.recordsSpooled ?? 0;
  }

  stats(): SpoolStats {
    const streams: Record<string, StreamStats> = {};
    for (const stream of this.streams()) {
      const queue = this.#queues.get(stream) ?? [];
      streams[stream] = {
        ...this.#counters(stream),
        batches: queue.length,
        bytes: queue.reduce((n, e) => n + e.size, 0),
        records: queue.reduce((n, e) => n + e.records, 0),
        oldestAt: queue[0]?.spooledAt ?? null,
      };
    }
    return { streams, repairs: { ...this.#state.repairs } };
  }

  /** Waits for the state.json writes in progress. */
  async flush(): Promise<void> {
    await this.#saving.catch(() => {});
  }
}
