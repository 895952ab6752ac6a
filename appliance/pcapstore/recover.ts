/**
 * Rebuilds the index rows of a stored file from the file itself: after a killed writer's `.part`
 * was trimmed and renamed, its flows were never indexed.
 */
import { readPcapng } from "../capture/mod.ts";
import { Decoder, DecodeStatus } from "../decode/mod.ts";
import type { InterfaceRow, PcapIndex } from "./flow_index.ts";
import { FileFlows } from "./flows.ts";
import { EPB_HEADER } from "./writer.ts";

const IDB = 0x00000001;
const IF_NAME = 2;

/** The Interface Description Blocks of a little-endian single-section pcapng file, in order. */
export function readInterfaces(bytes: Uint8Array): InterfaceRow[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: InterfaceRow[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    const type = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    if (length < 12 || at + length > bytes.length) break;
    if (type === IDB && length >= 20) {
      let name = "";
      let o = at + 16;
      while (o + 4 <= at + length - 4) {
        const code = view.getUint16(o, true);
        const size = view.getUint16(o + 2, true);
        if (code === 0) break;
        if (code === IF_NAME) {
          name = new TextDecoder().decode(bytes.subarray(o + 4, o + 4 + size));
        }
        o += 4 + ((size + 3) & ~3);
      }
      found.push({
        index: found.length,
        name,
        linkType: view.getUint16(at + 8, true),
        snapLength: view.getUint32(at + 12, true),
      });
    }
    at += length;
  }
  return found;
}

/** Reads the stored file `relative` (under `dir`) and records its flows under file `id`. */
export function reindexFile(index: PcapIndex, id: number, dir: string, relative: string): void {
  const bytes = Deno.readFileSync(`${dir}/${relative}`);
  const source = readPcapng(bytes);
  const decoder = new Decoder();
  const flows = new FileFlows();
  let first = Number.MAX_SAFE_INTEGER;
  let last = 0;
  let packets = 0;
  while (source.next()) {
    const p = source.packet;
    packets++;
    if (p.timestampUs < first) first = p.timestampUs;
    if (p.timestampUs > last) last = p.timestampUs;
    if (decoder.decode(p) === DecodeStatus.Ok) {
      flows.add(decoder.out, p.dataOffset - EPB_HEADER, p.timestampUs, p.originalLength);
    }
  }
  index.closeFile(
    {
      id,
      path: relative,
      firstUs: packets === 0 ? 0 : first,
      lastUs: last,
      packets,
      bytes: bytes.length,
    },
    readInterfaces(bytes),
    flows.rows(),
  );
}
