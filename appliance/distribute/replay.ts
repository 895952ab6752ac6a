/** Replays a capture file through distribution policies (the `distribute` console command). */
import { openCaptureFile } from "../capture/mod.ts";
import { filterOptionsFor } from "../policy/mod.ts";
import { Distributor, type DistributorOptions, type PointCounters } from "./distributor.ts";
import type { PolicyCounters } from "./distributor.ts";
import type { DistributionPolicy } from "./types.ts";

export interface DistributeSummary {
  packets: number;
  policies: PolicyCounters[];
  points: PointCounters[];
  /** Set when the file is damaged after the packets that were read. */
  captureError?: string;
}

/** Sends every packet of `path` through `policies`; returns the counters once flushed. */
export async function distributeFile(
  path: string,
  policies: DistributionPolicy[],
  options: Pick<DistributorOptions, "openSink"> = {},
): Promise<DistributeSummary> {
  const source = await openCaptureFile(path);
  const distributor = new Distributor(policies, {
    linkType: source.linkType,
    filter: filterOptionsFor(source),
    openSink: options.openSink,
  });
  let packets = 0;
  try {
    while (source.next()) {
      packets++;
      distributor.process(source.packet);
    }
    distributor.flush();
  } finally {
    distributor.close();
  }
  const summary: DistributeSummary = { packets, ...distributor.counters() };
  if (source.error) summary.captureError = source.error.message;
  return summary;
}

/** The counters as a text table for the console. */
export function formatDistributeSummary(s: DistributeSummary): string {
  const lines = [
    `${s.packets} packets read`,
    "",
    "policy            matched      sent     bytes  dropped",
  ];
  for (const p of s.policies) {
    const drops = Object.entries(p.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`);
    lines.push(
      `${(p.name || p.id).padEnd(16)} ${String(p.matched).padStart(8)} ${
        String(p.packets).padStart(9)
      } ${String(p.bytes).padStart(9)}  ${drops.join(" ") || "-"}`,
    );
  }
  lines.push("", "point                 sent     bytes  truncated  send errors");
  for (const p of s.points) {
    lines.push(
      `${(p.name || p.id).padEnd(16)} ${String(p.packets).padStart(9)} ${
        String(p.bytes).padStart(9)
      } ${String(p.truncated).padStart(10)} ${String(p.dropped.sendError).padStart(12)}${
        p.lastError ? `  (${p.lastError})` : ""
      }`,
    );
  }
  return lines.join("\n");
}
