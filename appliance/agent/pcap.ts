/**
 * The agent's PCAP store (issue #7): opened at `<state dir>/pcap` with the policies of the
 * config document (`policies.pcap`) and the appliance's global quota (`pcapStorage`), offered
 * every packet the capture points (or `--replay`) read, reopened when the policies change, and
 * summarized to the manager as `pcap_index` records (a finished file's flows; evictions).
 */
import type { CapturedPacket } from "../capture/mod.ts";
import type { DecodedPacket } from "../decode/mod.ts";
import {
  parsePcapPolicy,
  type PcapPolicy,
  PcapStore,
  PcapStoreError,
  type PolicyProgress,
} from "../pcapstore/mod.ts";
import type { PcapIndexRecord } from "../wire/mod.ts";
import type { ConfigDocument } from "./config_sync.ts";

/** Files rotate every minute by default, so that flows reach the manager's index within one. */
export const AGENT_ROTATE_SECONDS = 60;
const DLT_EN10MB = 1;

export interface AgentPcapOptions {
  stateDir: string;
  log: (line: string) => void;
  rotateSeconds?: number;
}

/** What the store is opened with; a change reopens it. */
function settingsOf(doc: ConfigDocument | undefined) {
  return {
    pcap: doc?.policies.pcap ?? [],
    storage: doc?.pcapStorage ?? { quotaBytes: null, quotaPercent: null },
  };
}

export class AgentPcap {
  readonly dir: string;
  #store: PcapStore | undefined;
  #key = "";
  #pending: PcapIndexRecord[] = [];
  #said = new Set<string>();
  readonly #log: (line: string) => void;
  readonly #rotateSeconds: number;

  constructor(options: AgentPcapOptions) {
    this.dir = `${options.stateDir}/pcap`;
    this.#log = options.log;
    this.#rotateSeconds = options.rotateSeconds ?? AGENT_ROTATE_SECONDS;
  }

  get store(): PcapStore | undefined {
    return this.#store;
  }

  /**
   * Applies a config document: (re)opens the store when its policies or quota changed; the
   * policies that did not change go on from their counts (packet and byte limits, duration
   * window). Invalid policies are left out and said once (the manager checked them; an older
   * manager may not).
   */
  apply(doc: ConfigDocument | undefined): void {
    const settings = settingsOf(doc);
    const key = JSON.stringify(settings);
    if (key === this.#key && this.#store !== undefined) return;
    this.#key = key;
    const resume = this.#store?.progress() ?? [];
    this.close();
    let policies: PcapPolicy[] = [];
    settings.pcap.forEach((raw, i) => {
      const parsed = parsePcapPolicy(raw, `policies.pcap[${i}]`);
      if (parsed.ok) policies.push(parsed.policy);
      else this.#say(`PCAP policy left out: ${parsed.problems.join("; ")}`);
    });
    // A filter libpcap refuses leaves its policy out instead of failing every packet.
    for (;;) {
      const store = this.#open(policies, settings.storage, resume);
      try {
        store.checkFilters(DLT_EN10MB);
        this.#store = store;
        break;
      } catch (err) {
        store.close();
        if (!(err instanceof PcapStoreError)) throw err;
        const id = /^policy ([^:]+):/.exec(err.message)?.[1];
        this.#say(`PCAP ${err.message}; the policy is left out`);
        const left = policies.filter((p) => p.id !== id);
        if (left.length === policies.length) return;
        policies = left;
      }
    }
    const enabled = policies.filter((p) => p.enabled).length;
    this.#log(
      `PCAP store ${this.dir}: ${enabled} enabled ${enabled === 1 ? "policy" : "policies"}`,
    );
  }

  #open(
    policies: PcapPolicy[],
    storage: ReturnType<typeof settingsOf>["storage"],
    resume: readonly PolicyProgress[],
  ): PcapStore {
    return PcapStore.open(this.dir, {
      policies,
      resume,
      quotaBytes: storage.quotaBytes ?? undefined,
      quotaPercent: storage.quotaPercent ?? undefined,
      rotateSeconds: this.#rotateSeconds,
      log: (line) => this.#log(`PCAP store: ${line}`),
      onFileClosed: (file, flows) => {
        for (const f of flows) {
          this.#pending.push({
            policy: file.policy,
            fileId: file.id,
            protocol: f.protocol,
            ipA: f.ipA,
            portA: f.portA,
            ipB: f.ipB,
            portB: f.portB,
            startTime: f.firstUs,
            endTime: f.lastUs,
            packets: f.packets,
            bytes: f.bytes,
            evicted: 0,
          });
        }
      },
      onFileEvicted: (file) => {
        const now = Date.now() * 1000;
        this.#pending.push({
          policy: file.policy,
          fileId: file.id,
          protocol: 0,
          ipA: "0.0.0.0",
          portA: 0,
          ipB: "0.0.0.0",
          portB: 0,
          startTime: now,
          endTime: now,
          packets: 0,
          bytes: 0,
          evicted: 1,
        });
      },
    });
  }

  #say(line: string): void {
    if (this.#said.has(line)) return;
    this.#said.add(line);
    this.#log(line);
  }

  /** Offers one packet; a store failure (disk full, …) is logged once and never stops capture. */
  offer(packet: CapturedPacket, decoded: DecodedPacket | undefined, capturePoint: string): void {
    const store = this.#store;
    if (store === undefined) return;
    try {
      store.offer(packet, decoded, capturePoint);
    } catch (err) {
      this.#say(`PCAP store: cannot keep a packet: ${(err as Error).message}`);
    }
  }

  /** Closes files open for the rotation time (called by the agent's flush loop). */
  tick(nowMs = Date.now()): void {
    try {
      this.#store?.rotateIdle(nowMs * 1000);
    } catch (err) {
      this.#say(`PCAP store: cannot close a file: ${(err as Error).message}`);
    }
  }

  /** The index summary records made since the last call. */
  drain(): PcapIndexRecord[] {
    const out = this.#pending;
    this.#pending = [];
    return out;
  }

  /** Finalizes every open file (fsync, rename, index). */
  close(): void {
    const store = this.#store;
    this.#store = undefined;
    if (store === undefined) return;
    try {
      store.close();
    } catch (err) {
      this.#log(`PCAP store: cannot close: ${(err as Error).message}`);
    }
  }
}
