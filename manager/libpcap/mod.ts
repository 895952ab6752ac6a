/**
 * The manager's libpcap binding: checks a tcpdump expression with libpcap's own compiler
 * (`pcap_open_dead` + `pcap_compile`, Ethernet, snap length 262144, netmask 0 — what the
 * appliance compiles it with), so that a policy's filter is refused with libpcap's message next
 * to the field. Used by PCAP policies (manager/pcap) and distribution policies
 * (manager/distribution). The manager may not import the appliance's filter stage (it imports
 * only appliance/wire), hence this small binding of five functions.
 */

const LIBRARIES = ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"];
const DLT_EN10MB = 1;
const SNAP_LENGTH = 262_144;
/** `struct bpf_program` on 64-bit: u32 count, padding, pointer. */
const BPF_PROGRAM_SIZE = 16;

const SYMBOLS = {
  pcap_open_dead: { parameters: ["i32", "i32"], result: "pointer" },
  pcap_compile: { parameters: ["pointer", "buffer", "buffer", "i32", "u32"], result: "i32" },
  pcap_freecode: { parameters: ["buffer"], result: "void" },
  pcap_geterr: { parameters: ["pointer"], result: "pointer" },
  pcap_close: { parameters: ["pointer"], result: "void" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>;
/** The library, or why it could not be loaded (tried once). */
let loaded: Lib | string | undefined;

function open(): Lib | string {
  if (loaded !== undefined) return loaded;
  const errors: string[] = [];
  for (const name of LIBRARIES) {
    try {
      return loaded = Deno.dlopen(name, SYMBOLS);
    } catch (err) {
      errors.push(`${name}: ${(err as Error).message}`);
    }
  }
  return loaded = `cannot load libpcap to check the filter (install libpcap0.8): ${
    errors[0] ?? "not found"
  }`;
}

/** Whether libpcap could be loaded on this host. */
export function libpcapAvailable(): boolean {
  return typeof open() !== "string";
}

export interface FilterCheckOptions {
  /**
   * Without libpcap: true refuses every non-empty filter with the reason (nothing unchecked is
   * accepted); false (default) accepts it, leaving the check to the appliance.
   */
  required?: boolean;
}

/** libpcap's message for a bad expression, or undefined when it compiles ("" always does). */
export function filterProblem(
  expression: string,
  options: FilterCheckOptions = {},
): string | undefined {
  if (expression.trim() === "") return undefined;
  if (expression.includes("\0")) return "must not contain NUL characters";
  const lib = open();
  if (typeof lib === "string") return options.required ? lib : undefined;
  const pcap = lib.symbols;
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
