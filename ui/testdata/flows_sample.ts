// Deterministic sample props for tests and the preview: a busy hour of mixed traffic.
import type { ChartPoint, FlowFilters, FlowPageProps, FlowRow } from "../types.ts";

/** 2026-11-25T17:00:00Z in ms. */
export const SAMPLE_HOUR_MS = Date.UTC(2026, 10, 25, 17, 0, 0);

/** A small linear congruential generator, so the sample is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const APPLIANCES = ["npb-fra-01", "npb-fra-02", "npb-ams-01"];
const SERVERS: [string, number, number][] = [
  ["10.20.1.15", 443, 6],
  ["10.20.1.16", 5432, 6],
  ["10.20.4.2", 53, 17],
  ["2001:db8:40::25", 443, 6],
  ["10.20.9.100", 0, 1],
  ["2001:db8:40::1", 0, 58],
  ["10.20.7.3", 6379, 6],
  ["10.20.1.15", 80, 6],
  ["172.16.30.8", 47, 47],
];

/** One flow row with sensible defaults; override any field. */
export function sampleRow(overrides: Partial<FlowRow> = {}): FlowRow {
  const start = SAMPLE_HOUR_MS * 1000 + 3 * 60_000_000 + 12_345_000;
  return {
    flowId: 1,
    appliance: "npb-fra-01",
    startTime: start,
    endTime: start + 47_655_000,
    ipVersion: 4,
    ip0: "192.168.10.21",
    ip1: "10.20.1.15",
    clientPort: 51234,
    serverPort: 443,
    protocol: 6,
    vlan: 120,
    packetTx: 1834,
    packetRx: 2410,
    byteTx: 123_456,
    byteRx: 3_456_789,
    ...overrides,
  };
}

/** `count` rows of varied traffic, newest first. */
export function sampleRows(count: number, seed = 7): FlowRow[] {
  const next = random(seed);
  const rows: FlowRow[] = [];
  for (let i = 0; i < count; i++) {
    const [server, serverPort, protocol] = SERVERS[Math.floor(next() * SERVERS.length)]!;
    const v6 = server.includes(":");
    const client = v6
      ? `2001:db8:10::${(Math.floor(next() * 0xfff) + 1).toString(16)}`
      : `192.168.${10 + Math.floor(next() * 4)}.${2 + Math.floor(next() * 250)}`;
    const startUs = (SAMPLE_HOUR_MS + (59 - Math.floor((i * 60) / count)) * 60_000) * 1000 +
      Math.floor(next() * 30_000_000);
    const packets = 1 + Math.floor(next() ** 3 * 40_000);
    const portless = protocol === 1 || protocol === 58 || protocol === 47;
    rows.push({
      flowId: 900_000 + i,
      appliance: APPLIANCES[Math.floor(next() * APPLIANCES.length)]!,
      startTime: startUs,
      endTime: startUs + Math.floor(next() * 29_000_000) + 200,
      ipVersion: v6 ? 6 : 4,
      ip0: client,
      ip1: server,
      clientPort: portless ? 0 : 32768 + Math.floor(next() * 28000),
      serverPort: portless ? 0 : serverPort,
      protocol,
      vlan: next() < 0.3 ? 0 : 100 + Math.floor(next() * 4) * 10,
      packetTx: packets,
      packetRx: Math.floor(packets * (0.5 + next())),
      byteTx: packets * (60 + Math.floor(next() * 300)),
      byteRx: packets * (60 + Math.floor(next() * 1400)),
    });
  }
  return rows;
}

/** Bytes per minute over the sample hour, with a gap and a burst. */
export function sampleChart(seed = 11): ChartPoint[] {
  const next = random(seed);
  const points: ChartPoint[] = [];
  for (let m = 0; m < 60; m++) {
    if (m >= 22 && m < 25) continue;
    const base = 180_000_000 + Math.sin(m / 7) * 60_000_000;
    const burst = m >= 41 && m <= 44 ? 900_000_000 : 0;
    points.push({
      minute: SAMPLE_HOUR_MS + m * 60_000,
      bytes: Math.round(base + burst + next() * 4e7),
    });
  }
  return points;
}

/** Empty filters on page 1. */
export function emptyFilters(overrides: Partial<FlowFilters> = {}): FlowFilters {
  return {
    q: "",
    ip: "",
    port: "",
    protocol: "",
    from: "",
    to: "",
    page: 1,
    cols: [],
    ...overrides,
  };
}

/** A full page of sample props: page 1 of 1,234 rows. */
export function sampleFlowPageProps(overrides: Partial<FlowPageProps> = {}): FlowPageProps {
  return {
    filters: emptyFilters({ from: "2026-11-25T17:00", to: "2026-11-25T18:00" }),
    rows: sampleRows(50),
    total: 1234,
    pageSize: 50,
    chart: sampleChart(),
    errors: {},
    basePath: "/flows",
    ...overrides,
  };
}
