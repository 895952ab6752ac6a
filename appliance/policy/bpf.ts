/**
 * Classic BPF programs: their representation, validation and the reference interpreter. The
 * semantics follow libpcap's userland `bpf_filter()` (what `tcpdump -r` applies), which matches
 * the Linux kernel for every program `pcap_compile` emits for a file: loads outside the captured
 * bytes and division by zero end the program with 0 (no match), `len` is the length on the wire.
 */

/** Instruction classes, sizes, modes and operations (BPF_* of pcap/bpf.h). */
export const Bpf = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  MISC: 0x07,
  W: 0x00,
  H: 0x08,
  B: 0x10,
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  LEN: 0x80,
  MSH: 0xa0,
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  K: 0x00,
  X: 0x08,
  A: 0x10,
  TAX: 0x00,
  TXA: 0x80,
} as const;

/** BPF_MEMWORDS: scratch memory slots M[0..15]. */
export const BPF_MEMWORDS = 16;
/** A backward `ja` (libpcap's `ip6 protochain`) may run this many times per packet. */
export const MAX_BACKWARD_JUMPS = 64;

/** One `struct bpf_insn`. */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A classic BPF program as parallel typed arrays (index = program counter). */
export interface BpfProgram {
  readonly length: number;
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  /** Unsigned 32-bit operands. */
  readonly k: Uint32Array;
  /** Some `ja` jumps backwards (only `ip6 protochain` emits those). */
  readonly hasBackwardJumps: boolean;
}

/** A program that `validateBpf` rejects. */
export class BpfError extends Error {
  override name = "BpfError";
  /** Index of the offending instruction, when one is to blame. */
  readonly pc: number | undefined;
  constructor(message: string, pc?: number) {
    super(pc === undefined ? message : `${message} (instruction ${pc})`);
    this.pc = pc;
  }
}

/** Builds a program from instructions; see {@link validateBpf} before running one. */
export function bpfProgram(instructions: readonly BpfInstruction[]): BpfProgram {
  const length = instructions.length;
  const code = new Uint16Array(length);
  const jt = new Uint8Array(length);
  const jf = new Uint8Array(length);
  const k = new Uint32Array(length);
  let hasBackwardJumps = false;
  instructions.forEach((insn, pc) => {
    code[pc] = insn.code;
    jt[pc] = insn.jt;
    jf[pc] = insn.jf;
    k[pc] = insn.k >>> 0;
    if (insn.code === (Bpf.JMP | Bpf.JA) && (insn.k | 0) < 0) hasBackwardJumps = true;
  });
  return { length, code, jt, jf, k, hasBackwardJumps };
}

/** The instructions of a program, e.g. to print or compare them. */
export function bpfInstructions(program: BpfProgram): BpfInstruction[] {
  return Array.from({ length: program.length }, (_, pc) => ({
    code: program.code[pc]!,
    jt: program.jt[pc]!,
    jf: program.jf[pc]!,
    k: program.k[pc]!,
  }));
}

const VALID_CODES = new Set<number>([
  Bpf.RET | Bpf.K,
  Bpf.RET | Bpf.A,
  Bpf.LD | Bpf.W | Bpf.ABS,
  Bpf.LD | Bpf.H | Bpf.ABS,
  Bpf.LD | Bpf.B | Bpf.ABS,
  Bpf.LD | Bpf.W | Bpf.LEN,
  Bpf.LDX | Bpf.W | Bpf.LEN,
  Bpf.LD | Bpf.W | Bpf.IND,
  Bpf.LD | Bpf.H | Bpf.IND,
  Bpf.LD | Bpf.B | Bpf.IND,
  Bpf.LDX | Bpf.MSH | Bpf.B,
  Bpf.LD | Bpf.IMM,
  Bpf.LDX | Bpf.IMM,
  Bpf.LD | Bpf.MEM,
  Bpf.LDX | Bpf.MEM,
  Bpf.ST,
  Bpf.STX,
  Bpf.ALU | Bpf.NEG,
  Bpf.MISC | Bpf.TAX,
  Bpf.MISC | Bpf.TXA,
  Bpf.JMP | Bpf.JA,
]);
for (const op of [Bpf.JEQ, Bpf.JGT, Bpf.JGE, Bpf.JSET]) {
  VALID_CODES.add(Bpf.JMP | op | Bpf.K).add(Bpf.JMP | op | Bpf.X);
}
for (const op of [Bpf.ADD, Bpf.SUB, Bpf.MUL, Bpf.DIV, Bpf.MOD, Bpf.AND, Bpf.OR, Bpf.XOR]) {
  VALID_CODES.add(Bpf.ALU | op | Bpf.K).add(Bpf.ALU | op | Bpf.X);
}
VALID_CODES.add(Bpf.ALU | Bpf.LSH | Bpf.K).add(Bpf.ALU | Bpf.LSH | Bpf.X);
VALID_CODES.add(Bpf.ALU | Bpf.RSH | Bpf.K).add(Bpf.ALU | Bpf.RSH | Bpf.X);

/**
 * Checks a program the way libpcap's `bpf_validate` does: known opcodes only, scratch slots
 * below 16, no constant division by 0 or shift by 32 or more, every jump inside the program (a
 * backward `ja` is allowed for `ip6 protochain`, but not one to itself), last instruction a RET.
 * Throws {@link BpfError}.
 */
export function validateBpf(program: BpfProgram): void {
  const { length, code, jt, jf, k } = program;
  if (length === 0) throw new BpfError("empty BPF program");
  for (let pc = 0; pc < length; pc++) {
    const c = code[pc]!;
    const operand = k[pc]!;
    if (!VALID_CODES.has(c)) {
      throw new BpfError(`unknown BPF opcode 0x${c.toString(16).padStart(2, "0")}`, pc);
    }
    const cls = c & 0x07;
    if (
      (c === (Bpf.LD | Bpf.MEM) || c === (Bpf.LDX | Bpf.MEM) || cls === Bpf.ST ||
        cls === Bpf.STX) && operand >= BPF_MEMWORDS
    ) {
      throw new BpfError(`scratch memory slot M[${operand}] does not exist`, pc);
    }
    if ((c === (Bpf.ALU | Bpf.DIV | Bpf.K) || c === (Bpf.ALU | Bpf.MOD | Bpf.K)) && operand === 0) {
      throw new BpfError("division by the constant 0", pc);
    }
    if ((c === (Bpf.ALU | Bpf.LSH | Bpf.K) || c === (Bpf.ALU | Bpf.RSH | Bpf.K)) && operand >= 32) {
      throw new BpfError(`shift by ${operand} bits`, pc);
    }
    if (cls !== Bpf.JMP) continue;
    if (c === (Bpf.JMP | Bpf.JA)) {
      const target = pc + 1 + (operand | 0);
      if (target < 0 || target >= length) {
        throw new BpfError(`jump to ${target}, outside the program`, pc);
      }
      if (target === pc) throw new BpfError("jump to itself", pc);
    } else if (pc + 1 + Math.max(jt[pc]!, jf[pc]!) >= length) {
      throw new BpfError(`jump to ${pc + 1 + Math.max(jt[pc]!, jf[pc]!)}, outside the program`, pc);
    }
  }
  if ((code[length - 1]! & 0x07) !== Bpf.RET) {
    throw new BpfError("the last instruction is not a RET", length - 1);
  }
}

/** Signature shared by the interpreter and compiled programs; nonzero means "matches". */
export type BpfMatcher = (
  bytes: Uint8Array,
  offset: number,
  capturedLength: number,
  wireLength: number,
) => number;

const memory = new Uint32Array(BPF_MEMWORDS);

/**
 * Runs a validated program over `bytes[offset .. offset + capturedLength)` and returns its RET
 * value (0 = no match). The reference implementation that compiled programs are tested against.
 */
export function runBpf(
  program: BpfProgram,
  bytes: Uint8Array,
  offset: number,
  capturedLength: number,
  wireLength: number,
): number {
  const { length, code, jt, jf, k: ks } = program;
  const c = capturedLength;
  // A and X are kept as unsigned 32-bit values (numbers in 0 .. 2^32-1).
  let A = 0;
  let X = 0;
  let backward = 0;
  let i = 0;
  memory.fill(0);
  for (let pc = 0; pc < length; pc++) {
    const k = ks[pc]!;
    switch (code[pc]!) {
      case Bpf.RET | Bpf.K:
        return k;
      case Bpf.RET | Bpf.A:
        return A;
      case Bpf.LD | Bpf.W | Bpf.ABS:
        if (k + 4 > c) return 0;
        i = offset + k;
        A = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>>
          0;
        break;
      case Bpf.LD | Bpf.H | Bpf.ABS:
        if (k + 2 > c) return 0;
        i = offset + k;
        A = (bytes[i]! << 8) | bytes[i + 1]!;
        break;
      case Bpf.LD | Bpf.B | Bpf.ABS:
        if (k >= c) return 0;
        A = bytes[offset + k]!;
        break;
      case Bpf.LD | Bpf.W | Bpf.IND:
        if (X + k + 4 > c) return 0;
        i = offset + X + k;
        A = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>>
          0;
        break;
      case Bpf.LD | Bpf.H | Bpf.IND:
        if (X + k + 2 > c) return 0;
        i = offset + X + k;
        A = (bytes[i]! << 8) | bytes[i + 1]!;
        break;
      case Bpf.LD | Bpf.B | Bpf.IND:
        if (X + k >= c) return 0;
        A = bytes[offset + X + k]!;
        break;
      case Bpf.LDX | Bpf.MSH | Bpf.B:
        if (k >= c) return 0;
        X = (bytes[offset + k]! & 0x0f) << 2;
        break;
      case Bpf.LD | Bpf.W | Bpf.LEN:
        A = wireLength >>> 0;
        break;
      case Bpf.LDX | Bpf.W | Bpf.LEN:
        X = wireLength >>> 0;
        break;
      case Bpf.LD | Bpf.IMM:
        A = k;
        break;
      case Bpf.LDX | Bpf.IMM:
        X = k;
        break;
      case Bpf.LD | Bpf.MEM:
        A = memory[k]!;
        break;
      case Bpf.LDX | Bpf.MEM:
        X = memory[k]!;
        break;
      case Bpf.ST:
        memory[k] = A;
        break;
      case Bpf.STX:
        memory[k] = X;
        break;
      case Bpf.JMP | Bpf.JA:
        if ((k | 0) < 0 && ++backward > MAX_BACKWARD_JUMPS) return 0;
        pc += k | 0;
        break;
      case Bpf.JMP | Bpf.JEQ | Bpf.K:
        pc += A === k ? jt[pc]! : jf[pc]!;
        break;
      case Bpf.JMP | Bpf.JGT | Bpf.K:
        pc += A > k ? jt[pc]! : jf[pc]!;
        break;
      case Bpf.JMP | Bpf.JGE | Bpf.K:
        pc += A >= k ? jt[pc]! : jf[pc]!;
        break;
      case Bpf.JMP | Bpf.JSET | Bpf.K:
        pc += (A & k) !== 0 ? jt[pc]! : jf[pc]!;
        break;
      case Bpf.JMP | Bpf.JEQ | Bpf.X:
        pc += A === X ? jt[pc]! : jf[pc]!;
        break;
      case Bpf.JMP | Bpf.JGT | Bpf.X:
        pc += A > X ? jt[pc]! : jf[pc]!;
        break;
      case Bpf.JMP | Bpf.JGE | Bpf.X:
        pc += A >= X ? jt[pc]! : jf[pc]!;
        break;
      case Bpf.JMP | Bpf.JSET | Bpf.X:
        pc += (A & X) !== 0 ? jt[pc]! : jf[pc]!;
        break;
      case Bpf.ALU | Bpf.ADD | Bpf.K:
        A = (A + k) >>> 0;
        break;
      case Bpf.ALU | Bpf.SUB | Bpf.K:
        A = (A - k) >>> 0;
        break;
      case Bpf.ALU | Bpf.MUL | Bpf.K:
        A = Math.imul(A, k) >>> 0;
        break;
      case Bpf.ALU | Bpf.DIV | Bpf.K:
        if (k === 0) return 0;
        A = (A / k) >>> 0;
        break;
      case Bpf.ALU | Bpf.MOD | Bpf.K:
        if (k === 0) return 0;
        A = A % k;
        break;
      case Bpf.ALU | Bpf.AND | Bpf.K:
        A = (A & k) >>> 0;
        break;
      case Bpf.ALU | Bpf.OR | Bpf.K:
        A = (A | k) >>> 0;
        break;
      case Bpf.ALU | Bpf.XOR | Bpf.K:
        A = (A ^ k) >>> 0;
        break;
      case Bpf.ALU | Bpf.LSH | Bpf.K:
        A = k < 32 ? (A << k) >>> 0 : 0;
        break;
      case Bpf.ALU | Bpf.RSH | Bpf.K:
        A = k < 32 ? A >>> k : 0;
        break;
      case Bpf.ALU | Bpf.ADD | Bpf.X:
        A = (A + X) >>> 0;
        break;
      case Bpf.ALU | Bpf.SUB | Bpf.X:
        A = (A - X) >>> 0;
        break;
      case Bpf.ALU | Bpf.MUL | Bpf.X:
        A = Math.imul(A, X) >>> 0;
        break;
      case Bpf.ALU | Bpf.DIV | Bpf.X:
        if (X === 0) return 0;
        A = (A / X) >>> 0;
        break;
      case Bpf.ALU | Bpf.MOD | Bpf.X:
        if (X === 0) return 0;
        A = A % X;
        break;
      case Bpf.ALU | Bpf.AND | Bpf.X:
        A = (A & X) >>> 0;
        break;
      case Bpf.ALU | Bpf.OR | Bpf.X:
        A = (A | X) >>> 0;
        break;
      case Bpf.ALU | Bpf.XOR | Bpf.X:
        A = (A ^ X) >>> 0;
        break;
      case Bpf.ALU | Bpf.LSH | Bpf.X:
        A = X < 32 ? (A << X) >>> 0 : 0;
        break;
      case Bpf.ALU | Bpf.RSH | Bpf.X:
        A = X < 32 ? A >>> X : 0;
        break;
      case Bpf.ALU | Bpf.NEG:
        A = (0 - A) >>> 0;
        break;
      case Bpf.MISC | Bpf.TAX:
        X = A;
        break;
      case Bpf.MISC | Bpf.TXA:
        A = X;
        break;
      default:
        return 0;
    }
  }
  return 0;
}
