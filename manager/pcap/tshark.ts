// Wireshark's dissectors on the manager: `tshark -T pdml` over the fetched packets gives the
// decode tree (every field's label, byte offset and size), `tshark -T fields` the packet list
// exactly as `tshark -r` prints it. tshark reads a temporary file that is removed afterwards.
import type { TreeNode } from "./dissect.ts";

export interface PacketRow {
  number: number;
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
}

export class TsharkError extends Error {
  override name = "TsharkError";
}

const available = new Map<string, boolean>();

/** Whether `path` runs (`tshark -v`); asked once per path. */
export async function tsharkAvailable(path: string): Promise<boolean> {
  let ok = available.get(path);
  if (ok === undefined) {
    try {
      ok = (await new Deno.Command(path, { args: ["-v"], stdout: "null", stderr: "null" }).output())
        .success;
    } catch {
      ok = false;
    }
    available.set(path, ok);
  }
  return ok;
}

async function run(path: string, bytes: Uint8Array, args: string[]): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "tapline-pcap-", suffix: ".pcapng" });
  try {
    await Deno.writeFile(file, bytes);
    const out = await new Deno.Command(path, {
      args: ["-r", file, ...args],
      stdout: "piped",
      stderr: "piped",
      env: { LC_ALL: "C.UTF-8" },
    }).output();
    if (!out.success) {
      throw new TsharkError(`tshark failed: ${new TextDecoder().decode(out.stderr).slice(0, 300)}`);
    }
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** The columns of `tshark -r`'s packet list; `-T tabs` separates them (and adds a `→`). */
const COLUMNS =
  'gui.column.format:"No.","%m","Source","%s","Destination","%d","Protocol","%p","Length","%L","Info","%i"';

/** The packet list as `tshark -r` shows it (number, source, destination, protocol, length, info). */
export async function tsharkPacketList(path: string, bytes: Uint8Array): Promise<PacketRow[]> {
  const text = await run(path, bytes, ["-T", "tabs", "-o", COLUMNS]);
  return text.split("\n").filter((l) => l.trim() !== "").map((line) => {
    const cells = line.split("\t").map((c) => c.trim());
    if (cells[2] === "→" || cells[2] === "←") cells.splice(2, 1);
    const [n, source, destination, protocol, length, ...info] = cells;
    return {
      number: Number(n),
      source: source ?? "",
      destination: destination ?? "",
      protocol: protocol ?? "",
      length: Number(length),
      info: info.join(" "),
    };
  });
}

/** The decode tree of frame `number` (PDML of that frame, dissected in the context of the file). */
export async function tsharkTree(
  path: string,
  bytes: Uint8Array,
  number: number,
): Promise<TreeNode[]> {
  if (!Number.isInteger(number) || number < 1) throw new TsharkError("frame number must be ≥ 1");
  return parsePdml(await run(path, bytes, ["-T", "pdml", "-Y", `frame.number == ${number}`]));
}

const ENTITIES: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">", apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });
}

/**
 * PDML (first packet) → tree: each `<proto>` and `<field>` is a node labelled with its
 * `showname` (else `show`, else `name`) covering bytes `pos`..`pos+size`. Hidden fields and the
 * `geninfo` pseudo-protocol are left out, as Wireshark's tree does.
 */
export function parsePdml(xml: string): TreeNode[] {
  const roots: TreeNode[] = [];
  const stack: (TreeNode | null)[] = [];
  const tag = /<(\/?)(packet|proto|field)\b((?:\s+[\w.:-]+="[^"]*")*)\s*(\/?)>/g;
  let inPacket = false;
  let done = false;
  for (const m of xml.matchAll(tag)) {
    const [, closing, name, attrText, selfClosing] = m;
    if (name === "packet") {
      if (closing) {
        if (inPacket) done = true;
        inPacket = false;
      } else if (!done) inPacket = true;
      continue;
    }
    if (!inPacket) continue;
    if (closing) {
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w.:-]+)="([^"]*)"/g)) attrs[a[1]!] = unescapeXml(a[2]!);
    const parent = stack.length > 0 ? stack[stack.length - 1] : undefined;
    const hidden = attrs.hide === "yes" || attrs.name === "geninfo" || parent === null;
    const node: TreeNode | null = hidden ? null : {
      label: attrs.showname || attrs.show || attrs.name || "?",
      start: Number(attrs.pos ?? 0) || 0,
      length: Number(attrs.size ?? 0) || 0,
      children: [],
    };
    if (node) (parent ? parent.children : roots).push(node);
    if (!selfClosing) stack.push(node);
  }
  return roots;
}
