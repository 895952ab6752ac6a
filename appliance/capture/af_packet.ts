import { CaptureError } from "./errors.ts";
import {
  AF_PACKET,
  cString,
  ETH_P_ALL_BE,
  lastError,
  libc,
  MAP_SHARED,
  PACKET_ADD_MEMBERSHIP,
  PACKET_MR_PROMISC,
  PACKET_RX_RING,
  PACKET_STATISTICS,
  PACKET_VERSION,
  PROT_READ,
  PROT_WRITE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_PACKET,
  TPACKET_V3,
} from "./_libc.ts";
import {
  DEFAULT_BUFFER_BYTES,
  DEFAULT_SNAP_LENGTH,
  interfaceDrops,
  type LiveOptions,
  PolledSource,
} from "./live.ts";

/** One ring block; a block is handed to user space whole, when full or after the timeout. */
const BLOCK_SIZE = 1 << 20;
/** Nominal frame size; TPACKET_V3 packs variable-length frames, this only sizes `tp_frame_nr`. */
const FRAME_SIZE = 2048;
/** A partly filled block is handed over after this many ms, so quiet links still report. */
const BLOCK_TIMEOUT_MS = 20;

// linux/if_packet.h, struct tpacket_block_desc { u32 version; u32 offset_to_priv; tpacket_hdr_v1 }.
const BLOCK_STATUS = 8;
const BLOCK_NUM_PKTS = 12;
const BLOCK_FIRST_PKT = 16;
const TP_STATUS_KERNEL = 0;
const TP_STATUS_USER = 1;
const TP_STATUS_VLAN_VALID = 0x10;
const TP_STATUS_VLAN_TPID_VALID = 0x40;
// struct tpacket3_hdr.
const PKT_NEXT = 0;
const PKT_SEC = 4;
const PKT_NSEC = 8;
const PKT_SNAPLEN = 12;
const PKT_LEN = 16;
const PKT_STATUS = 20;
const PKT_MAC = 24;
const PKT_VLAN_TCI = 32;
const PKT_VLAN_TPID = 36;
/** tpacket3_hdr (48, aligned) + sockaddr_ll (20): the MAC header never starts before this. */
const PKT_HEADROOM = 68;
/** `sll_pkttype` of the sockaddr_ll that follows the header. */
const PKT_PKTTYPE = 48 + 10;
const PACKET_OUTGOING = 4;
const ARPHRD_LOOPBACK = 772;
const VLAN_TAG = 4;

const SOL_SOCKET = 1;
const SO_ERROR = 4;
const ENETDOWN = 100;

/** ARPHRD_* of /sys/class/net/IF/type → LINKTYPE_* of what a SOCK_RAW packet socket reads. */
const LINK_TYPES: Record<number, number> = {
  1: 1, // ARPHRD_ETHER
  772: 1, // ARPHRD_LOOPBACK: Linux gives loopback frames a zeroed Ethernet header
  65534: 101, // ARPHRD_NONE (tun, wireguard): bare IP packets
};

function interfaceType(name: string): number | undefined {
  try {
    return Number(Deno.readTextFileSync(`/sys/class/net/${name}/type`).trim());
  } catch {
    return undefined;
  }
}

/**
 * Live capture on one interface through an AF_PACKET TPACKET_V3 ring mapped into this process:
 * the kernel fills blocks of packets, `next()` walks them in place (no copy, no FFI call per
 * packet) and hands each block back when it moves past it. VLAN tags the kernel took off (VLAN
 * offload) are put back in front of the EtherType, as libpcap does, so the decoder sees the wire.
 */
export class AfPacketSource extends PolledSource {
  readonly backend = "af_packet";
  readonly format = "af_packet";
  readonly linkType: number;
  readonly #fd: number;
  readonly #ring: Deno.PointerObject;
  readonly #ringBytes: number;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #blockCount: number;
  readonly #snapLength: number;
  readonly #statsBuffer = new Uint8Array(12);
  readonly #statsLength = new Uint32Array([12]);
  readonly #ifDropsAtOpen: number;
  readonly #loopback: boolean;
  #block = 0;
  #inBlock = false;
  #left = 0;
  #at = 0;
  #kernelDrops = 0;

  private constructor(
    name: string,
    fd: number,
    ring: Deno.PointerObject,
    spec: {
      ringBytes: number;
      linkType: number;
      loopback: boolean;
      snapLength: number;
      pollMs: number;
    },
  ) {
    super(name, spec.pollMs);
    this.#fd = fd;
    this.#ring = ring;
    this.#ringBytes = spec.ringBytes;
    this.#bytes = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(ring, spec.ringBytes));
    this.#view = new DataView(this.#bytes.buffer);
    this.#blockCount = spec.ringBytes / BLOCK_SIZE;
    this.#snapLength = spec.snapLength;
    this.linkType = spec.linkType;
    this.#loopback = spec.loopback;
    this.#ifDropsAtOpen = interfaceDrops(name);
    this.packet.buffer = this.#bytes;
    this.watch(fd);
  }

  /** Opens `name`; throws {@link CaptureError} (code `live`) saying what failed and why. */
  static open(name: string, options: LiveOptions = {}): AfPacketSource {
    const lib = libc();
    const fail = (what: string): never => {
      const { errno, text } = lastError();
      const hint = errno === 1 ? " (needs root or CAP_NET_RAW)" : "";
      throw new CaptureError("live", `AF_PACKET capture on ${name}: ${what}: ${text}${hint}`);
    };
    const index = lib.if_nametoindex(cString(name));
    if (index === 0) {
      throw new CaptureError("live", `AF_PACKET capture on ${name}: no such interface`);
    }
    const hardware = interfaceType(name);
    const linkType = hardware === undefined ? undefined : LINK_TYPES[hardware];
    if (linkType === undefined) {
      throw new CaptureError(
        "live",
        `AF_PACKET capture on ${name}: unsupported interface type ${hardware} (use libpcap)`,
      );
    }
    const blocks = Math.max(
      2,
      Math.floor((options.bufferBytes ?? DEFAULT_BUFFER_BYTES) / BLOCK_SIZE),
    );
    const ringBytes = blocks * BLOCK_SIZE;
    // Protocol 0 until bind(): the socket receives nothing from other interfaces meanwhile.
    const fd = lib.socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket()");
    let ring: Deno.PointerValue = null;
    try {
      const version = new Int32Array([TPACKET_V3]);
      if (lib.setsockopt(fd, SOL_PACKET, PACKET_VERSION, new Uint8Array(version.buffer), 4) < 0) {
        fail("PACKET_VERSION TPACKET_V3");
      }
      // struct tpacket_req3: block size, block count, frame size, frame count, block timeout,
      // private area size, feature word.
      const request = new Uint32Array([
        BLOCK_SIZE,
        blocks,
        FRAME_SIZE,
        (BLOCK_SIZE / FRAME_SIZE) * blocks,
        BLOCK_TIMEOUT_MS,
        0,
        0,
      ]);
      const requestBytes = new Uint8Array(request.buffer);
      if (lib.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, requestBytes, 28) < 0) {
        fail(`PACKET_RX_RING of ${blocks} × ${BLOCK_SIZE} bytes`);
      }
      ring = lib.mmap(null, BigInt(ringBytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0n);
      if (ring === null || Deno.UnsafePointer.value(ring) === 0xffff_ffff_ffff_ffffn) {
        ring = null;
        fail(`mmap of the ${ringBytes}-byte ring`);
      }
      // struct sockaddr_ll { u16 family; be16 protocol; i32 ifindex; u16 hatype; u8 pkttype;
      // u8 halen; u8 addr[8] }.
      const address = new Uint8Array(20);
      const at = new DataView(address.buffer);
      at.setUint16(0, AF_PACKET, true);
      at.setUint16(2, ETH_P_ALL_BE, true);
      at.setInt32(4, index, true);
      if (lib.bind(fd, address, 20) < 0) fail("bind()");
      if (options.promiscuous ?? true) {
        // struct packet_mreq { i32 ifindex; u16 type; u16 alen; u8 address[8] }.
        const membership = new Uint8Array(16);
        const mv = new DataView(membership.buffer);
        mv.setInt32(0, index, true);
        mv.setUint16(4, PACKET_MR_PROMISC, true);
        if (lib.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, membership, 16) < 0) {
          fail("promiscuous mode");
        }
      }
      return new AfPacketSource(name, fd, ring!, {
        ringBytes,
        linkType,
        loopback: hardware === ARPHRD_LOOPBACK,
        snapLength: options.snapLength ?? DEFAULT_SNAP_LENGTH,
        pollMs: options.pollMs ?? 100,
      });
    } catch (err) {
      if (ring !== null) lib.munmap(ring, BigInt(ringBytes));
      lib.close(fd);
      throw err;
    }
  }

  next(): boolean {
    if (this.closed) return false;
    const view = this.#view;
    for (;;) {
      if (this.#left > 0) {
        const at = this.#at;
        this.#left--;
        this.#at = at + view.getUint32(at + PKT_NEXT, true);
        // Loopback shows every packet twice, leaving and arriving; keep one, as libpcap does.
        if (this.#loopback && this.#bytes[at + PKT_PKTTYPE] === PACKET_OUTGOING) continue;
        this.#emit(at);
        return true;
      }
      const base = this.#block * BLOCK_SIZE;
      if (this.#inBlock) {
        // Done with every packet of this block (the last one was used before this call).
        view.setUint32(base + BLOCK_STATUS, TP_STATUS_KERNEL, true);
        this.#inBlock = false;
        this.#block = this.#block + 1 === this.#blockCount ? 0 : this.#block + 1;
        continue;
      }
      if ((view.getUint32(base + BLOCK_STATUS, true) & TP_STATUS_USER) === 0) return false;
      this.#inBlock = true;
      this.#left = view.getUint32(base + BLOCK_NUM_PKTS, true);
      this.#at = base + view.getUint32(base + BLOCK_FIRST_PKT, true);
    }
  }

  #emit(at: number): void {
    const view = this.#view;
    const packet = this.packet;
    const seconds = view.getUint32(at + PKT_SEC, true);
    const nanos = view.getUint32(at + PKT_NSEC, true);
    let captured = view.getUint32(at + PKT_SNAPLEN, true);
    let original = view.getUint32(at + PKT_LEN, true);
    let mac = view.getUint16(at + PKT_MAC, true);
    const status = view.getUint32(at + PKT_STATUS, true);
    if (
      (status & TP_STATUS_VLAN_VALID) !== 0 && this.linkType === 1 && captured >= 12 &&
      mac >= PKT_HEADROOM + VLAN_TAG
    ) {
      // The tag goes back between the source MAC and the EtherType (802.1Q §9.3).
      const start = at + mac;
      this.#bytes.copyWithin(start - VLAN_TAG, start, start + 12);
      const tpid = (status & TP_STATUS_VLAN_TPID_VALID) !== 0
        ? view.getUint16(at + PKT_VLAN_TPID, true)
        : 0x8100;
      view.setUint16(start + 8, tpid, false);
      view.setUint16(start + 10, view.getUint32(at + PKT_VLAN_TCI, true) & 0xffff, false);
      mac -= VLAN_TAG;
      captured += VLAN_TAG;
      original += VLAN_TAG;
    }
    if (captured > this.#snapLength) captured = this.#snapLength;
    const number = this.received + 1;
    packet.number = number;
    packet.timestampUs = seconds * 1_000_000 + Math.floor(nanos / 1000);
    packet.extraNs = nanos % 1000;
    packet.capturedLength = captured;
    packet.originalLength = original < captured ? captured : original;
    packet.linkType = this.linkType;
    packet.dataOffset = at + mac;
    this.received = number;
  }

  protected ready(): boolean {
    if (this.closed) return false;
    if (this.#left > 0) return true;
    const block = this.#inBlock
      ? (this.#block + 1 === this.#blockCount ? 0 : this.#block + 1)
      : this.#block;
    return (this.#view.getUint32(block * BLOCK_SIZE + BLOCK_STATUS, true) & TP_STATUS_USER) !== 0;
  }

  protected kernelCounters(): { droppedByKernel: number; droppedByInterface: number } {
    // struct tpacket_stats_v3 { u32 packets; u32 drops; u32 freeze_q_cnt }; reading resets it.
    this.#statsLength[0] = 12;
    const lengthBytes = new Uint8Array(this.#statsLength.buffer);
    if (
      libc().getsockopt(this.#fd, SOL_PACKET, PACKET_STATISTICS, this.#statsBuffer, lengthBytes) ===
        0
    ) {
      this.#kernelDrops += new DataView(this.#statsBuffer.buffer).getUint32(4, true);
    }
    return {
      droppedByKernel: this.#kernelDrops,
      droppedByInterface: Math.max(0, interfaceDrops(this.interfaceName) - this.#ifDropsAtOpen),
    };
  }

  protected pollError(): string | undefined {
    const value = new Int32Array(1);
    const length = new Uint32Array([4]);
    libc().getsockopt(
      this.#fd,
      SOL_SOCKET,
      SO_ERROR,
      new Uint8Array(value.buffer),
      new Uint8Array(length.buffer),
    );
    const errno = value[0]!;
    if (errno === ENETDOWN && libc().if_nametoindex(cString(this.interfaceName)) === 0) {
      return "the interface was removed";
    }
    // The link went down: the ring carries on once it is up again.
    if (errno === 0 || errno === ENETDOWN) return undefined;
    const text = libc().strerror(errno);
    return text === null ? `errno ${errno}` : Deno.UnsafePointerView.getCString(text);
  }

  protected release(): void {
    const lib = libc();
    lib.munmap(this.#ring, BigInt(this.#ringBytes));
    lib.close(this.#fd);
  }
}
