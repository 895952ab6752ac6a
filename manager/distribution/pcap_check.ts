// A tcpdump filter is checked on the manager with libpcap's own compiler, the same library and
// arguments the appliance compiles it with (Ethernet, snap length 262144, netmask 0), so that the
// message shown next to the field is libpcap's. The manager may not import the appliance's
// policy stage (it imports only appliance/wire), hence this small binding of four functions.

const LIBPCAP_PATH = "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8";
const DLT_EN10MB = 1;
const SNAP_LENGTH = 262_144;
/** `struct bpf_program` on x86_64: u32 count, padding, pointer. */
const BPF_PROGRAM_SIZE = 16;

const SYMBOLS = {
  pcap_open_dead: { parameters: ["i32", "i32"], result: "pointer" },
  pcap_compile: { parameters: ["pointer", "buffer", "buffer", "i32", "u32"], result: "i32" },
  pcap_geterr: { parameters: ["pointer"], result: "pointer" },
  pcap_freecode: { parameters: ["buffer"], result: "void" },
  pcap_close: { parameters: ["pointer"], result: "void" },
} as const;

let loaded: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

function lib(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | string {
  if (loaded) return loaded.symbols;
  if (Deno.build.arch !== "x86_64" || Deno.build.os !== "linux") {
    return `filters are checked with libpcap on x86_64 Linux, not ${Deno.build.arch}`;
  }
  try {
    loaded = Deno.dlopen(LIBPCAP_PATH, SYMBOLS);
    return loaded.symbols;
  } catch (err) {
    return `cannot load libpcap to check the filter (install libpcap0.8): ${
      (err as Error).message
    }`;
  }
}

/** libpcap's message for a bad expression, or undefined when it compiles ("" always does). */
export function filterProblem(expression: string): string | undefined {
  if (expression.trim() === "") return undefined;
  // deno-lint-ignore no-control-regex
  if (/[\u0000]/.test(expression)) return "must not contain NUL characters";
  const pcap = lib();
  if (typeof pcap === "string") return pcap;
  const handle = pcap.pcap_open_dead(DLT_EN10MB, SNAP_LENGTH);
  if (handle === null) return "libpcap could not open a handle to compile the filter";
  try {
    const program = new Uint8Array(BPF_PROGRAM_SIZE);
    const text = new TextEncoder().encode(`${expression}\0`);
    if (pcap.pcap_compile(handle, program, text, 1, 0) !== 0) {
      const message = pcap.pcap_geterr(handle);
      return message === null
        ? "libpcap refused the filter"
        : Deno.UnsafePointerView.getCString(message);
    }
    pcap.pcap_freecode(program);
    return undefined;
  } finally {
    pcap.pcap_close(handle);
  }
}
