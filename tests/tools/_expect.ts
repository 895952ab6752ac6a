/**
 * What the appliance should report for one generated flow: the generator notes every packet and
 * every event it makes on purpose (a resent segment, a zero window, the handshake's timing, …)
 * here, and this turns them into the flow-log records of DESIGN §7: one per natural minute with
 * packets, the last one carrying the close type (see `appliance/flow/tcp.ts` for the rules).
 */
import { DEFAULT_TIMEOUTS, type FlowTimeouts } from "../../appliance/flow/mod.ts";
import { CloseType, type FlowRecord } from "../../appliance/wire/mod.ts";

const MINUTE_US = 60_000_000;

function floorMinute(us: number): number {
  return us - (us % MINUTE_US);
}

/** The per-minute part of a record. */
type MinuteCounts = Pick<
  FlowRecord,
  | "packetTx"
  | "packetRx"
  | "byteTx"
  | "byteRx"
  | "l3ByteTx"
  | "l3ByteRx"
  | "l4ByteTx"
  | "l4ByteRx"
  | "tcpFlagsBit0"
  | "tcpFlagsBit1"
  | "synCount"
  | "synackCount"
  | "retransSyn"
  | "retransSynack"
  | "retransTx"
  | "retransRx"
  | "zeroWinTx"
  | "zeroWinRx"
  | "rtt"
  | "rttClient"
  | "rttServer"
  | "srtSum"
  | "srtCount"
  | "srtMax"
  | "artSum"
  | "artCount"
  | "artMax"
>;

/** Whole-flow values as they stood at a minute's last packet. */
type FlowValues = Pick<
  FlowRecord,
  "synSeq" | "synAckSeq" | "lastKeepaliveSeq" | "lastKeepaliveAck"
>;

interface Minute {
  counts: MinuteCounts;
  values: FlowValues;
  lastTime: number;
}

function emptyCounts(): MinuteCounts {
  return {
    packetTx: 0,
    packetRx: 0,
    byteTx: 0,
    byteRx: 0,
    l3ByteTx: 0,
    l3ByteRx: 0,
    l4ByteTx: 0,
    l4ByteRx: 0,
    tcpFlagsBit0: 0,
    tcpFlagsBit1: 0,
    synCount: 0,
    synackCount: 0,
    retransSyn: 0,
    retransSynack: 0,
    retransTx: 0,
    retransRx: 0,
    zeroWinTx: 0,
    zeroWinRx: 0,
    rtt: 0,
    rttClient: 0,
    rttServer: 0,
    srtSum: 0,
    srtCount: 0,
    srtMax: 0,
    artSum: 0,
    artCount: 0,
    artMax: 0,
  };
}

/**
 * How a generated flow is left after its last packet. `over`: closed by FINs or an RST, with the
 * close type that decided. `idle`: still open; it times out after `timeout` with `closeType` if
 * the capture goes on long enough, else the appliance reports it as Force Report at the end.
 */
export type FlowEnd =
  | { kind: "over"; closeType: number }
  | { kind: "idle"; timeout: keyof FlowTimeouts; closeType: number };

/** The identity of a flow, as the record shows it. */
export type FlowKey = Pick<
  FlowRecord,
  "ipVersion" | "ip0" | "ip1" | "clientPort" | "serverPort" | "protocol"
>;

export class FlowExpectation {
  firstTime = -1;
  lastTime = 0;
  /** Order of the flow's first packet in the capture, to number flows as the appliance does. */
  firstOrder = 0;
  /** Replaced (never changed in place) by {@link set}, so minutes can share it. */
  values: Readonly<FlowValues> = {
    synSeq: 0,
    synAckSeq: 0,
    lastKeepaliveSeq: 0,
    lastKeepaliveAck: 0,
  };
  end: FlowEnd = { kind: "idle", timeout: "other", closeType: CloseType.Timeout };
  /** rttServer waiting for the handshake ACK, to be reported with rttClient. */
  #rttServer = 0;
  readonly #minutes = new Map<number, Minute>();

  constructor(readonly key: FlowKey) {}

  /** This minute's counters at time `t`. */
  at(t: number): MinuteCounts {
    const m = floorMinute(t);
    let minute = this.#minutes.get(m);
    if (minute === undefined) {
      minute = { counts: emptyCounts(), values: this.values, lastTime: t };
      this.#minutes.set(m, minute);
    }
    return minute.counts;
  }

  /** Counts one packet (after the events it carries were noted). */
  packet(
    t: number,
    order: number,
    fromClient: boolean,
    sizes: { frame: number; l3: number; l4: number; tcpFlags: number },
  ): void {
    if (this.firstTime < 0) {
      this.firstTime = t;
      this.firstOrder = order;
    }
    this.lastTime = Math.max(this.lastTime, t);
    const c = this.at(t);
    if (fromClient) {
      c.packetTx++;
      c.byteTx += sizes.frame;
      c.l3ByteTx += sizes.l3;
      c.l4ByteTx += sizes.l4;
      c.tcpFlagsBit0 |= sizes.tcpFlags;
    } else {
      c.packetRx++;
      c.byteRx += sizes.frame;
      c.l3ByteRx += sizes.l3;
      c.l4ByteRx += sizes.l4;
      c.tcpFlagsBit1 |= sizes.tcpFlags;
    }
    const minute = this.#minutes.get(floorMinute(t))!;
    minute.values = this.values;
    minute.lastTime = Math.max(minute.lastTime, t);
  }

  /** Sets whole-flow values (ISNs, the last keep-alive) from now on. */
  set(values: Partial<FlowValues>): void {
    this.values = { ...this.values, ...values };
  }

  rttServer(t: number, us: number): void {
    this.#rttServer = us;
    this.at(t).rttServer = us;
  }

  rttClient(t: number, us: number): void {
    const c = this.at(t);
    c.rttClient = us;
    c.rttServer = this.#rttServer;
    c.rtt = this.#rttServer > 0 && us > 0 ? this.#rttServer + us : 0;
  }

  srt(t: number, us: number): void {
    const c = this.at(t);
    c.srtSum += us;
    c.srtCount++;
    c.srtMax = Math.max(c.srtMax, us);
  }

  art(t: number, us: number): void {
    const c = this.at(t);
    c.artSum += us;
    c.artCount++;
    c.artMax = Math.max(c.artMax, us);
  }

  /**
   * The records of this flow for a capture whose last IP packet is at `captureEnd`: the flow
   * times out only if its timeout passes by then.
   */
  records(flowId: number, captureEnd: number): FlowRecord[] {
    let closeType: number;
    let endTime: number;
    let finalMinute: number;
    const end = this.end;
    if (end.kind === "over") {
      closeType = end.closeType;
      endTime = this.lastTime;
      finalMinute = floorMinute(this.lastTime);
    } else {
      const expiry = this.lastTime + DEFAULT_TIMEOUTS[end.timeout] * 1e6;
      if (expiry <= captureEnd) {
        closeType = end.closeType;
        endTime = expiry;
        // An expiry on a minute boundary ends the minute before it.
        finalMinute = floorMinute(expiry - 1);
      } else {
        closeType = CloseType.ForceReport;
        endTime = captureEnd;
        finalMinute = floorMinute(captureEnd);
      }
    }
    const base = {
      flowId,
      ...this.key,
      vlan: 0,
      tunnelType: 0,
      tunnelId: 0,
      captureNic: 0,
      observationPoint: "rest",
    };
    const records: FlowRecord[] = [];
    const minutes = [...this.#minutes.keys()].sort((a, b) => a - b);
    for (const m of minutes) {
      const minute = this.#minutes.get(m)!;
      const final = m === finalMinute;
      const startTime = Math.max(this.firstTime, m);
      records.push({
        ...base,
        startTime,
        endTime: final ? Math.max(endTime, startTime) : m + MINUTE_US,
        duration: (final ? this.lastTime : minute.lastTime) - this.firstTime,
        isNewFlow: records.length === 0 ? 1 : 0,
        closeType: final ? closeType : CloseType.Unknown,
        ...minute.counts,
        ...(final ? this.values : minute.values),
      });
    }
    if (finalMinute > minutes[minutes.length - 1]!) {
      records.push({
        ...base,
        startTime: Math.max(this.firstTime, finalMinute),
        endTime,
        duration: this.lastTime - this.firstTime,
        isNewFlow: 0,
        closeType,
        ...emptyCounts(),
        ...this.values,
      });
    }
    return records;
  }
}
