/**
 * TCP per packet: the connection state, handshake (SYN/SYN-ACK counts, ISNs, RTT), sequence
 * analysis (retransmissions, keep-alives), zero windows, SRT/ART, and how a flow's close type is
 * decided. Everything lives in the {@link FlowStore} slot; nothing is allocated.
 *
 * Close types (wire `CloseType`), decided when the flow ends:
 *
 * - **Normal (1)**: both sides sent a FIN (a later RST does not change it: it is ordinary
 *   teardown, e.g. an RST to a segment that arrived after the close).
 * - **Client SYN Repeat (7)**: times out after the client's SYN(s) with no answer.
 * - **Server SYN Repeat (10)**: times out after the server's SYN-ACK(s) with no handshake ACK.
 * - **Server Direct RST (15)**: the server answers the SYN with an RST (port closed).
 * - **Client Other RST (18)**: the client resets during the handshake, before the server's
 *   SYN-ACK, or after it with data already sent.
 * - **Server Other RST (19)**: the server resets after its own SYN-ACK, before the handshake ACK.
 * - **Normal–Client RST (20)**: the client resets after a handshake in which it saw the SYN-ACK,
 *   with no payload either way (a load balancer's health check: SYN, SYN-ACK, [ACK], RST).
 * - **Client Port Reuse (13)**: the client's SYN is answered by a bare ACK instead of a SYN-ACK:
 *   the server still holds an older connection on the same ports (RFC 5961 §4 challenge ACK);
 *   the flow ends that way (usually the client's RST) or times out in it.
 * - **Client RST (9)** / **Server RST (2)**: an RST from that side after the connection was
 *   established (or half closed, or when the flow was first seen mid-stream).
 * - **Server Queue Overflow (17)**: after the client's handshake ACK the server repeated its
 *   SYN-ACK (it dropped the ACK: accept queue full) and sent no data since; the flow then times
 *   out or the server resets.
 * - **Server Half Close (8)**: times out after the client's FIN with no FIN from the server.
 * - **Client Half Close (11)**: times out after the server's FIN with no FIN from the client.
 * - **Timeout (3)**: an established flow (or any non-TCP flow) idle past its timeout.
 * - **Force Report (5)**: still open when the table had to report it: evicted to stay within
 *   `maxFlows` (oldest idle first), or live when the input ended.
 *
 * Metric definitions:
 *
 * - `rttServer` = first SYN-ACK − first SYN; `rttClient` = handshake ACK (acking the SYN-ACK's
 *   ISN + 1) − first SYN-ACK; `rtt` their sum when both are known. Repeats do not restart the
 *   clock (as tshark's `ack_rtt` and DeepFlow's rtt_0/rtt_1): a lost SYN shows as a long RTT.
 * - A retransmission is a segment with payload (or a FIN) that starts below the highest
 *   sequence number already seen from its side (the same range sent again), keep-alives
 *   excepted; repeated SYNs and SYN-ACKs count too, and separately as `retransSyn` /
 *   `retransSynack`. A segment that fills the last gap left below the highest sequence number,
 *   and that the receiver has not acknowledged yet, arrived out of order and is not counted (one
 *   gap per side is remembered; a segment in an older gap counts, and so does a range resent at
 *   once, which tshark calls out-of-order by its timing).
 * - A keep-alive (RFC 9293 §3.8.4) is a segment without SYN/FIN/RST, of at most one byte, whose
 *   sequence number is one below the next expected one.
 * - A zero window is a segment without SYN/FIN/RST advertising window 0 (as tshark's
 *   `tcp.analysis.zero_window`).
 * - SRT: client data → the server's pure ACK (no payload, no SYN/FIN/RST) covering it; ART:
 *   client data → the server's next data. Both are timed from the latest client data segment.
 */
import type { DecodedPacket } from "../decode/mod.ts";
import { CloseType } from "../wire/mod.ts";
import {
  ACK_SEEN,
  ART_COUNT,
  ART_MAX,
  ART_SUM,
  Bit,
  BITS,
  CLOSE_TYPE,
  EVENT_TIME,
  F64_STRIDE,
  type FlowStore,
  HOLE_END,
  HOLE_START,
  KEEPALIVE_ACK,
  KEEPALIVE_SEQ,
  NEXT_SEQ,
  RETRANS,
  RETRANS_SYN,
  RETRANS_SYNACK,
  RTT_CLIENT,
  RTT_SERVER,
  SRT_COUNT,
  SRT_MAX,
  SRT_SEQ,
  SRT_SUM,
  STATE,
  SYN_ACK_SEQ,
  SYN_COUNT,
  SYN_SEQ,
  SYNACK_COUNT,
  TOTAL_FLAGS,
  U32_STRIDE,
  ZERO_WIN,
} from "./store.ts";

export const TcpState = {
  /** Not TCP, or nothing decided yet. */
  None: 0,
  SynSent: 1,
  SynReceived: 2,
  Established: 3,
  /** The client's SYN was answered by a bare ACK. */
  PortReuse: 4,
  ClientFin: 5,
  ServerFin: 6,
  /** Both sides sent a FIN. */
  Closed: 7,
  /** An RST ended the flow; `closeType` holds how. */
  Reset: 8,
} as const;

/** Idle-timeout classes: each has its own timeout and its own list in the store. */
export const TimeoutClass = {
  TcpOpening: 0,
  TcpEstablished: 1,
  TcpClosing: 2,
  /** Closed by FINs or an RST: kept briefly for stragglers. */
  TcpClosed: 3,
  Udp: 4,
  Other: 5,
} as const;

const STRIDE_U16 = U32_STRIDE * 2;
const STRIDE_U8 = U32_STRIDE * 4;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

export function timeoutClassOf(protocol: number, state: number): number {
  if (protocol !== 6) return protocol === 17 ? TimeoutClass.Udp : TimeoutClass.Other;
  if (state === TcpState.Established || state === TcpState.None) {
    return TimeoutClass.TcpEstablished;
  }
  if (state === TcpState.ClientFin || state === TcpState.ServerFin) return TimeoutClass.TcpClosing;
  if (state === TcpState.Closed || state === TcpState.Reset) return TimeoutClass.TcpClosed;
  return TimeoutClass.TcpOpening;
}

/** The flow is over (FINs both ways or an RST): a new SYN on its ports starts a new flow. */
export function isTerminal(state: number): boolean {
  return state === TcpState.Closed || state === TcpState.Reset;
}

/** How a flow in `state` ended when it is closed now (timeout, or a terminal state). */
export function closeTypeAtEnd(s: FlowStore, slot: number): number {
  const b = slot * STRIDE_U8;
  switch (s.u8[b + STATE]) {
    case TcpState.Closed:
      return CloseType.Normal;
    case TcpState.Reset:
      return s.u8[b + CLOSE_TYPE]!;
    case TcpState.SynSent:
      return CloseType.ClientSynRepeat;
    case TcpState.SynReceived:
      return CloseType.ServerSynRepeat;
    case TcpState.PortReuse:
      return CloseType.ClientPortReuse;
    case TcpState.ClientFin:
      return CloseType.ServerHalfClose;
    case TcpState.ServerFin:
      return CloseType.ClientHalfClose;
    case TcpState.Established:
      return (s.u16[slot * STRIDE_U16 + BITS]! & Bit.QueueOverflow) !== 0
        ? CloseType.ServerQueueOverflow
        : CloseType.Timeout;
    default:
      return CloseType.Timeout;
  }
}

/** The TCP state of a slot. */
export function stateOf(s: FlowStore, slot: number): number {
  return s.u8[slot * STRIDE_U8 + STATE]!;
}

/** Client SYN and server SYN-ACK seen, no payload either way: a health check's pattern. */
function isHealthCheck(s: FlowStore, slot: number): boolean {
  const h = slot * STRIDE_U16;
  return (s.u16[h + TOTAL_FLAGS]! & SYN) !== 0 && (s.u16[h + TOTAL_FLAGS + 1]! & SYN) !== 0 &&
    (s.u16[h + BITS]! & Bit.Payload) === 0;
}

function closeTypeOfReset(s: FlowStore, slot: number, fromClient: boolean): number {
  switch (s.u8[slot * STRIDE_U8 + STATE]) {
    case TcpState.SynSent:
      return fromClient ? CloseType.ClientOtherRst : CloseType.ServerDirectRst;
    case TcpState.SynReceived:
      if (!fromClient) return CloseType.ServerOtherRst;
      return isHealthCheck(s, slot) ? CloseType.NormalClientRst : CloseType.ClientOtherRst;
    case TcpState.PortReuse:
      return CloseType.ClientPortReuse;
    case TcpState.Established:
      if (fromClient) {
        return isHealthCheck(s, slot) ? CloseType.NormalClientRst : CloseType.ClientRst;
      }
      return (s.u16[slot * STRIDE_U16 + BITS]! & Bit.QueueOverflow) !== 0
        ? CloseType.ServerQueueOverflow
        : CloseType.ServerRst;
    default:
      return fromClient ? CloseType.ClientRst : CloseType.ServerRst;
  }
}

function bump16(array: Uint16Array, i: number): void {
  if (array[i]! < 0xffff) array[i]!++;
}

function handshake(s: FlowStore, slot: number, fromClient: boolean, p: DecodedPacket): void {
  const t = p.timestampUs;
  const seq = p.tcpSeq;
  const u = slot * U32_STRIDE;
  const f = slot * F64_STRIDE;
  const h = u * 2;
  const b = u * 4;
  const u32 = s.u32;
  const state = s.u8[b + STATE]!;
  if ((p.tcpFlags & ACK) === 0) {
    if (!fromClient) return; // a SYN from the server side: simultaneous open, not tracked
    bump16(s.u16, h + SYN_COUNT);
    if (state === TcpState.None) {
      s.u8[b + STATE] = TcpState.SynSent;
      u32[u + SYN_SEQ] = seq;
      s.f64[f + EVENT_TIME] = t;
    } else if (seq === u32[u + SYN_SEQ]) {
      bump16(s.u16, h + RETRANS_SYN);
      u32[u + RETRANS]!++;
    } else if (state === TcpState.SynSent) {
      // A new attempt with a new ISN: the SYN-ACK will answer this one.
      u32[u + SYN_SEQ] = seq;
      s.f64[f + EVENT_TIME] = t;
    }
    return;
  }
  if (fromClient) return;
  bump16(s.u16, h + SYNACK_COUNT);
  if (state === TcpState.SynSent || state === TcpState.None) {
    if (state === TcpState.SynSent) {
      u32[u + RTT_SERVER] = t - s.f64[f + EVENT_TIME]!;
      s.u16[h + BITS]! |= Bit.RttPending;
    }
    s.u8[b + STATE] = TcpState.SynReceived;
    u32[u + SYN_ACK_SEQ] = seq;
    s.f64[f + EVENT_TIME] = t;
  } else if (seq === u32[u + SYN_ACK_SEQ]) {
    bump16(s.u16, h + RETRANS_SYNACK);
    u32[u + RETRANS + 1]!++;
    if (state === TcpState.Established) s.u16[h + BITS]! |= Bit.QueueOverflow;
  }
}

/** Moves the state on for a segment without SYN or RST. */
function advanceState(s: FlowStore, slot: number, fromClient: boolean, p: DecodedPacket): void {
  const flags = p.tcpFlags;
  const b = slot * STRIDE_U8;
  let state = s.u8[b + STATE]!;
  if (state === TcpState.SynSent) {
    // A bare ACK from the server instead of a SYN-ACK; anything else means the SYN-ACK was missed.
    state = !fromClient && (flags & (ACK | FIN)) === ACK && p.payloadLength === 0
      ? TcpState.PortReuse
      : TcpState.Established;
  } else if (state === TcpState.SynReceived) {
    const u = slot * U32_STRIDE;
    if (fromClient && (flags & ACK) !== 0 && p.tcpAck === ((s.u32[u + SYN_ACK_SEQ]! + 1) >>> 0)) {
      s.u32[u + RTT_CLIENT] = p.timestampUs - s.f64[slot * F64_STRIDE + EVENT_TIME]!;
      s.u16[u * 2 + BITS]! |= Bit.RttPending;
    }
    state = TcpState.Established;
  } else if (state === TcpState.None) {
    state = TcpState.Established;
  }
  if ((flags & FIN) !== 0) {
    if (state === TcpState.ClientFin) {
      if (!fromClient) state = TcpState.Closed;
    } else if (state === TcpState.ServerFin) {
      if (fromClient) state = TcpState.Closed;
    } else if (state !== TcpState.Closed) {
      state = fromClient ? TcpState.ClientFin : TcpState.ServerFin;
    }
  }
  s.u8[b + STATE] = state;
}

/** Counts one TCP segment of the flow in `slot` (ports decoded; `fromClient` its direction). */
export function trackTcp(s: FlowStore, slot: number, fromClient: boolean, p: DecodedPacket): void {
  const flags = p.tcpFlags;
  if (
    (flags & (SYN | RST | FIN)) !== 0 || s.u8[slot * STRIDE_U8 + STATE] !== TcpState.Established
  ) {
    if (p.payloadLength > 0) s.u16[slot * STRIDE_U16 + BITS]! |= Bit.Payload;
    if (!control(s, slot, fromClient, p)) return;
  }
  trackSequence(s, slot, fromClient, p);
}

/**
 * The handshake, RSTs and FINs: state changes. False when the segment needs no further look
 * (a SYN or an RST).
 */
function control(s: FlowStore, slot: number, fromClient: boolean, p: DecodedPacket): boolean {
  const flags = p.tcpFlags;
  if ((flags & SYN) !== 0) {
    handshake(s, slot, fromClient, p);
    s.u32[slot * U32_STRIDE + NEXT_SEQ + (fromClient ? 0 : 1)] =
      (p.tcpSeq + 1 + p.payloadLength) >>> 0;
    s.u16[slot * STRIDE_U16 + BITS]! |= fromClient ? Bit.ClientSeq : Bit.ServerSeq;
    return false;
  }
  if ((flags & RST) !== 0) {
    const b = slot * STRIDE_U8;
    if (!isTerminal(s.u8[b + STATE]!)) {
      s.u8[b + CLOSE_TYPE] = closeTypeOfReset(s, slot, fromClient);
      s.u8[b + STATE] = TcpState.Reset;
    }
    return false;
  }
  advanceState(s, slot, fromClient, p);
  return true;
}

/** Sequence analysis, zero windows, SRT and ART of a segment without SYN or RST. */
function trackSequence(s: FlowStore, slot: number, fromClient: boolean, p: DecodedPacket): void {
  const flags = p.tcpFlags;
  const u32 = s.u32;
  const u = slot * U32_STRIDE;
  const dir = fromClient ? 0 : 1;
  const h = u * 2;
  const payload = p.payloadLength;
  // The slot's bits stay in a local until the end: one read, one write.
  let bits = s.u16[h + BITS]!;
  if (payload > 0) bits |= Bit.Payload;
  const seq = p.tcpSeq;
  const fin = (flags & FIN) !== 0;
  const end = (seq + payload + (fin ? 1 : 0)) >>> 0;
  const seqBit = fromClient ? Bit.ClientSeq : Bit.ServerSeq;
  let keepalive = false;
  let retransmitted = false;
  if ((bits & seqBit) === 0) {
    u32[u + NEXT_SEQ + dir] = end;
    bits |= seqBit;
  } else {
    const next = u32[u + NEXT_SEQ + dir]!;
    const behind = (seq - next) | 0;
    if (!fin && payload <= 1 && behind === -1) {
      keepalive = true;
      u32[u + KEEPALIVE_SEQ] = seq;
      u32[u + KEEPALIVE_ACK] = p.tcpAck;
    } else if (payload > 0 || fin) {
      if (behind > 0) {
        u32[u + HOLE_START + dir] = next;
        u32[u + HOLE_END + dir] = seq;
      } else if (behind < 0) {
        const holeStart = u32[u + HOLE_START + dir]!;
        const holeEnd = u32[u + HOLE_END + dir]!;
        const acked = (bits & (fromClient ? Bit.ServerAcked : Bit.ClientAcked)) !== 0 &&
          ((u32[u + ACK_SEEN + (dir ^ 1)]! - end) | 0) >= 0;
        if (
          holeStart !== holeEnd && ((seq - holeStart) | 0) >= 0 && ((holeEnd - end) | 0) >= 0 &&
          !acked
        ) {
          // Fills the last gap and the receiver had not acknowledged it: it arrived out of
          // order. (Acknowledged already: the capture missed the first copy; this one is resent.)
          if (seq === holeStart) u32[u + HOLE_START + dir] = end;
          else u32[u + HOLE_END + dir] = seq;
        } else {
          retransmitted = true;
          u32[u + RETRANS + dir]!++;
        }
      }
    }
    if (((end - next) | 0) > 0) u32[u + NEXT_SEQ + dir] = end;
  }
  if ((flags & ACK) !== 0) {
    const ackBit = fromClient ? Bit.ClientAcked : Bit.ServerAcked;
    if ((bits & ackBit) === 0 || ((p.tcpAck - u32[u + ACK_SEEN + dir]!) | 0) > 0) {
      u32[u + ACK_SEEN + dir] = p.tcpAck;
      bits |= ackBit;
    }
  }
  if (p.tcpWindow === 0 && !fin) u32[u + ZERO_WIN + dir]!++;

  if (!keepalive) {
    const t = p.timestampUs;
    const f64 = s.f64;
    const f = slot * F64_STRIDE;
    if (fromClient) {
      if (payload > 0) {
        f64[f + EVENT_TIME] = t;
        u32[u + SRT_SEQ] = end;
        bits |= Bit.SrtPending | Bit.ArtPending;
      }
    } else if (payload > 0) {
      if ((bits & Bit.ArtPending) !== 0 && !retransmitted) {
        const art = t - f64[f + EVENT_TIME]!;
        f64[f + ART_SUM]! += art;
        u32[u + ART_COUNT]!++;
        if (art > u32[u + ART_MAX]!) u32[u + ART_MAX] = art;
      }
      bits &= ~(Bit.SrtPending | Bit.ArtPending | Bit.QueueOverflow);
    } else if (
      (bits & Bit.SrtPending) !== 0 && !fin && (flags & ACK) !== 0 &&
      ((p.tcpAck - u32[u + SRT_SEQ]!) | 0) >= 0
    ) {
      const srt = t - f64[f + EVENT_TIME]!;
      f64[f + SRT_SUM]! += srt;
      u32[u + SRT_COUNT]!++;
      if (srt > u32[u + SRT_MAX]!) u32[u + SRT_MAX] = srt;
      bits &= ~Bit.SrtPending;
    }
  }
  s.u16[h + BITS] = bits;
}
