/** Test helpers: drive an {@link L7Engine} with hand-built TCP/UDP packets of one flow. */
import { DecodedPacket } from "../decode/mod.ts";
import { L7Engine, type L7Options } from "./engine.ts";

const encoder = new TextEncoder();

export function bytes(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === "string" ? encoder.encode(p) : p instanceof Uint8Array ? p : Uint8Array.from(p)
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** One client ↔ server conversation fed to an engine; sequence numbers kept per side. */
export class Conversation {
  readonly engine: L7Engine;
  readonly seq = [1000, 5000];
  time = 1_700_000_000_000_000;
  readonly #p = new DecodedPacket();

  constructor(
    readonly ports: { client: number; server: number; udp?: boolean },
    options: L7Options = {},
    readonly flowId = 1,
    engine?: L7Engine,
  ) {
    this.engine = engine ?? new L7Engine(options);
  }

  /** Sends `payload` from the client (dir 0) or server (dir 1), `us` after the last packet. */
  send(dir: 0 | 1, payload: Uint8Array, options: { us?: number; seq?: number } = {}): void {
    this.time += options.us ?? 100;
    const p = this.#p;
    const buffer = new Uint8Array(8 + payload.length);
    buffer.set([10, 0, 0, dir === 0 ? 1 : 2, 10, 0, 0, dir === 0 ? 2 : 1]);
    buffer.set(payload, 8);
    p.buffer = p.frameBuffer = buffer;
    p.frameOffset = 0;
    p.capturedLength = buffer.length;
    p.ipVersion = 4;
    p.srcOffset = 0;
    p.dstOffset = 4;
    p.protocol = this.ports.udp ? 17 : 6;
    p.hasTransport = true;
    p.srcPort = dir === 0 ? this.ports.client : this.ports.server;
    p.dstPort = dir === 0 ? this.ports.server : this.ports.client;
    p.tcpFlags = 0x18;
    const seq = options.seq ?? this.seq[dir]!;
    p.tcpSeq = seq;
    p.tcpAck = this.seq[1 - dir]!;
    p.payloadOffset = 8;
    p.payloadLength = payload.length;
    p.timestampUs = this.time;
    if (options.seq === undefined) this.seq[dir] = (seq + payload.length) >>> 0;
    this.engine.add(p, dir, this.flowId);
  }

  /** Ends the input and returns every record. */
  finish() {
    this.engine.finish();
    return this.engine.drain();
  }
}
