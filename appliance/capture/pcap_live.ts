import { CaptureError } from "./errors.ts";
import {
  cString,
  errbufText,
  libpcap,
  PCAP_ERRBUF_SIZE,
  PCAP_STAT,
  PcapStatus,
  PKTHDR,
  readCString,
  statusText,
} from "./libpcap.ts";
import { copyFromAddress } from "./_libc.ts";
import {
  DEFAULT_BUFFER_BYTES,
  DEFAULT_SNAP_LENGTH,
  type LiveOptions,
  PolledSource,
} from "./live.ts";

const TWO_32 = 4_294_967_296;

/**
 * Live capture through libpcap: the fallback for interfaces AF_PACKET cannot open here (e.g.
 * `any`, or unusual link types). The handle is nonblocking; `wait()` polls its selectable
 * descriptor and `next()` calls `pcap_next_ex` until it has nothing. Each packet is copied out
 * of libpcap's buffer into one reused buffer with `memcpy`, which takes the address as a plain
 * integer, so no pointer object is made per packet.
 */
export class LibpcapSource extends PolledSource {
  readonly backend = "libpcap";
  readonly format = "libpcap";
  readonly linkType: number;
  readonly #handle: Deno.PointerObject;
  readonly #headerAddress = new Uint32Array(2);
  readonly #dataAddress = new Uint32Array(2);
  readonly #headerAddressBytes = new Uint8Array(this.#headerAddress.buffer);
  readonly #dataAddressBytes = new Uint8Array(this.#dataAddress.buffer);
  readonly #header = new Uint8Array(PKTHDR.size);
  readonly #headerView = new DataView(this.#header.buffer);
  readonly #frame: Uint8Array;
  readonly #statsBuffer = new Uint8Array(PCAP_STAT.size);
  readonly #nextEx = libpcap().pcap_next_ex;
  readonly #memcpy = copyFromAddress();
  #broken = false;

  private constructor(
    name: string,
    handle: Deno.PointerObject,
    snapLength: number,
    pollMs: number,
  ) {
    super(name, pollMs);
    this.#handle = handle;
    this.#frame = new Uint8Array(snapLength);
    this.linkType = libpcap().pcap_datalink(handle);
    this.packet.buffer = this.#frame;
    this.packet.linkType = this.linkType;
    this.watch(libpcap().pcap_get_selectable_fd(handle));
  }

  /** Opens `name` (or `any`); throws {@link CaptureError} (code `live`) with libpcap's reason. */
  static open(name: string, options: LiveOptions = {}): LibpcapSource {
    let lib;
    try {
      lib = libpcap();
    } catch (err) {
      throw new CaptureError("live", `libpcap capture on ${name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const errbuf = new Uint8Array(PCAP_ERRBUF_SIZE);
    const handle = lib.pcap_create(cString(name), errbuf);
    if (handle === null) {
      throw new CaptureError("live", `libpcap capture on ${name}: ${errbufText(errbuf)}`);
    }
    const snapLength = options.snapLength ?? DEFAULT_SNAP_LENGTH;
    try {
      lib.pcap_set_snaplen(handle, snapLength);
      lib.pcap_set_promisc(handle, (options.promiscuous ?? true) ? 1 : 0);
      // The TPACKET_V3 block timeout inside libpcap: how long a quiet link holds packets back.
      lib.pcap_set_timeout(handle, 20);
      lib.pcap_set_buffer_size(handle, options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
      const status = lib.pcap_activate(handle);
      if (status < 0) {
        const summary = statusText(status);
        const detail = readCString(lib.pcap_geterr(handle));
        const hint = status === PcapStatus.PermissionDenied ? " (needs root or CAP_NET_RAW)" : "";
        throw new CaptureError(
          "live",
          `libpcap capture on ${name}: ${summary}${
            detail && detail !== summary ? `: ${detail}` : ""
          }${hint}`,
        );
      }
      if (lib.pcap_setnonblock(handle, 1, errbuf) < 0) {
        throw new CaptureError("live", `libpcap capture on ${name}: ${errbufText(errbuf)}`);
      }
      return new LibpcapSource(name, handle, snapLength, options.pollMs ?? 100);
    } catch (err) {
      lib.pcap_close(handle);
      throw err;
    }
  }

  next(): boolean {
    if (this.closed || this.#broken) return false;
    const result = this.#nextEx(this.#handle, this.#headerAddressBytes, this.#dataAddressBytes);
    if (result !== 1) {
      if (result === PcapStatus.Error) {
        this.#broken = true;
        this.fail(
          `live capture on ${this.interfaceName} failed: ${
            readCString(libpcap().pcap_geterr(this.#handle))
          }`,
        );
      }
      return false;
    }
    const header = this.#headerAddress[0]! + this.#headerAddress[1]! * TWO_32;
    this.#memcpy(this.#header, header, PKTHDR.size);
    const view = this.#headerView;
    // struct timeval as two 64-bit halves read as 32-bit words (a BigInt would allocate).
    const seconds = view.getUint32(PKTHDR.tvSec, true) +
      view.getInt32(PKTHDR.tvSec + 4, true) * TWO_32;
    const micros = view.getUint32(PKTHDR.tvUsec, true);
    let captured = view.getUint32(PKTHDR.caplen, true);
    const original = view.getUint32(PKTHDR.len, true);
    if (captured > this.#frame.length) captured = this.#frame.length;
    const data = this.#dataAddress[0]! + this.#dataAddress[1]! * TWO_32;
    this.#memcpy(this.#frame, data, captured);
    const packet = this.packet;
    const number = this.received + 1;
    packet.number = number;
    packet.timestampUs = seconds * 1_000_000 + micros;
    packet.extraNs = 0;
    packet.capturedLength = captured;
    packet.originalLength = original < captured ? captured : original;
    packet.dataOffset = 0;
    this.received = number;
    return true;
  }

  protected ready(): boolean {
    return false;
  }

  protected kernelCounters(): { droppedByKernel: number; droppedByInterface: number } {
    const stats = this.#statsBuffer;
    if (libpcap().pcap_stats(this.#handle, stats) !== 0) {
      return { droppedByKernel: 0, droppedByInterface: 0 };
    }
    const view = new DataView(stats.buffer);
    return {
      droppedByKernel: view.getUint32(PCAP_STAT.drop, true),
      droppedByInterface: view.getUint32(PCAP_STAT.ifdrop, true),
    };
  }

  protected pollError(): string | undefined {
    return undefined;
  }

  protected release(): void {
    libpcap().pcap_close(this.#handle);
  }
}
