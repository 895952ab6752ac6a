/** Replays a capture file through PCAP policies into a store (`appliance pcap-store`). */
import { openCaptureFile } from "../capture/mod.ts";
import { Decoder, DecodeStatus } from "../decode/mod.ts";
import { filterOptionsFor } from "../policy/mod.ts";
import { PcapStore, type PcapStoreOptions, type PolicyCounters } from "./store.ts";

export interface StoreFileResult {
  packets: number;
  counters: PolicyCounters[];
  /** The capture was damaged after `packets` packets (they were stored). */
  captureError?: string;
}

/**
 * Offers every packet of `file` to the store in `dir` as if captured on `capturePoint` (default
 * the file name); closes the store so every file is complete, indexed and within quota.
 */
export async function storeFile(
  file: string,
  dir: string,
  options: PcapStoreOptions & { capturePoint?: string },
): Promise<StoreFileResult> {
  const source = await openCaptureFile(file);
  const store = PcapStore.open(dir, { filterOptions: filterOptionsFor(source), ...options });
  const point = options.capturePoint ?? file.replace(/^.*\//, "");
  const decoder = new Decoder();
  let packets = 0;
  try {
    store.checkFilters(source.linkType);
    while (source.next()) {
      packets++;
      const ok = decoder.decode(source.packet) === DecodeStatus.Ok;
      store.offer(source.packet, ok ? decoder.out : undefined, point);
    }
  } finally {
    store.close();
  }
  return {
    packets,
    counters: store.counters(),
    ...(source.error ? { captureError: source.error.message } : {}),
  };
}
