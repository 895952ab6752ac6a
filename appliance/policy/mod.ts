/**
 * @module
 * Policy: which packets the appliance looks at. Filters are tcpdump expressions compiled by
 * libpcap's `pcap_compile` into classic BPF, then run per packet in TypeScript: translated once
 * into a JavaScript function (bpf_js.ts), with an interpreter (bpf.ts) as the reference.
 *
 * ```ts
 * const filter = new PacketFilter("tcp port 443 and not net 10.0.0.0/8", source.linkType);
 * while (source.next()) if (filter.matches(source.packet)) use(source.packet);
 * console.log(`${filter.rejected} packets filtered out`);
 * ```
 */
export {
  Bpf,
  BPF_MEMWORDS,
  BpfError,
  type BpfInstruction,
  bpfInstructions,
  type BpfMatcher,
  type BpfProgram,
  bpfProgram,
  MAX_BACKWARD_JUMPS,
  runBpf,
  validateBpf,
} from "./bpf.ts";
export { type BpfBackend, bpfToJavaScript, compileBpf, type CompiledBpf } from "./bpf_js.ts";
export {
  compileFilter,
  type CompileFilterOptions,
  DEFAULT_SNAP_LENGTH,
  FilterError,
  filterOptionsFor,
  PacketFilter,
  type PacketFilterOptions,
} from "./filter.ts";
