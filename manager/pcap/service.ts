// The analysis service: asks an appliance for packets through the channel, keeps the answer a
// short while (the page, its decode panel, the diagram and the download of one query share one
// fetch), and decodes with tshark when it is installed, else with the built-in decoder.
import { decode as decodeCbor } from "cbor-x";
import {
  type PcapFlowSummary,
  PCAPNG_CONTENT_TYPE,
  type PcapTaskQuery,
} from "../../appliance/wire/mod.ts";
import type { Decoded } from "./analysis.ts";
import { PcapChannel, PcapChannelError, type TaskResult } from "./channel.ts";
import { dissect, type TreeNode } from "./dissect.ts";
import { type PcapPacket, readPcapngPackets } from "./pcapng.ts";
import { type PacketRow, tsharkAvailable, tsharkPacketList, tsharkTree } from "./tshark.ts";

export interface Capture {
  applianceId: string;
  query: PcapTaskQuery;
  bytes: Uint8Array;
  packets: PcapPacket[];
  decoded: Decoded[];
  truncated: boolean;
  fetchedAt: number;
  rows?: PacketRow[];
}

export interface DecodeResult {
  tree: TreeNode[];
  decoder: "tshark" | "built-in";
  bytes: Uint8Array;
}

export interface PcapServiceOptions {
  channel?: PcapChannel;
  /** The tshark to run; a path that does not run means the built-in decoder. */
  tsharkPath?: string;
  cacheMs?: number;
  cacheEntries?: number;
}

function errorOf(result: TaskResult): string | undefined {
  if (!result.contentType.startsWith("application/json")) return undefined;
  try {
    return String(JSON.parse(new TextDecoder().decode(result.body)).error ?? "unknown error");
  } catch {
    return "the appliance's answer is not valid JSON";
  }
}

export class PcapService {
  readonly channel: PcapChannel;
  readonly tsharkPath: string;
  readonly #cacheMs: number;
  readonly #entries: number;
  readonly #cache = new Map<string, Promise<Capture>>();

  constructor(options: PcapServiceOptions = {}) {
    this.channel = options.channel ?? new PcapChannel();
    this.tsharkPath = options.tsharkPath ?? "tshark";
    this.#cacheMs = options.cacheMs ?? 120_000;
    this.#entries = options.cacheEntries ?? 8;
  }

  tshark(): Promise<boolean> {
    return tsharkAvailable(this.tsharkPath);
  }

  /** The index rows of the query (no packets read). */
  async search(applianceId: string, query: PcapTaskQuery): Promise<PcapFlowSummary[]> {
    const result = await this.channel.request(applianceId, "search", query);
    const error = errorOf(result);
    if (error !== undefined) throw new PcapChannelError("failed", error);
    const body = decodeCbor(result.body) as { flows?: PcapFlowSummary[] };
    return Array.isArray(body?.flows) ? body.flows : [];
  }

  /** The packets of the query, fetched from the appliance (or the cache of a recent fetch). */
  capture(applianceId: string, query: PcapTaskQuery): Promise<Capture> {
    const key = `${applianceId} ${JSON.stringify(query)}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const made = this.#fetch(applianceId, query);
    this.#cache.set(key, made);
    made.then(
      () =>
        setTimeout(() => this.#cache.get(key) === made && this.#cache.delete(key), this.#cacheMs),
      () => this.#cache.delete(key),
    );
    while (this.#cache.size > this.#entries) this.#cache.delete(this.#cache.keys().next().value!);
    return made;
  }

  async #fetch(applianceId: string, query: PcapTaskQuery): Promise<Capture> {
    const result = await this.channel.request(applianceId, "extract", query);
    const error = errorOf(result);
    if (error !== undefined) throw new PcapChannelError("failed", error);
    if (!result.contentType.startsWith(PCAPNG_CONTENT_TYPE)) {
      throw new PcapChannelError(
        "failed",
        `the appliance answered ${result.contentType}, not pcapng`,
      );
    }
    const packets = readPcapngPackets(result.body);
    return {
      applianceId,
      query,
      bytes: result.body,
      packets,
      decoded: packets.map((packet) => ({ packet, d: dissect(packet.data, packet.linkType) })),
      truncated: result.headers["x-tapline-truncated"] === "true",
      fetchedAt: Date.now(),
    };
  }

  /** The packet list: tshark's columns when it is installed, else the built-in decoder's. */
  async packetRows(
    capture: Capture,
  ): Promise<{ rows: PacketRow[]; decoder: "tshark" | "built-in" }> {
    if (await this.tshark()) {
      capture.rows ??= await tsharkPacketList(this.tsharkPath, capture.bytes);
      return { rows: capture.rows, decoder: "tshark" };
    }
    return {
      decoder: "built-in",
      rows: capture.decoded.map(({ packet, d }) => ({
        number: packet.number,
        source: d.src,
        destination: d.dst,
        protocol: d.protocol,
        length: packet.originalLength,
        info: d.info,
      })),
    };
  }

  /** The decode tree of frame `number`; undefined when the capture has no such frame. */
  async decode(capture: Capture, number: number): Promise<DecodeResult | undefined> {
    const item = capture.decoded[number - 1];
    if (!item) return undefined;
    if (await this.tshark()) {
      const tree = await tsharkTree(this.tsharkPath, capture.bytes, number);
      return { tree, decoder: "tshark", bytes: item.packet.data };
    }
    return { tree: item.d.tree, decoder: "built-in", bytes: item.packet.data };
  }
}
