/**
 * Checks a tcpdump expression with libpcap's own compiler (`pcap_open_dead` + `pcap_compile`),
 * so a policy's filter is refused with the message the appliance (and tcpdump) would give. The
 * manager may not import the appliance's filter module: this is its own small FFI binding.
 */

const LIBRARIES = ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"];
const DLT_EN10MB = 1;
const SNAP = 262_144;

const SYMBOLS = {
  pcap_open_dead: { parameters: ["i32", "i32"], result: "pointer" },
  pcap_compile: { parameters: ["pointer", "buffer", "buffer", "i32", "u32"], result: "i32" },
  pcap_freecode: { parameters: ["buffer"], result: "void" },
  pcap_geterr: { parameters: ["pointer"], result: "pointer" },
  pcap_close: { parameters: ["pointer"], result: "void" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>;
let lib: Lib | null | undefined;

function open(): Lib | null {
  if (lib !== undefined) return lib;
  lib = null;
  for (const name of LIBRARIES) {
    try {
      lib = Deno.dlopen(name, SYMBOLS);
      break;
    } catch {
      // try the next name
    }
  }
  return lib;
}

/** Whether libpcap could be loaded (the check is skipped, and says so, when it cannot). */
export function libpcapAvailable(): boolean {
  return open() !== null;
}

/**
 * libpcap's message for a bad expression (for Ethernet captures), undefined when it compiles, or
 * when libpcap is not installed on the manager (the appliance checks again).
 */
export function filterProblem(expression: string): string | undefined {
  if (expression.trim() === "") return undefined;
  if (expression.includes("\0")) return "the expression contains a NUL character";
  const l = open();
  if (l === null) return undefined;
  const handle = l.symbols.pcap_open_dead(DLT_EN10MB, SNAP);
  if (handle === null) return undefined;
  try {
    const program = new Uint8Array(16);
    const text = new TextEncoder().encode(expression + "\0");
    const rc = l.symbols.pcap_compile(handle, program, text, 1, 0);
    if (rc === 0) {
      l.symbols.pcap_freecode(program);
      return undefined;
    }
    const err = l.symbols.pcap_geterr(handle);
    return err === null ? "libpcap could not compile it" : Deno.UnsafePointerView.getCString(err);
  } finally {
    l.symbols.pcap_close(handle);
  }
}
