/**
 * Pieces of the flow key: the innermost addresses and ports, protocol, VLAN, tunnel and capture
 * point, hashed so that both directions of a flow meet in one slot. `FlowTable.add()` reads the
 * key into locals and probes the index itself: this is the hottest code of the appliance.
 */
import { type DecodedPacket, TunnelType } from "../decode/mod.ts";

/** The big-endian 32-bit word at `b[at]`, unsigned. */
export function readWord(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** murmur3's finalizer: spreads every input bit over the 32-bit result. */
export function mix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The tunnel id a flow is keyed on. VXLAN/Geneve VNIs, GRE keys and ERSPAN sessions name one
 * tunnel for both directions; GTP-U TEIDs (3GPP TS 29.281 §5.1) and PPTP call ids (enhanced GRE,
 * version 1, RFC 2637 §4.1) are chosen by each receiver, so they differ per direction and are left
 * out (the record reports the id of the flow's first packet).
 */
export function tunnelKey(p: DecodedPacket): number {
  if (p.tunnelType === TunnelType.GtpU) return 0;
  if (p.tunnelType === TunnelType.Gre && (p.greFlags & 0x7) === 1) return 0;
  return p.tunnelId >>> 0;
}
