import type { VNode } from "preact";

/** One node of a packet's decode tree (tshark PDML or the built-in decoder). */
export interface DecodeNode {
  label: string;
  start: number;
  length: number;
  children: DecodeNode[];
}

function range(n: DecodeNode) {
  return n.length > 0 ? { "data-start": String(n.start), "data-len": String(n.length) } : {};
}

function Node(props: { node: DecodeNode; depth: number }): VNode {
  const n = props.node;
  if (n.children.length === 0) {
    return <li class="pcap-field" tabindex={0} {...range(n)}>{n.label}</li>;
  }
  return (
    <li>
      {/* Protocols open, their sub-trees closed: Wireshark's first view of a packet. */}
      <details open={props.depth === 0}>
        <summary class="pcap-field" {...range(n)}>{n.label}</summary>
        <ul>
          {n.children.map((c, i) => <Node key={i} node={c} depth={props.depth + 1} />)}
        </ul>
      </details>
    </li>
  );
}

/** The collapsible tree; a click on a field highlights its bytes in the hex view (pcap.js). */
export function DecodeTree(props: { tree: DecodeNode[] }): VNode {
  return (
    <ul class="pcap-tree" aria-label="Decode tree">
      {props.tree.map((n, i) => <Node key={i} node={n} depth={0} />)}
    </ul>
  );
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

/** 16 bytes a line: offset, hex, ASCII; every byte a span with its offset for highlighting. */
export function HexView(props: { bytes: Uint8Array }): VNode {
  const lines: VNode[] = [];
  const b = props.bytes;
  for (let o = 0; o < b.length; o += 16) {
    const row = [...b.subarray(o, o + 16)];
    lines.push(
      <div class="hex-line" key={o}>
        <span class="hex-offset">{o.toString(16).padStart(4, "0")}</span>
        <span class="hex-bytes">
          {row.map((x, i) => <span key={i} data-o={o + i}>{hex2(x)}</span>)}
        </span>
        <span class="hex-ascii">
          {row.map((x, i) => (
            <span key={i} data-o={o + i}>{x >= 32 && x < 127 ? String.fromCharCode(x) : "."}</span>
          ))}
        </span>
      </div>,
    );
  }
  return <div class="hex-view mono" aria-label="Packet bytes">{lines}</div>;
}
