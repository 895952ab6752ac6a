/**
 * Reads stored packets back: the index gives the flows and their block offsets, each block is read
 * from its file at that offset, and the packets are written, in time order, to one new pcapng
 * file (one interface per stored interface that contributes).
 */
import { type PacketQuery, PcapIndex } from "./flow_index.ts";
import { INDEX_FILE } from "./store.ts";
import { PcapngFileWriter } from "./writer.ts";

const EPB = 0x00000006;

export interface ExtractResult {
  packets: number;
  flows: number;
  files: number;
  bytes: number;
}

interface Found {
  timeNs: bigint;
  ifKey: string;
  linkType: number;
  snapLength: number;
  name: string;
  block: Uint8Array;
}

/**
 * Writes the packets matching `query` from the store in `dir` to `outPath` (a pcapng file,
 * written as `.part` and renamed when complete). Packets outside `sinceUs`/`untilUs` are left out
 * even when their flow overlaps the range.
 */
export function extractPackets(dir: string, query: PacketQuery, outPath: string): ExtractResult {
  const index = new PcapIndex(`${dir}/${INDEX_FILE}`);
  const found: Found[] = [];
  let flowCount = 0;
  const fileIds = new Set<number>();
  try {
    const rows = index.flows(query);
    flowCount = rows.length;
    const byFile = new Map<number, Uint32Array[]>();
    for (const row of rows) {
      const list = byFile.get(row.fileId) ?? [];
      list.push(row.offsets);
      byFile.set(row.fileId, list);
    }
    const files = new Map(index.files().map((f) => [f.id, f]));
    const since = query.sinceUs === undefined ? undefined : BigInt(query.sinceUs) * 1000n;
    const until = query.untilUs === undefined ? undefined : BigInt(query.untilUs) * 1000n + 999n;
    for (const [fileId, lists] of byFile) {
      const file = files.get(fileId);
      if (file === undefined) continue;
      fileIds.add(fileId);
      const interfaces = index.interfaces(fileId);
      const handle = Deno.openSync(`${dir}/${file.path}`, { read: true });
      try {
        const header = new Uint8Array(28);
        const hv = new DataView(header.buffer);
        for (const offsets of lists) {
          for (const offset of offsets) {
            handle.seekSync(offset, Deno.SeekMode.Start);
            if (readFully(handle, header) < 28 || hv.getUint32(0, true) !== EPB) continue;
            const length = hv.getUint32(4, true);
            const block = new Uint8Array(length);
            handle.seekSync(offset, Deno.SeekMode.Start);
            if (readFully(handle, block) < length) continue;
            const ns = (BigInt(hv.getUint32(12, true)) << 32n) | BigInt(hv.getUint32(16, true));
            if ((since !== undefined && ns < since) || (until !== undefined && ns > until)) {
              continue;
            }
            const it = interfaces[hv.getUint32(8, true)];
            if (it === undefined) continue;
            found.push({
              timeNs: ns,
              ifKey: `${it.name}\u0000${it.linkType}\u0000${it.snapLength}`,
              linkType: it.linkType,
              snapLength: it.snapLength,
              name: it.name,
              block,
            });
          }
        }
      } finally {
        handle.close();
      }
    }
  } finally {
    index.close();
  }
  found.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  const writer = PcapngFileWriter.create(outPath, `Tapline extract ${JSON.stringify(query)}`);
  const ids = new Map<string, number>();
  let bytes = 0;
  for (const f of found) {
    let id = ids.get(f.ifKey);
    if (id === undefined) {
      id = writer.interfaceId(f.name, f.linkType, f.snapLength);
      ids.set(f.ifKey, id);
    }
    const v = new DataView(f.block.buffer);
    const captured = v.getUint32(20, true);
    const us = f.timeNs / 1000n;
    writer.writePacket(
      id,
      Number(us),
      Number(f.timeNs - us * 1000n),
      f.block,
      28,
      captured,
      v.getUint32(24, true),
    );
    bytes += captured;
  }
  writer.close();
  return { packets: found.length, flows: flowCount, files: fileIds.size, bytes };
}

function readFully(file: Deno.FsFile, into: Uint8Array): number {
  let done = 0;
  while (done < into.length) {
    const n = file.readSync(into.subarray(done));
    if (n === null || n === 0) break;
    done += n;
  }
  return done;
}
