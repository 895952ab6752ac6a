/**
 * pcapng bytes for PCAP analysis tests, written by the appliance's own store writer (the format
 * appliances send): from frames, or from any capture file the appliance can read.
 */
import { openCaptureFile } from "../../appliance/capture/mod.ts";
import { PcapngFileWriter } from "../../appliance/pcapstore/mod.ts";

export interface TestFrame {
  timeUs: number;
  frame: Uint8Array;
  linkType?: number;
}

/** One pcapng file (one interface per link type) holding `frames` in order. */
export async function pcapngOf(frames: TestFrame[]): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "tapline-pcapng-" });
  try {
    const writer = PcapngFileWriter.create(`${dir}/f.pcapng`, "test");
    for (const f of frames) {
      const id = writer.interfaceId("test0", f.linkType ?? 1, 262144);
      writer.writePacket(id, f.timeUs, 0, f.frame, 0, f.frame.length, f.frame.length);
    }
    writer.close();
    return await Deno.readFile(`${dir}/f.pcapng`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A capture file (pcap or pcapng) rewritten as the appliance's pcapng. */
export async function pcapngOfFile(path: string): Promise<Uint8Array> {
  const source = await openCaptureFile(path);
  const frames: TestFrame[] = [];
  while (source.next()) {
    const p = source.packet;
    frames.push({ timeUs: p.timestampUs, frame: p.data.slice(), linkType: p.linkType });
  }
  return await pcapngOf(frames);
}
