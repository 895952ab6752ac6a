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
import { Bit, type FlowStore } from "./store.ts";

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
  switch (s.state[slot]) {
    case TcpState.Closed:
      return CloseType.Normal;
    case TcpState.Reset:
      return s.closeType[slot]!;
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
      return (s.bits[slot]! & Bit.QueueOverflow) !== 0
        ? CloseType.ServerQueueOverflow
        : CloseType.Timeout;
    default:
      return CloseType.Timeout;
  }
}

/** Client SYN and server SYN-ACK seen, no payload either way: a health check's pattern. */
function isHealthCheck(s: FlowStore, slot: number): boolean {
  return (s.totalFlags[slot * 2]! & SYN) !== 0 && (s.totalFlags[slot * 2 + 1]! & SYN) !== 0 &&
    (s.bits[slot]! & Bit.Payload) === 0;
}

function closeTypeOfReset(s: FlowStore, slot: number, fromClient: boolean): number {
  switch (s.state[slot]) {
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
      return (s.bits[slot]! & Bit.QueueOverflow) !== 0
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
  const state = s.state[slot]!;
  if ((p.tcpFlags & ACK) === 0) {
    if (!fromClient) return; // a SYN from the server side: simultaneous open, not tracked
    bump16(s.synCount, slot);
    if (state === TcpState.None) {
      s.state[slot] = TcpState.SynSent;
      s.synSeq[slot] = seq;
      s.eventTime[slot] = t;
    } else if (seq === s.synSeq[slot]) {
      bump16(s.retransSyn, slot);
      s.retrans[slot * 2]!++;
    } else if (state === TcpState.SynSent) {
      // A new attempt with a new ISN: the SYN-ACK will answer this one.
      s.synSeq[slot] = seq;
      s.eventTime[slot] = t;
    }
    return;
  }
  if (fromClient) return;
  bump16(s.synackCount, slot);
  if (state === TcpState.SynSent || state === TcpState.None) {
    if (state === TcpState.SynSent) {
      s.rttServer[slot] = t - s.eventTime[slot]!;
      s.bits[slot]! |= Bit.RttPending;
    }
    s.state[slot] = TcpState.SynReceived;
    s.synAckSeq[slot] = seq;
    s.eventTime[slot] = t;
  } else if (seq === s.synAckSeq[slot]) {
    bump16(s.retransSynack, slot);
    s.retrans[slot * 2 + 1]!++;
    if (state === TcpState.Established) s.bits[slot]! |= Bit.QueueOverflow;
  }
}

/** Moves the state on for a segment without SYN or RST. */
function advanceState(s: FlowStore, slot: number, fromClient: boolean, p: DecodedPacket): void {
  const flags = p.tcpFlags;
  let state = s.state[slot]!;
  if (state === TcpState.SynSent) {
    // A bare ACK from the server instead of a SYN-ACK; anything else means the SYN-ACK was missed.
    state = !fromClient && (flags & (ACK | FIN)) === ACK && p.payloadLength === 0
      ? TcpState.PortReuse
      : TcpState.Established;
  } else if (state === TcpState.SynReceived) {
    if (fromClient && (flags & ACK) !== 0 && p.tcpAck === ((s.synAckSeq[slot]! + 1) >>> 0)) {
      s.rttClient[slot] = p.timestampUs - s.eventTime[slot]!;
      s.bits[slot]! |= Bit.RttPending;
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
  s.state[slot] = state;
}

/** Counts one TCP segment of the flow in `slot` (ports decoded; `fromClient` its direction). */
export function trackTcp(s: FlowStore, slot: number, fromClient: boolean, p: DecodedPacket): void {
  const flags = p.tcpFlags;
  const payload = p.payloadLength;
  if ((flags & (SYN | RST | FIN)) !== 0 || s.state[slot] !== TcpState.Established) {
    if (payload > 0) s.bits[slot]! |= Bit.Payload;
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
  const side = slot * 2 + (fromClient ? 0 : 1);
  if ((flags & SYN) !== 0) {
    handshake(s, slot, fromClient, p);
    s.nextSeq[side] = (p.tcpSeq + 1 + p.payloadLength) >>> 0;
    s.bits[slot]! |= fromClient ? Bit.ClientSeq : Bit.ServerSeq;
    return false;
  }
  if ((flags & RST) !== 0) {
    if (!isTerminal(s.state[slot]!)) {
      s.closeType[slot] = closeTypeOfReset(s, slot, fromClient);
      s.state[slot] = TcpState.Reset;
    }
    return false;
  }
  advanceState(s, slot, fromClient, p);
  return true;
}

/** Sequence analysis, zero windows, SRT and ART of a segment without SYN or RST. */
function trackSequence(s: FlowStore, slot: number, fromClient: boolean, p: DecodedPacket): void {
  const flags = p.tcpFlags;
  const side = slot * 2 + (fromClient ? 0 : 1);
  const payload = p.payloadLength;
  // The slot's bits stay in a local until the end: one read, one write.
  let bits = s.bits[slot]!;
  if (payload > 0) bits |= Bit.Payload;
  const seq = p.tcpSeq;
  const fin = (flags & FIN) !== 0;
  const end = (seq + payload + (fin ? 1 : 0)) >>> 0;
  const seqBit = fromClient ? Bit.ClientSeq : Bit.ServerSeq;
  let keepalive = false;
  let retransmitted = false;
  if ((bits & seqBit) === 0) {
    s.nextSeq[side] = end;
    bits |= seqBit;
  } else {
    const next = s.nextSeq[side]!;
    const behind = (seq - next) | 0;
    if (!fin && payload <= 1 && behind === -1) {
      keepalive = true;
      s.keepaliveSeq[slot] = seq;
      s.keepaliveAck[slot] = p.tcpAck;
    } else if (payload > 0 || fin) {
      if (behind > 0) {
        s.holeStart[side] = next;
        s.holeEnd[side] = seq;
      } else if (behind < 0) {
        const holeStart = s.holeStart[side]!;
        const holeEnd = s.holeEnd[side]!;
        const acked = (bits & (fromClient ? Bit.ServerAcked : Bit.ClientAcked)) !== 0 &&
          ((s.ackSeen[side ^ 1]! - end) | 0) >= 0;
        if (
          holeStart !== holeEnd && ((seq - holeStart) | 0) >= 0 && ((holeEnd - end) | 0) >= 0 &&
          !acked
        ) {
          // Fills the last gap and the receiver had not acknowledged it: it arrived out of
          // order. (Acknowledged already: the capture missed the first copy; this one is resent.)
          if (seq === holeStart) s.holeStart[side] = end;
          else s.holeEnd[side] = seq;
        } else {
          retransmitted = true;
          s.retrans[side]!++;
        }
      }
    }
    if (((end - next) | 0) > 0) s.nextSeq[side] = end;
  }
  if ((flags & ACK) !== 0) {
    const ackBit = fromClient ? Bit.ClientAcked : Bit.ServerAcked;
    if ((bits & ackBit) === 0 || ((p.tcpAck - s.ackSeen[side]!) | 0) > 0) {
      s.ackSeen[side] = p.tcpAck;
      bits |= ackBit;
    }
  }
  if (p.tcpWindow === 0 && !fin) s.zeroWin[side]!++;

  if (!keepalive) {
    const t = p.timestampUs;
    if (fromClient) {
      if (payload > 0) {
        s.eventTime[slot] = t;
        s.srtSeq[slot] = end;
        bits |= Bit.SrtPending | Bit.ArtPending;
      }
    } else if (payload > 0) {
      if ((bits & Bit.ArtPending) !== 0 && !retransmitted) {
        const art = t - s.eventTime[slot]!;
        s.artSum[slot]! += art;
        s.artCount[slot]!++;
        if (art > s.artMax[slot]!) s.artMax[slot] = art;
      }
      bits &= ~(Bit.SrtPending | Bit.ArtPending | Bit.QueueOverflow);
    } else if (
      (bits & Bit.SrtPending) !== 0 && !fin && (flags & ACK) !== 0 &&
      ((p.tcpAck - s.srtSeq[slot]!) | 0) >= 0
    ) {
      const srt = t - s.eventTime[slot]!;
      s.srtSum[slot]! += srt;
      s.srtCount[slot]!++;
      if (srt > s.srtMax[slot]!) s.srtMax[slot] = srt;
      bits &= ~Bit.SrtPending;
    }
  }
  s.bits[slot] = bits;
}
