/**
 * The agent's side of the on-demand PCAP channel (wire/pcap_tasks.ts): long-poll the manager for
 * a task, run it against `<stateDir>/pcap` and POST the answer. The manager sends a query only;
 * every path here is made from the state folder and the task's UUID.
 */
import { encode as encodeCbor } from "cbor-x";
import { CapturedPacket } from "../capture/mod.ts";
import { extractPackets, INDEX_FILE, PcapIndex } from "../pcapstore/mod.ts";
import { FilterError, PacketFilter } from "../policy/mod.ts";
import {
  checkPcapTask,
  DEFAULT_EXTRACT_PACKETS,
  type PcapFlowSummary,
  PCAPNG_CONTENT_TYPE,
  type PcapTask,
  TASK_ID,
  TASKS_PATH,
} from "../wire/mod.ts";

export interface TaskAnswer {
  contentType: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

const encoder = new TextEncoder();
/** Most stored packets one extract reads (the filter and the limit apply after reading). */
export const MAX_SCAN_PACKETS = 500_000;

function failure(message: string): TaskAnswer {
  return {
    contentType: "application/json",
    body: encoder.encode(JSON.stringify({ error: message })),
    headers: {},
  };
}

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;

/**
 * Keeps the first `limit` packets of a pcapng file (as the store's writer makes it: one
 * little-endian section) that pass `filter`; section and interface blocks are kept as they are.
 */
export function filterPcapng(
  bytes: Uint8Array,
  options: { filter?: string; limit: number },
): { body: Uint8Array; packets: number; truncated: boolean } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: Uint8Array[] = [];
  const linkTypes: number[] = [];
  const filters = new Map<number, PacketFilter>();
  const packet = new CapturedPacket();
  let packets = 0;
  let truncated = false;
  for (let at = 0; at + 12 <= bytes.length;) {
    const type = v.getUint32(at, true);
    const length = v.getUint32(at + 4, true);
    if (length < 12 || at + length > bytes.length) break;
    const block = bytes.subarray(at, at + length);
    at += length;
    if (type === SHB) kept.push(block), linkTypes.length = 0;
    else if (type === IDB) kept.push(block), linkTypes.push(v.getUint16(at - length + 8, true));
    else if (type === EPB) {
      const o = at - length;
      if (packets >= options.limit) {
        truncated = true;
        break;
      }
      if (options.filter !== undefined) {
        const linkType = linkTypes[v.getUint32(o + 8, true)] ?? 1;
        let f = filters.get(linkType);
        if (f === undefined) filters.set(linkType, f = new PacketFilter(options.filter, linkType));
        packet.buffer = bytes;
        packet.dataOffset = o + 28;
        packet.capturedLength = v.getUint32(o + 20, true);
        packet.originalLength = v.getUint32(o + 24, true);
        packet.linkType = linkType;
        if (!f.matches(packet)) continue;
      }
      kept.push(block);
      packets++;
    }
  }
  const body = new Uint8Array(kept.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of kept) body.set(b, o), o += b.length;
  return { body, packets, truncated };
}

/** Runs one (already checked) task against the store in `<stateDir>/pcap`. */
export async function runPcapTask(stateDir: string, task: PcapTask): Promise<TaskAnswer> {
  const dir = `${stateDir}/pcap`;
  try {
    await Deno.stat(`${dir}/${INDEX_FILE}`);
  } catch {
    return failure("this appliance has no stored packets (no PCAP store)");
  }
  const { filter, limit, ...query } = task.query;
  if (task.kind === "search") {
    const index = new PcapIndex(`${dir}/${INDEX_FILE}`);
    try {
      const policies = new Map(index.files().map((f) => [f.id, f.policy]));
      const flows: PcapFlowSummary[] = index.flows(query).map((r) => ({
        protocol: r.protocol,
        ipA: r.ipA,
        portA: r.portA,
        ipB: r.ipB,
        portB: r.portB,
        firstUs: r.firstUs,
        lastUs: r.lastUs,
        packets: r.packets,
        bytes: r.bytes,
        policy: policies.get(r.fileId) ?? "",
      }));
      return { contentType: "application/cbor", body: encodeCbor({ flows }), headers: {} };
    } finally {
      index.close();
    }
  }
  // Extraction reads every matching packet into memory before the filter and the limit apply:
  // refuse a query that matches too many, before reading any.
  const index = new PcapIndex(`${dir}/${INDEX_FILE}`);
  let matching = 0;
  try {
    for (const r of index.flows(query)) matching += r.packets;
  } finally {
    index.close();
  }
  if (matching > MAX_SCAN_PACKETS) {
    return failure(
      `${matching} stored packets match; narrow the search (time range, 5-tuple, policy) to at most ${MAX_SCAN_PACKETS} before the filter`,
    );
  }
  // The id is a UUID (checked), so this name stays inside the state folder.
  const out = `${stateDir}/extract-${task.id}.pcapng`;
  try {
    extractPackets(dir, query, out);
    const r = filterPcapng(await Deno.readFile(out), {
      filter,
      limit: limit ?? DEFAULT_EXTRACT_PACKETS,
    });
    return {
      contentType: PCAPNG_CONTENT_TYPE,
      body: r.body,
      headers: {
        "x-tapline-packets": String(r.packets),
        "x-tapline-truncated": String(r.truncated),
      },
    };
  } catch (err) {
    if (err instanceof FilterError) return failure(`filter: ${err.message}`);
    throw err;
  } finally {
    await Deno.remove(out).catch(() => {});
    await Deno.remove(`${out}.part`).catch(() => {});
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", done);
      resolve();
    }, ms);
    const done = () => (clearTimeout(timer), resolve());
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Long-polls for tasks until `signal` aborts; one task at a time. */
export async function pcapTaskLoop(options: {
  manager: string;
  credential: string;
  stateDir: string;
  signal: AbortSignal;
  log: (line: string) => void;
}): Promise<void> {
  const { manager, signal, log } = options;
  const auth = { authorization: `Bearer ${options.credential}` };
  let said = "";
  const say = (line: string) => line !== said && (said = line, log(line));
  while (!signal.aborted) {
    let task: unknown;
    try {
      const res = await fetch(`${manager}${TASKS_PATH}?wait=25`, {
        headers: { ...auth, accept: "application/json" },
        signal: AbortSignal.any([signal, AbortSignal.timeout(40_000)]),
      });
      if (res.status === 204) {
        await res.body?.cancel();
        continue;
      }
      if (!res.ok) {
        say(`PCAP tasks: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
        await sleep(res.status === 404 ? 30_000 : 5_000, signal);
        continue;
      }
      task = await res.json();
      said = "";
    } catch (err) {
      if (!signal.aborted) say(`PCAP tasks: ${(err as Error).message}`);
      await sleep(2_000, signal);
      continue;
    }
    const problems = checkPcapTask(task);
    const id = (task as { id?: unknown })?.id;
    if (typeof id !== "string" || !TASK_ID.test(id)) {
      log(`PCAP task without a valid id ignored: ${problems.join("; ")}`);
      continue;
    }
    let answer: TaskAnswer;
    try {
      answer = problems.length > 0
        ? failure(`rejected task: ${problems.join("; ")}`)
        : await runPcapTask(options.stateDir, task as PcapTask);
    } catch (err) {
      answer = failure(`task failed on the appliance: ${(err as Error).message}`);
    }
    try {
      const res = await fetch(`${manager}${TASKS_PATH}/${id}/result`, {
        method: "POST",
        headers: { ...auth, ...answer.headers, "content-type": answer.contentType },
        body: answer.body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]),
      });
      if (!res.ok) log(`PCAP task ${id}: result refused, HTTP ${res.status} ${await res.text()}`);
      else await res.body?.cancel();
    } catch (err) {
      if (!signal.aborted) {
        log(`PCAP task ${id}: cannot send the result: ${(err as Error).message}`);
      }
    }
  }
}
