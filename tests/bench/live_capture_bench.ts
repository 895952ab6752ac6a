/**
 * Live capture under load: a sender in one network namespace blasts small UDP packets across a
 * veth pair and the appliance's live source captures them in the other namespace. The sender is
 * `_sender.c` (prebuilt frames on an AF_PACKET socket, `sendmmsg` of 64, qdisc bypassed), built
 * with `cc` when there is one; otherwise libc `sendmmsg` on a UDP socket through FFI, which tops
 * out near 500,000 packets/s here. Both pace to the target rate. Reports what was sent, what the
 * capture got, and the drops: the kernel's (ring full), the interface's, and the veth's own
 * (packets that never reached a packet socket). Target: no kernel drop at 500,000 packets/s.
 *
 *   deno run -A tests/bench/live_capture_bench.ts [--rate 500000] [--seconds 3]
 *     [--backend af_packet|libpcap] [--mode source|pipeline]
 *
 * Without --backend/--mode it runs the rows of {@link DEFAULT_ROWS}. The bench task can import
 * {@link runLiveCaptureBench} instead. Needs root (namespaces, packet sockets); the packets go to
 * an address and MAC nobody owns inside the namespaces (a static neighbour entry: no ARP, no
 * replies).
 */
import { parseArgs } from "node:util";
import {
  type CaptureStats,
  type LiveBackend,
  type LiveSource,
  openLiveCapture,
} from "../../appliance/capture/mod.ts";
import { buildFlowsLive } from "../../appliance/pipeline.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;
const SENDER_IP = "10.201.0.1";
const CAPTURE_IP = "10.201.0.2";
/**
 * Nobody's address and MAC: the frames cross the veth, packet sockets see them, and the capture
 * end's IP stack drops them at once as meant for another host (no forwarding, no ICMP).
 */
const SINK_IP = "10.201.0.3";
const SINK_MAC = "02:00:00:00:02:01";
const BASE_PORT = 10_000;
/** Destination ports cycle through this many values: as many flows. */
const PORTS = 64;
const BATCH = 64;

/** `source`: the live source alone; `pipeline`: capture, decode and flow table, as the appliance runs. */
export type BenchMode = "source" | "pipeline";

export interface LiveCaptureBenchOptions {
  /** Target packets per second (default 500,000). */
  rate?: number;
  /** How long to send (default 3 s). */
  seconds?: number;
  backend?: LiveBackend;
  mode?: BenchMode;
  /** UDP payload bytes (default 22: 64-byte Ethernet frames). */
  payloadBytes?: number;
  /** `c`: _sender.c (the default when `cc` works); `ffi`: the UDP socket sender in Deno. */
  sender?: SenderKind;
}

export type SenderKind = "c" | "ffi";

export interface LiveCaptureBenchResult {
  backend: LiveBackend;
  mode: BenchMode;
  targetRate: number;
  /** Which sender ran. */
  sender: SenderKind;
  /** Packets `sendmmsg` accepted, and the rate it managed. */
  sent: number;
  sentRate: number;
  /** The benchmark's packets the capture handed over (a pipeline counts them in its flows). */
  captured: number;
  /** The source's own counters (every packet on the link). */
  capture: CaptureStats;
  /** Packets the veth dropped before any packet socket saw them (receive backlog full). */
  droppedBeforeCapture: number;
}

export const DEFAULT_ROWS: { backend: LiveBackend; mode: BenchMode; rate: number }[] = [
  { backend: "af_packet", mode: "source", rate: 200_000 },
  { backend: "af_packet", mode: "source", rate: 500_000 },
  { backend: "af_packet", mode: "source", rate: 1_000_000 },
  { backend: "af_packet", mode: "pipeline", rate: 200_000 },
  { backend: "af_packet", mode: "pipeline", rate: 500_000 },
  { backend: "libpcap", mode: "source", rate: 500_000 },
];

/**
 * Compiles `_sender.c` into a temporary directory once per process; undefined when there is no
 * working C compiler (the FFI sender is used then).
 */
let compiled: Promise<string | undefined> | undefined;
function cSender(): Promise<string | undefined> {
  compiled ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "tapline-sender-" });
    const binary = `${dir}/sender`;
    try {
      const out = await new Deno.Command("cc", {
        args: ["-O2", "-o", binary, new URL("./_sender.c", import.meta.url).pathname],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      if (out.success) {
        globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
        return binary;
      }
    } catch { /* no compiler */ }
    await Deno.remove(dir, { recursive: true });
    return undefined;
  })();
  return compiled;
}

const words = (line: string) => line.trim().split(/\s+/);

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdin: "null" }).output();
  const text = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${out.code}): ${text.decode(out.stderr)}`,
    );
  }
  return text.decode(out.stdout);
}

/** Sender and capture namespaces joined by a veth pair; IPv6 off so only the bench talks. */
class Lab {
  readonly sender = `tl${Deno.pid}bs`;
  readonly capture = `tl${Deno.pid}br`;
  readonly senderIf = `tl${Deno.pid}bx`;
  readonly captureIf = `tl${Deno.pid}by`;

  async setUp(): Promise<void> {
    for (const ns of [this.sender, this.capture]) {
      await run("ip", words(`netns add ${ns}`));
      await run("ip", [
        ...words(`netns exec ${ns} sh -c`),
        "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; " +
        "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6",
      ]);
    }
    await run(
      "ip",
      words(`-n ${this.sender} link add ${this.senderIf} type veth
      peer name ${this.captureIf} netns ${this.capture}`),
    );
    await run("ip", words(`-n ${this.sender} addr add ${SENDER_IP}/24 dev ${this.senderIf}`));
    await run("ip", words(`-n ${this.capture} addr add ${CAPTURE_IP}/24 dev ${this.captureIf}`));
    await run("ip", words(`-n ${this.sender} link set ${this.senderIf} up`));
    await run("ip", words(`-n ${this.capture} link set ${this.captureIf} up`));
    await run(
      "ip",
      words(`-n ${this.sender} neigh replace ${SINK_IP} lladdr ${SINK_MAC}
      dev ${this.senderIf} nud permanent`),
    );
  }

  async tearDown(): Promise<void> {
    for (const ns of [this.sender, this.capture]) {
      await new Deno.Command("ip", { args: ["netns", "del", ns], stdout: "null", stderr: "null" })
        .output();
    }
  }

  async counter(ns: string, link: string, name: string): Promise<number> {
    const text = await run(
      "ip",
      words(`netns exec ${ns} cat /sys/class/net/${link}/statistics/${name}`),
    );
    return Number(text.trim());
  }
}

/** Runs one row: sets up the namespaces, sends, captures, tears down. */
export async function runLiveCaptureBench(
  options: LiveCaptureBenchOptions = {},
): Promise<LiveCaptureBenchResult> {
  const rate = options.rate ?? 500_000;
  const seconds = options.seconds ?? 3;
  const backend = options.backend ?? "af_packet";
  const mode = options.mode ?? "source";
  const payload = options.payloadBytes ?? 22;
  const lab = new Lab();
  const children: Deno.ChildProcess[] = [];
  try {
    await lab.setUp();
    const capture = new Deno.Command("ip", {
      args: [
        ...words(`netns exec ${lab.capture}`),
        Deno.execPath(),
        ...words(`run -A ${SELF}
        --role capture --interface ${lab.captureIf} --backend ${backend} --mode ${mode}`),
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    children.push(capture);
    const lines = capture.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let output = "";
    while (!output.includes("ready\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the capture did not start: ${output}`);
      output += value;
    }
    const vethDropsBefore = await lab.counter(lab.sender, lab.senderIf, "tx_dropped");
    const binary = options.sender === "ffi" ? undefined : await cSender();
    const sender: SenderKind = binary === undefined ? "ffi" : "c";
    const command = binary === undefined
      ? [
        Deno.execPath(),
        ...words(`run -A
        ${SELF} --role send --rate ${rate} --seconds ${seconds} --payload ${payload}`),
      ]
      : [
        binary,
        ...words(`${lab.senderIf} ${SINK_MAC} ${SENDER_IP} ${SINK_IP} ${BASE_PORT} ${PORTS}
        ${rate} ${seconds} ${payload}`),
      ];
    const sent = JSON.parse(
      await run("ip", [...words(`netns exec ${lab.sender}`), ...command]),
    ) as { sent: number; elapsedMs: number };
    const vethDrops = await lab.counter(lab.sender, lab.senderIf, "tx_dropped") - vethDropsBefore;
    // Let the kernel hand over its last partly filled blocks before stopping.
    await new Promise((r) => setTimeout(r, 300));
    capture.kill("SIGINT");
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      output += value;
    }
    await capture.status;
    const last = output.trim().split("\n").at(-1) ?? "";
    const got = JSON.parse(last) as { captured: number; capture: CaptureStats };
    return {
      backend,
      mode,
      sender,
      targetRate: rate,
      sent: sent.sent,
      sentRate: Math.round(sent.sent / (sent.elapsedMs / 1000)),
      captured: got.captured,
      capture: got.capture,
      droppedBeforeCapture: vethDrops,
    };
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    }
    await lab.tearDown();
  }
}

/** The sender: UDP to SINK_IP, destination ports cycling, paced in 1 ms steps. */
function send(rate: number, seconds: number, payloadBytes: number): void {
  const lib = Deno.dlopen("libc.so.6", {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  }).symbols;
  const fd = lib.socket(2, 2, 0); // AF_INET, SOCK_DGRAM
  if (fd < 0) throw new Error("socket() failed");
  const address = (buffer: Uint8Array) =>
    Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer as Uint8Array<ArrayBuffer>));
  const payload = new Uint8Array(payloadBytes).fill(0x5a);
  // struct sockaddr_in per destination port: family, be16 port, be32 address, 8 zero bytes.
  const names = new Uint8Array(16 * PORTS);
  const namesView = new DataView(names.buffer);
  for (let i = 0; i < PORTS; i++) {
    namesView.setUint16(i * 16, 2, true);
    namesView.setUint16(i * 16 + 2, BASE_PORT + i, false);
    names.set(SINK_IP.split(".").map(Number), i * 16 + 4);
  }
  // struct iovec { void *base; size_t len } (16 bytes); one, shared by every message.
  const iov = new Uint8Array(16);
  const iovView = new DataView(iov.buffer);
  iovView.setBigUint64(0, address(payload), true);
  iovView.setBigUint64(8, BigInt(payloadBytes), true);
  // struct mmsghdr { struct msghdr (56 bytes); unsigned msg_len } = 64 bytes on x86_64.
  const messages = new Uint8Array(64 * BATCH);
  const mv = new DataView(messages.buffer);
  const namesAt = address(names);
  for (let i = 0; i < BATCH; i++) {
    const at = i * 64;
    mv.setBigUint64(at, namesAt + BigInt(16 * (i % PORTS)), true);
    mv.setUint32(at + 8, 16, true);
    mv.setBigUint64(at + 16, address(iov), true);
    mv.setBigUint64(at + 24, 1n, true);
  }
  const total = Math.round(rate * seconds);
  let sent = 0;
  const started = performance.now();
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) * rate / 1000));
    if (sent >= due) {
      // Ahead of schedule: spin briefly (a timer would oversleep by a millisecond or more).
      continue;
    }
    const n = lib.sendmmsg(fd, messages, Math.min(BATCH, due - sent), 0);
    if (n < 0) throw new Error("sendmmsg() failed");
    sent += n;
  }
  const elapsedMs = performance.now() - started;
  console.log(JSON.stringify({ sent, elapsedMs }));
}

/** The capture side: counts the bench's packets until SIGINT, then prints the counters. */
async function capture(interfaceName: string, backend: LiveBackend, mode: BenchMode) {
  const source: LiveSource = openLiveCapture(interfaceName, { backend });
  Deno.addSignalListener("SIGINT", () => source.stop());
  console.log("ready");
  let captured = 0;
  let stats: CaptureStats;
  if (mode === "pipeline") {
    const summary = await buildFlowsLive(source);
    for (const r of summary.records) {
      if (r.ip1 === SINK_IP || r.ip0 === SINK_IP) captured += r.packetTx + r.packetRx;
    }
    stats = summary.capture;
  } else {
    const sink = SINK_IP.split(".").map(Number);
    const drain = () => {
      while (source.next()) {
        const p = source.packet;
        const b = p.buffer;
        const at = p.dataOffset;
        // Ethernet + IPv4 without options: destination address at 30, UDP port at 36.
        if (
          p.capturedLength >= 42 && b[at + 30] === sink[0] && b[at + 31] === sink[1] &&
          b[at + 32] === sink[2] && b[at + 33] === sink[3]
        ) captured++;
      }
    };
    while (!source.stopped) if (await source.wait(250)) drain();
    drain();
    await source.close();
    stats = source.stats();
  }
  console.log(JSON.stringify({ captured, capture: stats }));
}

function formatRow(r: LiveCaptureBenchResult): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return `live capture ${r.backend}/${r.mode} (${r.sender} sender): sent ${n(r.sent)} at ${
    n(r.sentRate)
  } pps ` +
    `(target ${n(r.targetRate)}), captured ${n(r.captured)}, kernel drops ${
      n(r.capture.droppedByKernel)
    }, interface drops ${n(r.capture.droppedByInterface)}, dropped before capture ${
      n(r.droppedBeforeCapture)
    }`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      role: { type: "string" },
      interface: { type: "string" },
      backend: { type: "string" },
      mode: { type: "string" },
      rate: { type: "string" },
      seconds: { type: "string" },
      payload: { type: "string" },
      sender: { type: "string" },
    },
  });
  const rate = Number(values.rate ?? 500_000);
  const seconds = Number(values.seconds ?? 3);
  if (values.role === "send") {
    send(rate, seconds, Number(values.payload ?? 22));
  } else if (values.role === "capture") {
    await capture(values.interface!, values.backend as LiveBackend, values.mode as BenchMode);
  } else {
    const rows = values.backend || values.mode || values.rate
      ? [{
        backend: (values.backend ?? "af_packet") as LiveBackend,
        mode: (values.mode ?? "source") as BenchMode,
        rate,
      }]
      : DEFAULT_ROWS;
    const sender = values.sender as SenderKind | undefined;
    for (const row of rows) {
      console.log(formatRow(await runLiveCaptureBench({ ...row, seconds, sender })));
    }
  }
}
