/**
 * The PCAP store: runs every enabled policy over each packet, appends the kept ones to the
 * policy's current pcapng file (rotated by size and time), indexes them per flow when a file is
 * closed, and keeps the disk within the global and per-policy quotas by evicting the oldest files.
 */
import type { CapturedPacket } from "../capture/mod.ts";
import type { DecodedPacket } from "../decode/mod.ts";
import { FilterError, PacketFilter, type PacketFilterOptions } from "../policy/mod.ts";
import { type FileRow, type FlowRow, PcapIndex } from "./flow_index.ts";
import { FileFlows } from "./flows.ts";
import { type PcapPolicy, policyExpression, policySnapLength } from "./policy.ts";
import { reindexFile } from "./recover.ts";
import { EPB_HEADER, PcapngFileWriter, recoverPart } from "./writer.ts";

/** Offsets are indexed as u32: a file never grows past this. */
const MAX_FILE_BYTES = 4_000_000_000;
export const DEFAULT_ROTATE_BYTES = 256 * 1024 * 1024;
export const DEFAULT_ROTATE_SECONDS = 3600;
/** Smallest file a quota leaves room for (a quota divides into at least 4 files). */
const MIN_ROTATE_BYTES = 64 * 1024;
export const INDEX_FILE = "index.sqlite";

export interface PcapStoreOptions {
  policies: readonly PcapPolicy[];
  /** Global quota in bytes; and/or as a percentage of the file system's size. */
  quotaBytes?: number;
  quotaPercent?: number;
  rotateBytes?: number;
  rotateSeconds?: number;
  /** How filters are compiled (e.g. the byte order of the capture file being replayed). */
  filterOptions?: PacketFilterOptions;
  log?: (line: string) => void;
  /** Told each finished file and its flows (after they are indexed): the index summary. */
  onFileClosed?: (file: FileRow, flows: readonly Omit<FlowRow, "fileId">[]) => void;
  /** Told each file the quotas evicted. */
  onFileEvicted?: (file: FileRow) => void;
  /**
   * What the policies used of their limits in a store open before (its `progress()`): a policy
   * here unchanged goes on from its counts (packets, bytes, duration window) instead of from 0.
   */
  resume?: readonly PolicyProgress[];
}

/** A policy's use of its limits so far, to carry into a store reopened with the same policy. */
export interface PolicyProgress {
  policy: PcapPolicy;
  counters: PolicyCounters;
  /** When its first packet was kept (µs), -1 before. */
  startedUs: number;
}

/** Per-policy counters; cumulative since the store was opened (or resumed: `resume`). */
export interface PolicyCounters {
  policy: string;
  kept: number;
  keptBytes: number;
  filtered: number;
  otherCapturePoint: number;
  outsideWindow: number;
  overLimit: number;
  filesWritten: number;
  filesEvicted: number;
}

/** A policy whose filter does not compile (named by id; the store skips it). */
export class PcapStoreError extends Error {
  override name = "PcapStoreError";
}

class PolicyState {
  readonly counters: PolicyCounters;
  readonly expression: string;
  readonly snapLength: number;
  filter: PacketFilter | undefined;
  writer: PcapngFileWriter | undefined;
  fileId = 0;
  firstUs = 0;
  lastUs = 0;
  /** When the first packet was kept (for `durationSeconds`). */
  startedUs = -1;
  readonly flows = new FileFlows();
  rotateBytes: number;

  constructor(readonly policy: PcapPolicy, rotateBytes: number) {
    this.expression = policyExpression(policy);
    this.snapLength = policySnapLength(policy);
    this.rotateBytes = policy.quotaBytes === null
      ? rotateBytes
      : Math.max(MIN_ROTATE_BYTES, Math.min(rotateBytes, Math.floor(policy.quotaBytes / 4)));
    this.counters = {
      policy: policy.id,
      kept: 0,
      keptBytes: 0,
      filtered: 0,
      otherCapturePoint: 0,
      outsideWindow: 0,
      overLimit: 0,
      filesWritten: 0,
      filesEvicted: 0,
    };
  }
}

function statfsTotal(dir: string): number | undefined {
  try {
    // deno-lint-ignore no-explicit-any
    const fs = (globalThis as any).process?.getBuiltinModule?.("node:fs");
    const s = fs?.statfsSync?.(dir);
    return s === undefined ? undefined : Number(s.blocks) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

export class PcapStore {
  readonly dir: string;
  readonly index: PcapIndex;
  readonly #states: PolicyState[];
  readonly #rotateUs: number;
  readonly #quota: number | undefined;
  readonly #log: (line: string) => void;
  readonly #filterOptions: PacketFilterOptions;
  readonly #onClosed: PcapStoreOptions["onFileClosed"];
  readonly #onEvicted: PcapStoreOptions["onFileEvicted"];

  private constructor(dir: string, options: PcapStoreOptions) {
    this.dir = dir;
    this.#log = options.log ?? (() => {});
    this.#filterOptions = options.filterOptions ?? {};
    this.#onClosed = options.onFileClosed;
    this.#onEvicted = options.onFileEvicted;
    this.index = new PcapIndex(`${dir}/${INDEX_FILE}`);
    const rotate = Math.min(MAX_FILE_BYTES, options.rotateBytes ?? DEFAULT_ROTATE_BYTES);
    this.#rotateUs = (options.rotateSeconds ?? DEFAULT_ROTATE_SECONDS) * 1e6;
    const quotas: number[] = [];
    if (options.quotaBytes !== undefined) quotas.push(options.quotaBytes);
    if (options.quotaPercent !== undefined) {
      const total = statfsTotal(dir);
      if (total !== undefined) quotas.push(Math.floor(total * options.quotaPercent / 100));
    }
    this.#quota = quotas.length === 0 ? undefined : Math.min(...quotas);
    const enabled = options.policies.filter((p) => p.enabled);
    const share = this.#quota === undefined
      ? rotate
      : Math.max(MIN_ROTATE_BYTES, Math.floor(this.#quota / (4 * Math.max(1, enabled.length))));
    this.#states = enabled.map((p) => new PolicyState(p, Math.min(rotate, share)));
    for (const s of this.#states) {
      const same = JSON.stringify(s.policy);
      const before = options.resume?.find((r) =>
        r.policy.id === s.policy.id && JSON.stringify(r.policy) === same
      );
      if (before === undefined) continue;
      Object.assign(s.counters, before.counters, { policy: s.policy.id });
      s.startedUs = before.startedUs;
    }
  }

  /** Each enabled policy's use of its limits, for `resume` when the store is reopened. */
  progress(): PolicyProgress[] {
    return this.#states.map((s) => ({
      policy: s.policy,
      counters: { ...s.counters },
      startedUs: s.startedUs,
    }));
  }

  /**
   * Opens (creating) the store in `dir`: recovers the `.part` files a killed writer left, drops
   * index rows of files that are gone, and applies the quotas.
   */
  static open(dir: string, options: PcapStoreOptions): PcapStore {
    Deno.mkdirSync(dir, { recursive: true });
    const store = new PcapStore(dir, options);
    store.#recover();
    store.#enforceQuotas();
    return store;
  }

  #recover(): void {
    for (const entry of Deno.readDirSync(this.dir)) {
      if (!entry.isDirectory) continue;
      for (const file of Deno.readDirSync(`${this.dir}/${entry.name}`)) {
        if (!file.isFile || !file.name.endsWith(".pcapng.part")) continue;
        const part = `${entry.name}/${file.name}`;
        const result = recoverPart(`${this.dir}/${part}`);
        const relative = part.replace(/\.part$/, "");
        const row = this.index.fileByPath(relative);
        if (result.path === null) {
          if (row !== undefined) this.index.removeFile(row.id);
          this.#log(`removed ${part}: no complete packet blocks`);
          continue;
        }
        const id = row?.id ?? this.index.openFile(entry.name, relative, 0);
        reindexFile(this.index, id, this.dir, relative);
        this.#log(
          `recovered ${part} (${result.blocks} blocks kept, ${result.trimmedBytes} bytes trimmed)`,
        );
      }
    }
    for (const row of this.index.files()) {
      try {
        Deno.statSync(`${this.dir}/${row.path}`);
      } catch {
        this.index.removeFile(row.id);
      }
    }
  }

  /** Counters of every enabled policy. */
  counters(): PolicyCounters[] {
    return this.#states.map((s) => ({ ...s.counters }));
  }

  /**
   * Offers one packet to every policy; returns how many kept it. `decoded` (when the packet
   * decoded) places it in a flow of the index; `capturePoint` is the interface it came from.
   */
  offer(packet: CapturedPacket, decoded: DecodedPacket | undefined, capturePoint: string): number {
    let kept = 0;
    for (let i = 0; i < this.#states.length; i++) {
      if (this.#offerTo(this.#states[i]!, packet, decoded, capturePoint)) kept++;
    }
    return kept;
  }

  #offerTo(
    s: PolicyState,
    packet: CapturedPacket,
    decoded: DecodedPacket | undefined,
    capturePoint: string,
  ): boolean {
    const p = s.policy;
    const c = s.counters;
    if (p.capturePoints.length > 0 && !p.capturePoints.includes(capturePoint)) {
      c.otherCapturePoint++;
      return false;
    }
    const ms = packet.timestampUs / 1000;
    if ((p.start !== null && ms < p.start) || (p.stop !== null && ms >= p.stop)) {
      c.outsideWindow++;
      return false;
    }
    if (
      p.durationSeconds !== null && s.startedUs >= 0 &&
      packet.timestampUs - s.startedUs >= p.durationSeconds * 1e6
    ) {
      c.outsideWindow++;
      return false;
    }
    if (s.expression !== "") {
      if (s.filter === undefined) s.filter = this.#compile(s, packet.linkType);
      if (!s.filter.matches(packet)) {
        c.filtered++;
        return false;
      }
    }
    const captured = Math.min(packet.capturedLength, s.snapLength);
    if (
      (p.maxPackets !== null && c.kept >= p.maxPackets) ||
      (p.maxBytes !== null && c.keptBytes + captured > p.maxBytes)
    ) {
      c.overLimit++;
      return false;
    }
    const block = EPB_HEADER + ((captured + 3) & ~3) + 4;
    if (
      s.writer !== undefined &&
      (s.writer.size + block > s.rotateBytes || packet.timestampUs - s.firstUs >= this.#rotateUs)
    ) {
      this.#closeFile(s, true);
    }
    if (s.writer === undefined) this.#openFile(s, packet.timestampUs);
    const w = s.writer!;
    const ifId = w.interfaceId(capturePoint, packet.linkType, s.snapLength);
    const offset = w.writePacket(
      ifId,
      packet.timestampUs,
      packet.extraNs,
      packet.buffer,
      packet.dataOffset,
      captured,
      packet.originalLength,
    );
    if (decoded !== undefined) {
      s.flows.add(decoded, offset, packet.timestampUs, packet.originalLength);
    }
    if (s.startedUs < 0) s.startedUs = packet.timestampUs;
    if (packet.timestampUs > s.lastUs) s.lastUs = packet.timestampUs;
    c.kept++;
    c.keptBytes += captured;
    return true;
  }

  #compile(s: PolicyState, linkType: number): PacketFilter {
    try {
      return new PacketFilter(s.expression, linkType, {
        ...this.#filterOptions,
        snapLength: s.snapLength,
      });
    } catch (err) {
      if (err instanceof FilterError) {
        throw new PcapStoreError(`policy ${s.policy.id}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }

  /** Checks every policy's filter now (the store compiles them lazily otherwise). */
  checkFilters(linkType: number): void {
    for (const s of this.#states) {
      if (s.expression !== "" && s.filter === undefined) s.filter = this.#compile(s, linkType);
    }
  }

  #openFile(s: PolicyState, firstUs: number): void {
    const folder = `${this.dir}/${s.policy.id}`;
    Deno.mkdirSync(folder, { recursive: true });
    const placeholder = `${s.policy.id}/pending-${crypto.randomUUID()}`;
    s.fileId = this.index.openFile(s.policy.id, placeholder, firstUs);
    const relative = `${s.policy.id}/${String(s.fileId).padStart(8, "0")}-${firstUs}.pcapng`;
    s.writer = PcapngFileWriter.create(
      `${this.dir}/${relative}`,
      `Tapline PCAP policy ${JSON.stringify(s.policy)}`,
    );
    this.index.setPath(s.fileId, relative);
    s.firstUs = firstUs;
    s.lastUs = firstUs;
  }

  #closeFile(s: PolicyState, more: boolean): void {
    const w = s.writer!;
    w.close();
    const relative = w.path.slice(this.dir.length + 1);
    const file = {
      id: s.fileId,
      path: relative,
      firstUs: s.firstUs,
      lastUs: s.lastUs,
      packets: w.packets,
      bytes: w.size,
    };
    const flows = [...s.flows.rows()];
    this.index.closeFile(file, w.interfaces.map((it, index) => ({ index, ...it })), flows);
    this.#onClosed?.({ ...file, policy: s.policy.id, closed: true }, flows);
    s.flows.clear();
    s.writer = undefined;
    s.counters.filesWritten++;
    this.#enforceQuotas(more ? s : undefined);
  }

  /**
   * Evicts the oldest closed files until every policy's files, and all files, fit their quotas
   * with room for the file `next` is about to start (so the quota holds while it is written).
   */
  #enforceQuotas(next?: PolicyState): void {
    const files = this.index.files().filter((f) => f.closed);
    const evict = (id: number) => {
      const i = files.findIndex((f) => f.id === id);
      const [file] = files.splice(i, 1);
      try {
        Deno.removeSync(`${this.dir}/${file!.path}`);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      this.index.removeFile(file!.id);
      const state = this.#states.find((s) => s.policy.id === file!.policy);
      if (state !== undefined) state.counters.filesEvicted++;
      this.#log(`evicted ${file!.path} (${file!.bytes} bytes)`);
      this.#onEvicted?.(file!);
    };
    for (const s of this.#states) {
      const quota = s.policy.quotaBytes;
      if (quota === null) continue;
      const room = s === next ? s.rotateBytes : 0;
      const own = () => files.filter((f) => f.policy === s.policy.id);
      let used = own().reduce((n, f) => n + f.bytes, 0);
      while (used + room > quota && own().length > 0) {
        const oldest = own()[0]!;
        used -= oldest.bytes;
        evict(oldest.id);
      }
    }
    if (this.#quota === undefined) return;
    const room = this.#states.reduce(
      (n, s) => n + (s.writer !== undefined || s === next ? s.rotateBytes : 0),
      0,
    );
    let used = files.reduce((n, f) => n + f.bytes, 0);
    while (used + room > this.#quota && files.length > 0) {
      used -= files[0]!.bytes;
      evict(files[0]!.id);
    }
  }

  /**
   * Closes the files that have been open for the rotation time by `nowUs` even when no packet
   * came since (so a quiet policy's packets reach the index); returns how many were closed.
   */
  rotateIdle(nowUs: number): number {
    let closed = 0;
    for (const s of this.#states) {
      if (s.writer !== undefined && nowUs - s.firstUs >= this.#rotateUs) {
        this.#closeFile(s, false);
        closed++;
      }
    }
    return closed;
  }

  /** Closes every open file (fsync, rename, index) and the index. */
  close(): void {
    for (const s of this.#states) if (s.writer !== undefined) this.#closeFile(s, false);
    this.index.close();
  }
}
