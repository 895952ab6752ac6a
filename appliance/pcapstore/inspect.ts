/** What is stored: files per policy, sizes, time ranges; for the `pcaps` console view. */
import { PcapIndex } from "./flow_index.ts";
import { INDEX_FILE } from "./store.ts";

export interface PcapStoreView {
  configured: boolean;
  dir: string;
  totalBytes: number;
  policies: {
    policy: string;
    files: number;
    bytes: number;
    packets: number;
    firstUs: number | null;
    lastUs: number | null;
  }[];
  files: {
    policy: string;
    path: string;
    bytes: number;
    packets: number;
    firstUs: number;
    lastUs: number;
    closed: boolean;
  }[];
}

/** Reads the store's index in `dir`; `configured` false when there is none. */
export function inspectPcapStore(dir: string): PcapStoreView {
  try {
    Deno.statSync(`${dir}/${INDEX_FILE}`);
  } catch {
    return { configured: false, dir, totalBytes: 0, policies: [], files: [] };
  }
  const index = new PcapIndex(`${dir}/${INDEX_FILE}`);
  try {
    const files = index.files();
    const policies = new Map<string, PcapStoreView["policies"][number]>();
    for (const f of files) {
      const p = policies.get(f.policy) ??
        { policy: f.policy, files: 0, bytes: 0, packets: 0, firstUs: null, lastUs: null };
      p.files++;
      p.bytes += f.bytes;
      p.packets += f.packets;
      p.firstUs = p.firstUs === null ? f.firstUs : Math.min(p.firstUs, f.firstUs);
      p.lastUs = p.lastUs === null ? f.lastUs : Math.max(p.lastUs, f.lastUs);
      policies.set(f.policy, p);
    }
    return {
      configured: true,
      dir,
      totalBytes: files.reduce((n, f) => n + f.bytes, 0),
      policies: [...policies.values()],
      files: files.map((f) => ({
        policy: f.policy,
        path: f.path,
        bytes: f.bytes,
        packets: f.packets,
        firstUs: f.firstUs,
        lastUs: f.lastUs,
        closed: f.closed,
      })),
    };
  } finally {
    index.close();
  }
}
