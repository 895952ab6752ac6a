/**
 * Tunnel headers written in front of an inner Ethernet frame. The outer IP header is the kernel's
 * (a UDP socket for VXLAN, a raw IPPROTO_GRE socket for GRE and ERSPAN), so what is built here is
 * the datagram payload: VXLAN header, or GRE header (+ ERSPAN header) then the frame.
 */
import type { DistributionPoint } from "./types.ts";

export const VXLAN_HEADER = 8;
export const GRE_HEADER = 4;
/** GRE with the sequence number present (S bit), as ERSPAN requires. */
export const GRE_SEQ_HEADER = 8;
export const ERSPAN2_HEADER = 8;
export const ERSPAN3_HEADER = 12;
const UDP_HEADER = 8;
const ETHERTYPE_TEB = 0x6558;
const ETHERTYPE_ERSPAN_2 = 0x88be;
const ETHERTYPE_ERSPAN_3 = 0x22eb;

/** Bytes in front of the inner frame in the datagram payload (what this file writes). */
export function tunnelHeaderLength(point: DistributionPoint): number {
  switch (point.tunnel) {
    case "vxlan":
      return VXLAN_HEADER;
    case "gre":
      return GRE_HEADER;
    case "erspan2":
      return GRE_SEQ_HEADER + ERSPAN2_HEADER;
    case "erspan3":
      return GRE_SEQ_HEADER + ERSPAN3_HEADER;
  }
}

/** Outer bytes the kernel adds (IP, and UDP for VXLAN) plus {@link tunnelHeaderLength}. */
export function overhead(point: DistributionPoint, ipVersion: 4 | 6): number {
  const ip = ipVersion === 4 ? 20 : 40;
  return ip + (point.tunnel === "vxlan" ? UDP_HEADER : 0) + tunnelHeaderLength(point);
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Per-point state the headers need. */
export class TunnelState {
  /** ERSPAN's GRE sequence number (RFC 2890 §2.2), per point. */
  sequence = 0;
}

/**
 * Writes the tunnel header for `point` at `out[0]` and returns its length; the caller puts the
 * inner frame right after it. `timeUs` feeds the ERSPAN III timestamp, `frameVlan` the ERSPAN
 * VLAN field (0 when the inner frame is untagged).
 */
export function writeTunnelHeader(
  point: DistributionPoint,
  state: TunnelState,
  out: Uint8Array,
  options: { timeUs: number; frameVlan: number },
): number {
  switch (point.tunnel) {
    case "vxlan":
      // RFC 7348 §5: flags 0x08 (I: the VNI is valid), 24 reserved bits, VNI, 8 reserved bits.
      put32(out, 0, 0x0800_0000);
      put32(out, 4, (point.vni << 8) >>> 0);
      return VXLAN_HEADER;
    case "gre":
      // RFC 2784: no flags, version 0; RFC 1701's 0x6558 carries a whole Ethernet frame.
      put32(out, 0, ETHERTYPE_TEB);
      return GRE_HEADER;
    case "erspan2": {
      put32(out, 0, (0x1000 << 16) | ETHERTYPE_ERSPAN_2);
      put32(out, 4, state.sequence);
      state.sequence = (state.sequence + 1) >>> 0;
      // ERSPAN II (draft-foschiano-erspan §4.1): Ver=1, VLAN, COS=0, En, T=0, session id;
      // then 12 reserved bits and a 20-bit index (0).
      const en = options.frameVlan !== 0 ? 3 : 0;
      put32(out, 8, (1 << 28) | (options.frameVlan << 16) | (en << 11) | point.sessionId);
      put32(out, 12, 0);
      return GRE_SEQ_HEADER + ERSPAN2_HEADER;
    }
    case "erspan3": {
      put32(out, 0, (0x1000 << 16) | ETHERTYPE_ERSPAN_3);
      put32(out, 4, state.sequence);
      state.sequence = (state.sequence + 1) >>> 0;
      // ERSPAN III (§4.2): Ver=2, VLAN, COS, BSO, T, session id; a timestamp in units of the
      // granularity (Gra=0: 100 µs); then SGT, P, FT=0 (Ethernet), HW id, D, Gra, O=0.
      const bso = 0;
      put32(out, 8, (2 << 28) | (options.frameVlan << 16) | (bso << 11) | point.sessionId);
      put32(out, 12, Math.floor(options.timeUs / 100) >>> 0);
      put32(out, 16, 0);
      return GRE_SEQ_HEADER + ERSPAN3_HEADER;
    }
  }
}

/**
 * Copies the frame `src[0, length)` to `out[at]`, with an 802.1Q tag for `vlan` inserted after the
 * MAC addresses when `vlan` is not null; returns the bytes written.
 */
export function writeInnerFrame(
  src: Uint8Array,
  length: number,
  vlan: number | null,
  out: Uint8Array,
  at: number,
): number {
  if (vlan === null || length < 12) {
    out.set(src.subarray(0, length), at);
    return length;
  }
  out.set(src.subarray(0, 12), at);
  out[at + 12] = 0x81;
  out[at + 13] = 0x00;
  out[at + 14] = vlan >> 8;
  out[at + 15] = vlan & 0xff;
  out.set(src.subarray(12, length), at + 16);
  return length + 4;
}
